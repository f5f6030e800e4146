/**
 * The monitor loop: the imperative shell around core's manager machine. Each heartbeat it
 * observes both agents and the cluster, folds a `tick` into the machine and executes the
 * effects that come back (journal, run a failover step, notify, log, answer a switchover). It
 * makes no decision of its own; one failover at a time holds because the machine has one state
 * and every event goes through `dispatch`, one at a time. A journal write is awaited before the
 * next effect: a step is executed only once its start is durable.
 */
import {
  clusterReadIntervalMs,
  createManagerState,
  describeAction,
  readsOnly,
  NODE_IDS,
  restoreManagerState,
  stepManager,
} from '@failover/core';
import { reasonText } from '@failover/notifier';
import type {
  Clock,
  ConsensusView,
  FailoverEvent,
  JournalRecord,
  Logger,
  ManagerEffect,
  ManagerEvent,
  ManagerMachineOptions,
  ManagerRestore,
  ManagerState,
  NodeId,
  NodeObservation,
  Observation,
  PauseAnswer,
  SlotObservation,
  SwitchoverAnswer,
  TimerHandle,
  VoteObservation,
} from '@failover/core';
import { sleep, type ClusterRpc } from '@failover/protocol';
import { createEvidenceReader } from './cluster-evidence';
import type { ConsensusReader } from './consensus-reader';
import { executeAction, type AgentPort, type ExecutorContext, type RunMemory } from './failover-executor';
import type { GossipReader } from './gossip-source';
import type { HostFence } from './host-fence';
import type { ManagerJournal } from './journal';

/** Options of {@link createMonitor}. */
export interface MonitorOptions {
  /** The machine's settings (misses, grace, cooldown, dry run, ...). */
  readonly machine: ManagerMachineOptions;
  readonly clock: Clock;
  readonly agents: Readonly<Record<NodeId, AgentPort>>;
  readonly rpc: ClusterRpc;
  /**
   * One client per `cluster_rpc` endpoint, each bound to it alone: the slot and the vote
   * account are read from each and combined. @default [rpc]
   */
  readonly witnesses?: readonly [ClusterRpc, ...ClusterRpc[]];
  /** Where gossip places the staked identity; undefined when no source is configured. */
  readonly gossip: GossipReader | undefined;
  readonly voteAccountPubkey: string | undefined;
  /** `heartbeat_interval`. */
  readonly heartbeatIntervalMs: number;
  /** `slot_check_interval`: cluster slot, vote account and gossip are read this often. */
  readonly slotCheckIntervalMs: number;
  /** The executor's settings besides what the monitor owns. */
  readonly executor: Pick<
    ExecutorContext,
    | 'stakedIdentityPubkey'
    | 'hooks'
    | 'pusher'
    | 'pushTargets'
    | 'pollMs'
    | 'progressLogMs'
    | 'noVoteNotifyMs'
    | 'floorAttempts'
    | 'floorRetryMs'
  >;
  /** `guard_bound` and `fence_command`; the monitor adds when each agent was last heard. */
  readonly hostFence?: Omit<HostFence, 'silentSince'>;
  /** Where runs, steps and the holder are written before they are acted on. */
  readonly journal: ManagerJournal;
  /** This manager's term and what its journal held at start (`journal.load()`). */
  readonly restore: ManagerRestore;
  /** Hands an event to the notifier; must not block (the notifier queues). */
  readonly notify: (event: FailoverEvent) => void;
  readonly log: Logger;
  /** True once this manager stood down (an agent obeys a higher term): no heartbeat is observed or decided on after. @default never */
  readonly standDown?: () => boolean;
  /** When the manager started, which the start-up grace period counts from; a leader elected later is not a new start. @default now */
  readonly startedAt?: number;
  /**
   * Reads the consensus phase every heartbeat (`consensus_phase`); without it observations carry
   * no phase, which core judges as TowerBFT. @default none
   */
  readonly consensus?: ConsensusReader;
  /** Hears every heartbeat's observation before it is decided on (the metrics' round trips). @default nobody */
  readonly onObservation?: (observation: Observation) => void;
  /**
   * How long each agent holds the monitor's `/watch` of its validator process. An exit it
   * reports brings the next heartbeat forward, to now. @default 25000
   */
  readonly watchWaitMs?: number;
}

