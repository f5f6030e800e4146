/**
 * Highly available managers: runs the monitor only while this manager leads. Each time it is
 * elected it reads the journal from etcd, records its term, and starts a monitor of its own —
 * with a fence of its own at the election's term — which takes up a failover the previous leader
 * left half done (core's `restoreManagerState`). The moment it stops leading, that monitor's fence
 * refuses every command, its journal refuses every write and its notifications are only logged;
 * the monitor is stopped in the background. A follower serves `status` and refuses switchovers.
 */
import { hostname } from 'node:os';
import type { Clock, FailoverEvent, Logger, PauseAnswer, SwitchoverAnswer } from '@failover/core';
import type { ElectionConfig, EtcdClientSecurity } from '@failover/protocol';
import { createElection, type Election, type ElectionView, type LeaderGuard } from './election';
import { createEtcdJournal } from './etcd-journal';
import type { ManagerJournal } from './journal';
import type { ManagerFence } from './manager-fence';
import { recordManagerTerm } from './manager-term';
import type { FailoverProgress, Monitor, MonitorSnapshot } from './monitor';

/** What one leadership runs: its fence and its monitor. */
export interface LeaderRun {
  readonly fence: ManagerFence;
  readonly monitor: Monitor;
}

/** Options of {@link createHaCoordinator}. */
export interface HaCoordinatorOptions {
  readonly config: ElectionConfig;
  /** TLS and user of the etcd connection, loaded at start (`loadEtcdAccess`). @default plain text, no user */
  readonly etcdSecurity?: EtcdClientSecurity;
  readonly sender: string;
  /** This manager's local term, raised for this start. */
  readonly localTerm: number;
  readonly stateDir: string;
  /** Where this manager's control API listens, for the other managers' `status`; read when it registers. */
  readonly control: () => string;
  /** Monotonic, for the leader's deadline. */
  readonly electionClock: Clock;
  readonly log: Logger;
  /** What `status` shows while this manager follows. */
  readonly idleSnapshot: () => MonitorSnapshot;
  /**
   * Builds the fence and monitor of one leadership: its term, its journal and what that held,
   * why it may not command (checked before every command), and where its events go.
   */
  readonly buildRun: (run: {
    readonly term: number;
    readonly journal: ManagerJournal;
    readonly journaled: Awaited<ReturnType<ManagerJournal['load']>>;
    readonly authority: () => string | null;
    readonly notify: (event: FailoverEvent) => void;
    readonly log: Logger;
  }) => LeaderRun;
  /** Hands an event to the notifier. */
  readonly notify: (event: FailoverEvent) => void;
}

/** The running coordinator. */
export interface HaCoordinator {
  /** A monitor that is the current leadership's, or an idle one while following. */
  readonly monitor: Monitor;
  readonly election: Election;
  /** Why this manager does not command now (it follows), in words; null while it leads. */
  following(): string | null;
  /** The election as last read, for `status`. */
  view(): ElectionView;
  /** The current or last leadership's fence, for `status`. */
  fence(): ManagerFence | undefined;
}

/** A pause or resume asked of a manager that does not lead: its journal refuses every write. */
const NOT_LEADING: PauseAnswer = {
  accepted: false,
  refusal: { kind: 'journal-unwritable', detail: 'this manager does not lead: only the leader writes the journal' },
};

