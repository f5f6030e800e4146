/**
 * The election of highly available managers, in etcd: the imperative shell around core's
 * `stepLeadership`. Each manager holds a lease, renewed by hand every fifth of the TTL (never
 * the client's own keepalive loop, whose `lost` event comes at about twice the TTL), and
 * registers itself under `<prefix>/members/` with it. The leader is whoever created
 * `<prefix>/leader` on its lease, in a transaction that succeeds only while the key is absent;
 * its term is recorded in `<prefix>/term` before it commands. Followers watch the key and run
 * for it as soon as it is gone, and also try at every renewal, in case a watch event is lost.
 *
 * Keys under the prefix:
 * - `leader`: the leader's member record, on its lease; its create revision guards every write of
 *   that leader (term, journal);
 * - `members/<sender>`: each running manager's record, on its lease, for `status`;
 * - `term`: the highest term a leader recorded, in decimal;
 * - `journal`: the journal document (`etcd-journal.ts`).
 */
import type { Etcd3, IOptions, Lease, Watcher } from 'etcd3';
import {
  electionTerm,
  leaseTiming,
  mayCommand,
  stepLeadership,
  type Clock,
  type Leadership,
  type LeadershipEvent,
  type LeaseTiming,
  type Logger,
  type TimerHandle,
} from '@failover/core';
import type { ElectionConfig } from '@failover/protocol';

/** A running manager as it registers itself, and as `status` names it. */
export interface ManagerMember {
  /** Its sender id, `manager-<16 hex digits>`. */
  readonly sender: string;
  /** Its host name. */
  readonly host: string;
  /** Its control API, `host:port`. */
  readonly control: string;
}

/** Who leads and who follows, as this manager last read it from etcd. */
export interface ElectionView {
  /** This manager's own standing. */
  readonly role: 'leader' | 'follower';
  /** The leader and the term it recorded; null while nobody leads. */
  readonly leader: (ManagerMember & { readonly term: number | null }) | null;
  /** The other registered managers. */
  readonly followers: readonly ManagerMember[];
  /** `election_lease_ttl`. */
  readonly leaseTtlMs: number;
}

/** What the journal's writes are guarded by: the leader key and its create revision. */
export interface LeaderGuard {
  readonly leaderKey: string;
  readonly keyRevision: number;
}

/** Options of {@link createElection}. */
export interface ElectionOptions {
  readonly config: ElectionConfig;
  /** This manager, as it registers itself; read each time it registers or runs. */
  readonly self: () => ManagerMember;
  /** This manager's local term, raised for this start: a new leader's term is never below it. */
  readonly localTerm: number;
  /** A monotonic clock: a wall clock stepped back would move the leader's deadline later. */
  readonly clock: Clock;
  readonly log: Logger;
  /** Called when this manager starts leading, with its term. */
  readonly onLead: (term: number, guard: LeaderGuard) => void;
  /** Called, before anything else, the moment this manager stops leading. */
  readonly onStepDown: (term: number, reason: string) => void;
  /** Extra etcd3 options (TLS, auth); endpoints and deadlines are the election's. */
  readonly clientOptions?: Omit<IOptions, 'hosts'>;
}

/** The running election of one manager. */
export interface Election {
  /** The client, shared with the journal; etcd3 is loaded and connected on first use. */
  readonly client: () => Promise<Etcd3>;
  readonly timing: LeaseTiming;
  readonly prefix: string;
  /** Starts campaigning; the first attempt runs at once. */
  start(): void;
  /** Whether this manager may send a command now: it leads and its own deadline has not passed. */
  mayCommand(): boolean;
  /** The guard of this leader's writes; null while not leading or past the deadline. */
  guard(): LeaderGuard | null;
  /** Stops leading now (a guarded write was refused: another manager leads). */
  lost(detail: string): void;
  /**
   * Stops leading because an agent obeys `term` from another manager: records it, while this
   * manager still holds the leader key, so that the next leader's term is above it.
   */
  yieldTo(term: number, detail: string): Promise<void>;
  view(): ElectionView;
  /** Stops campaigning and renewing, and gives the lease up so that another manager takes over at once. */
  stop(): Promise<void>;
}