/** Progress of a failover, for the control API's switchover output. */
export type FailoverProgress =
  | {
      readonly type: 'step-started';
      readonly at: number;
      readonly step: string;
      readonly attempt: number;
      readonly compensating: boolean;
    }
  | {
      readonly type: 'step-finished';
      readonly at: number;
      readonly step: string;
      readonly ok: boolean;
      readonly ms: number;
      readonly detail?: string;
    }
  | { readonly type: 'event'; readonly event: FailoverEvent };

/** A read-only view of the monitor for the control API. */
export interface MonitorSnapshot {
  readonly state: ManagerState;
  readonly observation: Observation | null;
}

/** The running monitor. */
export interface Monitor {
  /** Starts the heartbeat loop, the first tick at once, and the watch of each agent's validator process. */
  start(): void;
  /** Stops the loop and waits for a tick or step in progress to finish. */
  stop(): Promise<void>;
  /** Runs one heartbeat now (the loop calls this; tests may too). */
  tick(): Promise<void>;
  /** Resolves when no failover step is running. */
  idle(): Promise<void>;
  snapshot(): MonitorSnapshot;
  /** Asks the machine for a planned switchover; progress arrives through `onProgress`. */
  requestSwitchover(reason: string, to: NodeId | null): Promise<SwitchoverAnswer>;
  /**
   * Pauses automatic failover for maintenance (`forMs`: ends by itself after it; null: until
   * resumed); the answer comes once the pause is journaled.
   */
  requestPause(reason: string, forMs: number | null): Promise<PauseAnswer>;
  /** Ends the pause; the answer comes once its end is journaled. */
  requestResume(reason: string | null): Promise<PauseAnswer>;
  /** Listens to failover progress; returns the function that stops listening. */
  onProgress(listener: (progress: FailoverProgress) => void): () => void;
}

/** How long an agent holds a `/watch` when nothing changes. */
const DEFAULT_WATCH_WAIT_MS = 25_000;

const FINAL_EVENTS = new Set<FailoverEvent['type']>([
  'failover-complete',
  'failover-failed',
  'rolled-back',
  'fence-ended',
]);