/** Creates the coordinator; `monitor.start()` starts campaigning, `monitor.stop()` gives the lease up. */
export function createHaCoordinator(options: HaCoordinatorOptions): HaCoordinator {
  const { log } = options;
  const listeners = new Set<(progress: FailoverProgress) => void>();
  let current: LeaderRun | undefined;
  let lastFence: ManagerFence | undefined;
  let leadership: { term: number; retired: boolean } | undefined;
  const retiring = new Set<Promise<void>>();

  const election: Election = createElection({
    config: options.config,
    ...(options.etcdSecurity === undefined ? {} : { clientOptions: options.etcdSecurity }),
    self: () => ({ sender: options.sender, host: hostname(), control: options.control() }),
    localTerm: options.localTerm,
    clock: options.electionClock,
    log,
    onLead: (term, guard) => void lead(term, guard),
    onStepDown() {
      if (leadership !== undefined) leadership.retired = true;
      const run = current;
      current = undefined;
      if (run === undefined) return;
      // Its fence already refuses every command and its journal every write; a step in flight ends on its own.
      const stopped = run.monitor.stop().catch(() => undefined);
      retiring.add(stopped);
      void stopped.finally(() => retiring.delete(stopped));
    },
  });

  async function lead(term: number, guard: LeaderGuard): Promise<void> {
    const mine = { term, retired: false };
    leadership = mine;
    const notLeading = (): string | null =>
      mine.retired || !election.mayCommand() ? `this manager no longer leads (term ${term})` : null;
    const journal = createEtcdJournal({
      client: election.client,
      prefix: election.prefix,
      guard: () => (notLeading() === null ? guard : null),
      onFenced: (detail) => election.lost(detail),
    });
    let journaled;
    try {
      journaled = await journal.load();
      // A later start without the election counts on from here, above every term agents obeyed.
      await recordManagerTerm(options.stateDir, { term, sender: options.sender });
    } catch (error) {
      log.error({ term }, `cannot take up the leadership: ${(error as Error).message}`);
      election.lost(`the journal or the term could not be read or written: ${(error as Error).message}`);
      return;
    }
    if (notLeading() !== null) return;
    const run = options.buildRun({
      term,
      journal,
      journaled,
      authority: notLeading,
      log: retiredAware(log, term, () => notLeading() !== null),
      notify(event) {
        if (notLeading() !== null) {
          log.info({ event: event.type }, `not notified, this manager no longer leads: ${event.type}`);
          return;
        }
        options.notify(event);
        // Agents obey a higher term: record it, so that the next leader's term is above it, and let go.
        if (event.type === 'deposed')
          void election.yieldTo(event.highestTerm, `an agent obeys term ${event.highestTerm}`);
      },
    });
    for (const listener of listeners) run.monitor.onProgress(listener);
    current = run;
    lastFence = run.fence;
    log.info({ term, journal: journal.location }, `leading with term ${term}; journal in ${journal.location}`);
    run.monitor.start();
  }

  const monitor: Monitor = {
    start: () => election.start(),
    async stop() {
      const run = current;
      await election.stop();
      await run?.monitor.stop();
      await Promise.all(retiring);
    },
    tick: async () => current?.monitor.tick(),
    idle: async () => current?.monitor.idle(),
    snapshot: () => current?.monitor.snapshot() ?? options.idleSnapshot(),
    requestSwitchover(reason, to): Promise<SwitchoverAnswer> {
      return current === undefined
        ? Promise.resolve({ accepted: false, refusal: { kind: 'no-observation' } })
        : current.monitor.requestSwitchover(reason, to);
    },
    requestPause(reason, forMs): Promise<PauseAnswer> {
      return current === undefined ? Promise.resolve(NOT_LEADING) : current.monitor.requestPause(reason, forMs);
    },
    requestResume(reason): Promise<PauseAnswer> {
      return current === undefined ? Promise.resolve(NOT_LEADING) : current.monitor.requestResume(reason);
    },
    onProgress(listener) {
      listeners.add(listener);
      const detach = current?.monitor.onProgress(listener);
      return () => {
        listeners.delete(listener);
        detach?.();
      };
    },
  };

  return {
    monitor,
    election,
    following() {
      if (current !== undefined && election.mayCommand()) return null;
      const leader = election.view().leader;
      return leader === null
        ? 'this manager follows, and no manager leads right now'
        : `this manager follows; the leader is ${leader.sender} on ${leader.host} (control ${leader.control})`;
    },
    view: () => election.view(),
    fence: () => lastFence,
  };
}

/**
 * The log of one leadership: once it is over, what its winding-down monitor still says ("nothing
 * is acted on until the manager is restarted") is about that leadership only, and says so.
 */
function retiredAware(log: Logger, term: number, retired: () => boolean): Logger {
  const line =
    (level: keyof Logger) =>
    (fields: Readonly<Record<string, unknown>>, message: string): void => {
      if (!retired()) return log[level](fields, message);
      log[level]({ ...fields, former_term: term }, `former leadership (term ${term}), no longer acting: ${message}`);
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