/** Creates the election; nothing is sent before `start()`. */
export function createElection(options: ElectionOptions): Election {
  const { config, clock, log } = options;
  const timing = leaseTiming(config.leaseTtlMs);
  const callTimeoutMs = timing.marginMs;
  const prefix = config.prefix.replace(/\/+$/, '');
  const keys = {
    leader: `${prefix}/leader`,
    term: `${prefix}/term`,
    member: `${prefix}/members/${options.self().sender}`,
  };
  let connecting: Promise<Etcd3> | undefined;
  let leadership: Leadership = { status: 'following' };
  let lease: Lease | undefined;
  let leaseId: string | undefined;
  /** When the last grant or renewal etcd answered was sent. */
  let answeredSentAt = -Infinity;
  let watcher: Promise<Watcher | undefined> | undefined;
  let cycleTimer: TimerHandle | undefined;
  let deadlineTimer: TimerHandle | undefined;
  let running = false;
  let cycling: Promise<void> | undefined;
  let again = false;
  let lastProblem: string | undefined;
  let view: ElectionView = { role: 'follower', leader: null, followers: [], leaseTtlMs: config.leaseTtlMs };

  // Loaded on first use, not at import: a manager without an election never pays for gRPC.
  const client = (): Promise<Etcd3> =>
    (connecting ??= import('etcd3').then(
      ({ Etcd3: Client }) =>
        new Client({
          ...options.clientOptions,
          hosts: [...config.endpoints],
          dialTimeout: callTimeoutMs,
          grpcOptions: {
            'grpc.initial_reconnect_backoff_ms': 100,
            'grpc.max_reconnect_backoff_ms': timing.renewEveryMs,
            ...options.clientOptions?.grpcOptions,
          },
          // etcd3 sets no deadline by default: a call into a partition hung for 20 s+ (STACK-NOTES).
          defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
        }),
    ));

  function apply(event: LeadershipEvent): void {
    const step = stepLeadership(leadership, event, timing);
    leadership = step.state;
    if (deadlineTimer !== undefined) clock.clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    if (leadership.status === 'leading') {
      const deadline = leadership.deadline;
      deadlineTimer = clock.setTimeout(() => apply({ type: 'tick', at: clock.now() }), deadline - clock.now());
    }
    for (const effect of step.effects) {
      if (effect.kind === 'lead') {
        const guard = {
          leaderKey: keys.leader,
          keyRevision: leadership.status === 'leading' ? leadership.keyRevision : 0,
        };
        log.warn({ term: effect.term, ttl_ms: config.leaseTtlMs }, `elected leader with term ${effect.term}`);
        view = { ...view, role: 'leader', leader: { ...options.self(), term: effect.term } };
        options.onLead(effect.term, guard);
      } else {
        log.error({ term: effect.term }, `no longer the leader (term ${effect.term}): ${effect.reason}`);
        view = { ...view, role: 'follower' };
        options.onStepDown(effect.term, effect.reason);
        void dropLease();
      }
    }
  }

  /** Gives the lease up: our keys go, and another manager may be elected at once. */
  function dropLease(): Promise<void> {
    const dropped = lease;
    lease = undefined;
    leaseId = undefined;
    answeredSentAt = -Infinity;
    return dropped === undefined
      ? Promise.resolve()
      : dropped.revoke({ deadline: Date.now() + callTimeoutMs }).catch(() => undefined);
  }

  async function renew(): Promise<void> {
    // After the client is there: loading etcd3 at the first cycle takes seconds on a busy host,
    // and a grant counted from before it would be too old to lead on.
    const etcdClient = await client();
    const sentAt = clock.now();
    if (lease === undefined || leaseId === undefined) {
      const fresh = etcdClient.lease(Math.round(config.leaseTtlMs / 1000), {
        autoKeepAlive: false,
        deadline: Date.now() + callTimeoutMs,
      });
      lease = fresh;
      leaseId = await fresh.grant();
      answeredSentAt = sentAt;
      await etcdClient.put(keys.member).value(JSON.stringify(options.self())).lease(leaseId);
      return;
    }
    await lease.keepaliveOnce({ deadline: Date.now() + callTimeoutMs });
    answeredSentAt = Math.max(answeredSentAt, sentAt);
    apply({ type: 'renewed', at: clock.now(), sentAt });
  }

  async function campaign(): Promise<void> {
    if (leaseId === undefined || leadership.status === 'leading') return;
    const etcdClient = await client();
    const won = await etcdClient
      .if(keys.leader, 'Create', '==', 0)
      .then(etcdClient.put(keys.leader).value(JSON.stringify(options.self())).lease(leaseId), etcdClient.get(keys.term))
      .commit();
    if (!won.succeeded) return;
    const keyRevision = Number(won.header.revision);
    const recorded = Number(won.responses[1]?.response_range?.kvs[0]?.value.toString() ?? '0');
    const term = electionTerm(keyRevision, Number.isSafeInteger(recorded) ? recorded : 0, options.localTerm);
    // The term is recorded before the leader commands, and only while the key is still its own.
    const recordedTerm = await etcdClient
      .if(keys.leader, 'Create', '==', keyRevision)
      .then(etcdClient.put(keys.term).value(String(term)))
      .commit();
    if (!recordedTerm.succeeded) return;
    apply({ type: 'won', at: clock.now(), term, keyRevision, sentAt: answeredSentAt });
  }

  async function readView(): Promise<void> {
    const all = await (await client()).getAll().prefix(`${prefix}/`).exec();
    let leader: ManagerMember | null = null;
    let leaderRevision: number | undefined;
    let term: number | null = null;
    let leaderLease: string | undefined;
    const members: ManagerMember[] = [];
    for (const kv of all.kvs) {
      const key = kv.key.toString();
      if (key === keys.leader) {
        leader = parseMember(kv.value.toString());
        leaderRevision = Number(kv.create_revision);
        leaderLease = kv.lease;
      } else if (key === keys.term) term = Number(kv.value.toString());
      else if (key.startsWith(`${prefix}/members/`)) {
        const member = parseMember(kv.value.toString());
        if (member !== null) members.push(member);
      }
    }
    if (leadership.status === 'leading' && leaderRevision !== leadership.keyRevision) {
      apply({
        type: 'lost',
        at: clock.now(),
        detail:
          leader === null ? 'the leader key is gone' : `the leader key is ${leader.sender}'s (on ${leader.host}) now`,
      });
    }
    if (leadership.status === 'following' && leaderLease !== undefined && leaderLease === leaseId) {
      // Won, but could not take it up (the term not recorded in time): a key this manager keeps
      // alive without leading would stop everyone for good. Let it go.
      log.warn({}, 'holding the leader key without leading; giving the lease up');
      await dropLease();
    }
    view = {
      role: leadership.status === 'leading' ? 'leader' : 'follower',
      leader: leader === null ? null : { ...leader, term },
      followers: members.filter((m) => m.sender !== leader?.sender),
      leaseTtlMs: config.leaseTtlMs,
    };
  }

  function watchLeader(): void {
    watcher ??= client()
      .then((etcdClient) => etcdClient.watch().key(keys.leader).create())
      .then(
        (created) => {
          // The key gone: run for it now, not at the next renewal.
          created.on('delete', () => trigger());
          created.on('put', (kv) => {
            if (leadership.status === 'leading' && Number(kv.create_revision) !== leadership.keyRevision)
              apply({ type: 'lost', at: clock.now(), detail: 'another manager created the leader key' });
          });
          created.on('error', () => undefined);
          return created;
        },
        () => {
          watcher = undefined;
          return undefined;
        },
      );
  }

  async function cycle(): Promise<void> {
    const startedAt = clock.now();
    try {
      watchLeader();
      await renew();
      await campaign();
      await readView();
      if (lastProblem !== undefined) log.info({}, `etcd answers again (${config.endpoints.join(',')})`);
      lastProblem = undefined;
    } catch (error) {
      const detail = (error as Error).message;
      // Reported once per outage; a renewal that keeps failing lets the deadline pass by itself.
      if (lastProblem === undefined)
        log.warn({ endpoints: config.endpoints }, `etcd election: ${detail}; retrying every ${timing.renewEveryMs} ms`);
      lastProblem = detail;
      if (isLeaseGone(error)) {
        // etcd answered: the lease is gone (expired while this manager was frozen or cut off). A
        // fresh one is granted at the next cycle; renewing the old one would fail for ever.
        apply({ type: 'lost', at: clock.now(), detail: 'etcd says the lease expired' });
        void dropLease();
      }
    }
    apply({ type: 'tick', at: clock.now() });
    if (running) {
      if (cycleTimer !== undefined) clock.clearTimeout(cycleTimer);
      cycleTimer = clock.setTimeout(trigger, Math.max(0, timing.renewEveryMs - (clock.now() - startedAt)));
    }
  }

  /** Runs a cycle now, or right after the one in progress. */
  function trigger(): void {
    if (!running) return;
    if (cycling !== undefined) {
      again = true;
      return;
    }
    cycling = cycle().finally(() => {
      cycling = undefined;
      if (again) {
        again = false;
        trigger();
      }
    });
  }

  return {
    client,
    timing,
    prefix,
    start() {
      if (running) return;
      running = true;
      trigger();
    },
    mayCommand: () => mayCommand(leadership, clock.now()),
    guard: () =>
      mayCommand(leadership, clock.now()) && leadership.status === 'leading'
        ? { leaderKey: keys.leader, keyRevision: leadership.keyRevision }
        : null,
    lost(detail) {
      apply({ type: 'lost', at: clock.now(), detail });
    },
    async yieldTo(term, detail) {
      if (leadership.status !== 'leading') return;
      const { keyRevision } = leadership;
      // Recorded while the key is still ours (the fence already sends nothing), then let go. Only
      // a leader writes the term, under its own key, so reading first races with nobody.
      try {
        const etcdClient = await client();
        const recorded = Number((await etcdClient.get(keys.term)) ?? '0');
        if (!(recorded >= term))
          await etcdClient
            .if(keys.leader, 'Create', '==', keyRevision)
            .then(etcdClient.put(keys.term).value(String(term)))
            .commit();
      } catch (error) {
        log.warn({ term }, `could not record term ${term} in etcd: ${(error as Error).message}`);
      }
      apply({ type: 'lost', at: clock.now(), detail });
    },
    view: () => ({ ...view, role: mayCommand(leadership, clock.now()) ? 'leader' : 'follower' }),
    async stop() {
      running = false;
      if (cycleTimer !== undefined) clock.clearTimeout(cycleTimer);
      await cycling;
      if (leadership.status === 'leading') apply({ type: 'lost', at: clock.now(), detail: 'the manager is stopping' });
      await dropLease();
      const watching = await watcher;
      await watching?.cancel().catch(() => undefined);
      if (connecting !== undefined) (await connecting).close();
    },
  };
}

/** etcd3 throws `EtcdLeaseInvalidError` (no `name` of its own) for a renewal, "lease not found" for a put. */
function isLeaseGone(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.constructor.name === 'EtcdLeaseInvalidError' || /lease not found|expired or revoked/i.test(error.message))
  );
}

function parseMember(text: string): ManagerMember | null {
  try {
    const value = JSON.parse(text) as Partial<ManagerMember>;
    return typeof value.sender === 'string' && typeof value.host === 'string' && typeof value.control === 'string'
      ? { sender: value.sender, host: value.host, control: value.control }
      : null;
  } catch {
    return null;
  }
}