/** Builds the monitor; nothing runs until `start()` or `tick()`. */
export function createMonitor(options: MonitorOptions): Monitor {
  const { clock, log } = options;
  const restored = restoreManagerState(
    createManagerState(options.machine, options.startedAt ?? clock.now()),
    options.restore,
  );
  let state = restored.state;
  let running = false;
  let timer: TimerHandle | undefined;
  let tickInFlight: Promise<void> | undefined;
  /** A validator exit was reported during a tick: the next one runs as soon as it ends. */
  let tickAgain = false;
  let watching: { readonly abort: AbortController; readonly loops: Promise<void>[] } | undefined;
  let stepInFlight: Promise<void> | undefined;
  /** The end of the events dispatched so far, effects and journal writes included. */
  let queue: Promise<void> = Promise.resolve();
  let requestCounter = 0;
  let clusterSlot: SlotObservation | null = null;
  let vote: VoteObservation | null = null;
  let gossip: Observation['gossip'] = null;
  let lastClusterReadAt = -Infinity;
  const clusterReadEveryMs = clusterReadIntervalMs(state.config, options.slotCheckIntervalMs);
  let clusterSlotFailing = false;
  let memory: RunMemory | undefined;
  const pendingAnswers = new Map<string, (answer: SwitchoverAnswer) => void>();
  const pauseAnswers = new Map<string, (answer: PauseAnswer) => void>();
  const listeners = new Set<(progress: FailoverProgress) => void>();

  const evidence = createEvidenceReader({
    witnesses: options.witnesses ?? [options.rpc],
    voteAccountPubkey: options.voteAccountPubkey,
    clock,
  });
  let voteFailing = false;
  // When each agent last answered; the start until then, which is never later than the truth.
  const heardAt: Record<NodeId, number> = { validator1: clock.now(), validator2: clock.now() };
  const executorContext: ExecutorContext = {
    ...options.executor,
    progress: { log, notify: options.notify },
    agents: options.agents,
    evidence,
    clock,
    gossip: options.gossip,
    voteAccountPubkey: options.voteAccountPubkey,
    voteProof: state.config.voteProof,
    lastObservation: () => state.lastObservation,
    ...(options.hostFence ? { hostFence: { ...options.hostFence, silentSince: (node) => heardAt[node] } } : {}),
  };

  function emit(progress: FailoverProgress): void {
    for (const listener of listeners) listener(progress);
  }

  /** Folds an event once the events before it are done, and executes its effects in order. */
  function dispatch(event: ManagerEvent): Promise<void> {
    const done = queue.then(async () => {
      const step = stepManager(state, event);
      state = step.state;
      await executeAll(step.effects);
    });
    queue = done.catch((error: unknown) =>
      log.error({}, `dispatch failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    return queue;
  }

  async function executeAll(effects: readonly ManagerEffect[]): Promise<void> {
    for (let index = 0; index < effects.length; index += 1) {
      const effect = effects[index] as ManagerEffect;
      if (effect.kind !== 'journal') {
        execute(effect);
        continue;
      }
      const writing = write(effect.records);
      // A step that only reads runs beside the write that records its start, which is then
      // off the switchover's critical path. Its result is folded in after the write: it is
      // dispatched behind this event, which ends with the write, and dropped when that failed.
      const next = effects[index + 1];
      if (next?.kind === 'run-step' && readsOnly(next.step.action)) {
        runStep(
          next,
          writing.then((failure) => failure === null),
        );
        index += 1;
      }
      const failure = await writing;
      if (failure === null) continue;
      // Whatever came after the write (the step it was to license) is not executed; a step
      // that only read and already ran has its result dropped.
      const failed = stepManager(state, {
        type: 'journal-failed',
        detail: failure,
        records: effect.records,
        at: clock.now(),
      });
      state = failed.state;
      await executeAll(failed.effects);
      return;
    }
  }

  /** Makes the records durable; what went wrong when they could not be, else null. */
  async function write(records: readonly JournalRecord[]): Promise<string | null> {
    try {
      await options.journal.append(records);
      return null;
    } catch (error) {
      return `${options.journal.location}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  function execute(effect: Exclude<ManagerEffect, { kind: 'journal' }>): void {
    switch (effect.kind) {
      case 'log':
        log[effect.level](effect.fields ?? {}, effect.message);
        return;
      case 'notify':
        options.notify(effect.event);
        emit({ type: 'event', event: effect.event });
        if (FINAL_EVENTS.has(effect.event.type)) memory = undefined;
        return;
      case 'failover':
        memory = {
          reason: reasonText(effect.reason),
          demotedAt: { ...effect.demotedAt },
          failover: { plan: effect.plan, run: effect.run, term: effect.term },
        };
        return;
      case 'switchover-answer': {
        const resolve = pendingAnswers.get(effect.requestId);
        pendingAnswers.delete(effect.requestId);
        resolve?.(effect.answer);
        return;
      }
      case 'pause-answer': {
        const resolve = pauseAnswers.get(effect.requestId);
        pauseAnswers.delete(effect.requestId);
        resolve?.(effect.answer);
        return;
      }
      case 'run-step':
        runStep(effect);
        return;
    }
  }

  /**
   * Dispatches a pause or resume request and resolves with its answer. The answer comes after the
   * journal write: when the write fails, the effects after it, the answer among them, are dropped,
   * and the request is answered here with the failure.
   */
  function askPause(event: (requestId: string) => ManagerEvent): Promise<PauseAnswer> {
    const requestId = `pause-${++requestCounter}`;
    return new Promise<PauseAnswer>((resolve) => {
      pauseAnswers.set(requestId, resolve);
      void dispatch(event(requestId)).then(() => {
        if (!pauseAnswers.delete(requestId)) return;
        const detail = state.journalFailure ?? 'the request could not be handled; see the manager log';
        resolve({ accepted: false, refusal: { kind: 'journal-unwritable', detail } });
      });
    });
  }

  /** Runs a step; its result is dispatched once `licensed` holds, and dropped when it does not. */
  function runStep(
    effect: Extract<ManagerEffect, { kind: 'run-step' }>,
    licensed: Promise<boolean> = Promise.resolve(true),
  ): void {
    const label = describeAction(effect.step.action);
    const started = clock.now();
    const runMemory = memory ?? { reason: 'failover', demotedAt: {} };
    emit({
      type: 'step-started',
      at: started,
      step: label,
      attempt: effect.attempt,
      compensating: effect.compensating,
    });
    log.info(
      {},
      `step ${label} (attempt ${effect.attempt} of ${effect.step.attempts})${effect.compensating ? ', undoing' : ''}`,
    );
    stepInFlight = executeAction(executorContext, runMemory, effect.step.action, effect.step.timeoutMs).then(
      async (executed) => {
        const at = clock.now();
        if (!(await licensed)) {
          stepInFlight = undefined;
          return;
        }
        const { refusal, ...result } = executed;
        emit({
          type: 'step-finished',
          at,
          step: label,
          ok: result.ok,
          ms: at - started,
          ...(result.ok ? {} : { detail: result.detail }),
        });
        stepInFlight = undefined;
        await dispatch({
          type: 'step-result',
          token: effect.token,
          result,
          at,
          ...(refusal === undefined ? {} : { refusal }),
        });
      },
    );
  }

  async function observeCluster(now: number, needProof: boolean): Promise<void> {
    // A proof for an unreachable active needs a fresh slot and vote read together; otherwise
    // the cluster is read every slot_check_interval, or more often for a tower floor (core).
    if (!needProof && now - lastClusterReadAt < clusterReadEveryMs) return;
    lastClusterReadAt = now;
    const [round, gossipReading] = await Promise.all([evidence.read(), options.gossip?.read()]);
    if (round.clusterSlot !== null) {
      clusterSlot = round.clusterSlot;
      if (clusterSlotFailing) log.info({}, 'cluster slot readable again');
      clusterSlotFailing = false;
    } else if (!clusterSlotFailing) {
      // Reported once; until it recovers the old reading ages and core stops using it for lag.
      log.warn(
        {},
        `cluster slot unavailable: ${round.shortfall ?? 'no endpoint answered'}; the lag rule is suspended while the slot is stale`,
      );
      clusterSlotFailing = true;
    }
    if (round.vote !== null) vote = round.vote;
    // Said once, and once when it recovers: without a vote reading there is no proof and no tower floor.
    const voteMissing = round.vote === null && options.voteAccountPubkey !== undefined;
    if (voteMissing && !voteFailing) log.warn({}, `vote account evidence unavailable: ${round.shortfall ?? ''}`);
    if (!voteMissing && voteFailing) log.info({}, 'vote account readable again');
    voteFailing = voteMissing;
    if (gossipReading?.ok === true) gossip = gossipReading.value;
    else if (gossipReading !== undefined && !gossipReading.ok)
      log.debug({}, `gossip unavailable: ${gossipReading.detail}`);
  }

  /** The phase as of now; a change of phase is logged once. */
  async function readConsensus(): Promise<ConsensusView | undefined> {
    if (options.consensus === undefined) return undefined;
    const before = options.consensus.current();
    const view = await options.consensus.read();
    if (view.phase !== before.phase)
      log[view.phase === 'unknown' ? 'warn' : 'info'](
        { phase: view.phase },
        `consensus phase ${before.phase} → ${view.phase}: ${view.detail}`,
      );
    return view;
  }

  async function tick(): Promise<void> {
    if (options.standDown?.() === true) return;
    const entries = await Promise.all(
      NODE_IDS.map(async (node): Promise<[NodeId, NodeObservation]> => [node, await options.agents[node].status()]),
    );
    const nodes = Object.fromEntries(entries) as Record<NodeId, NodeObservation>;
    for (const node of NODE_IDS) if (answered(nodes[node])) heardAt[node] = clock.now();
    const needProof = NODE_IDS.some((node) => !nodes[node].reachable);
    const [consensus] = await Promise.all([readConsensus(), observeCluster(clock.now(), needProof)]);
    const observation: Observation = {
      at: clock.now(),
      nodes,
      clusterSlot,
      vote,
      gossip,
      ...(consensus === undefined ? {} : { consensus }),
    };
    options.onObservation?.(observation);
    await dispatch({ type: 'tick', observation });
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      const startedAt = clock.now();
      tickInFlight = tick()
        .catch((error: unknown) =>
          log.error({}, `heartbeat failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          tickInFlight = undefined;
          const again = tickAgain;
          tickAgain = false;
          schedule(again ? 0 : Math.max(0, options.heartbeatIntervalMs - (clock.now() - startedAt)));
        });
    }, delayMs);
  }

  /**
   * Runs the next heartbeat now: its `/status` of both agents is the check that confirms an
   * exit an agent reported, and core fails over on it without counting misses.
   */
  function heartbeatNow(): void {
    if (!running) return;
    if (tickInFlight !== undefined) {
      tickAgain = true;
      return;
    }
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    schedule(0);
  }

  /**
   * Holds a `/watch` at the agent of `node` for as long as the monitor runs. The agent answers
   * the moment its validator process is found otherwise than the last answer said; an exit it
   * saw brings the heartbeat forward. An agent that cannot be asked is asked again after a
   * heartbeat interval (its silence is the heartbeat's to judge); one without `/watch` is not
   * asked again.
   */
  async function watchAgent(node: NodeId, port: AgentPort, signal: AbortSignal): Promise<void> {
    const watch = port.watch?.bind(port);
    if (watch === undefined) return;
    const waitMs = options.watchWaitMs ?? DEFAULT_WATCH_WAIT_MS;
    let believed = true;
    let failing = false;
    while (!signal.aborted) {
      const asked = clock.now();
      const outcome = await watch(believed, waitMs, signal);
      if (signal.aborted) return;
      if (!outcome.ok) {
        if (outcome.unsupported) {
          log.info(
            { node },
            `${node}: its agent has no /watch (${outcome.detail}); its validator's exits are seen by heartbeats only`,
          );
          return;
        }
        if (!failing)
          log.debug({ node }, `${node}: /watch failed: ${outcome.detail}; asking again in a heartbeat interval`);
        failing = true;
        await sleep(clock, options.heartbeatIntervalMs, signal);
        continue;
      }
      if (failing) log.debug({ node }, `${node}: /watch answers again`);
      failing = false;
      if (outcome.running === believed) {
        // Nothing changed, yet the agent did not hold the request: it is closing. Not a busy loop.
        if (clock.now() - asked < waitMs / 2) await sleep(clock, options.heartbeatIntervalMs, signal);
        continue;
      }
      believed = outcome.running;
      if (outcome.running || outcome.exitedAt === null) continue;
      log.info(
        { node, exited_at: new Date(outcome.exitedAt).toISOString() },
        `${node}: its agent saw the validator process exit; checking both nodes now`,
      );
      heartbeatNow();
    }
  }

  for (const effect of restored.effects) if (effect.kind !== 'journal') execute(effect);

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
      const abort = new AbortController();
      watching = {
        abort,
        loops: NODE_IDS.map((node) =>
          watchAgent(node, options.agents[node], abort.signal).catch((error: unknown) =>
            log.error({ node }, `watch of ${node} failed: ${error instanceof Error ? error.message : String(error)}`),
          ),
        ),
      };
    },
    async stop() {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      if (watching !== undefined) {
        watching.abort.abort();
        await Promise.all(watching.loops);
        watching = undefined;
      }
      await tickInFlight;
      await stepInFlight;
      await queue;
    },
    tick,
    async idle() {
      for (;;) {
        const pending = queue;
        if (stepInFlight !== undefined) await stepInFlight;
        else await pending;
        if (stepInFlight === undefined && pending === queue) return;
      }
    },
    snapshot: () => ({ state, observation: state.lastObservation }),
    requestSwitchover(reason, to) {
      const requestId = `switchover-${++requestCounter}`;
      return new Promise<SwitchoverAnswer>((resolve) => {
        pendingAnswers.set(requestId, resolve);
        void dispatch({ type: 'switchover-requested', requestId, reason, to, at: clock.now() });
      });
    },
    requestPause(reason, forMs) {
      return askPause((requestId) => ({ type: 'pause-requested', requestId, reason, forMs, at: clock.now() }));
    },
    requestResume(reason) {
      return askPause((requestId) => ({ type: 'resume-requested', requestId, reason, at: clock.now() }));
    },
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Whether the agent itself answered: a refused signature or a malformed answer still came from
 * a live process at its address, which may be the agent; only silence starts the guard's bound.
 */
function answered(observation: NodeObservation): boolean {
  return observation.reachable || observation.reason === 'rejected' || observation.reason === 'error';
}
