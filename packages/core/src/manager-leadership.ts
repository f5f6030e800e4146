/**
 * The decisions of highly available managers, without etcd: when a leader may command, when it
 * must stop, and what term it takes. The app keeps a lease in etcd and feeds what it learns in
 * here as events; the effects say when to start or stop commanding.
 *
 * A leader keeps its own deadline — the send time of its last renewal that etcd answered, plus
 * the TTL, minus a margin — and stops commanding the moment it passes, without waiting for etcd
 * or its client to say the lease is lost: etcd expires the lease one TTL after the last renewal it
 * received, so a leader that cannot renew is silent before a second leader can be elected, and the
 * margin is what a command sent just before the deadline has left to reach its agent. The etcd3
 * client reports a lease lost only after about twice the TTL (STACK-NOTES), far too late.
 */

/** The timing of a leader's lease, derived from its TTL (`election_lease_ttl`). */
export interface LeaseTiming {
  /** The lease's time to live in etcd. */
  readonly ttlMs: number;
  /** A renewal is sent this often (and given this long to be answered). */
  readonly renewEveryMs: number;
  /** Taken off the TTL for the leader's own deadline: room for a command sent just before it to arrive. */
  readonly marginMs: number;
}

/** The timing for a TTL: renewals every fifth of it, a margin of a quarter. */
export function leaseTiming(ttlMs: number): LeaseTiming {
  return { ttlMs, renewEveryMs: Math.floor(ttlMs / 5), marginMs: Math.floor(ttlMs / 4) };
}

/**
 * Until when a leader may command, once a renewal (or the grant) sent at `sentAt` was answered:
 * etcd cannot have expired the lease before `sentAt + ttl`, since it counts from when it received
 * the request, which was after it was sent.
 */
export function leaderDeadline(timing: LeaseTiming, sentAt: number): number {
  return sentAt + timing.ttlMs - timing.marginMs;
}

/**
 * The term of a new leader: its leader key's create revision, unless a term recorded before is at
 * least as high. `recordedTerm` is the highest term recorded under the prefix (every leader records
 * its own before it commands), and `localTerm` this manager's own counter raised for this start: a
 * pair commanded by a manager with a local counter before the election was turned on has agents
 * that obey that counter's terms. Create revisions grow with every new leader key, so the result
 * is above every earlier leader's term.
 */
export function electionTerm(createRevision: number, recordedTerm: number, localTerm: number): number {
  return Math.max(createRevision, recordedTerm + 1, localTerm);
}

/** Where a manager stands in the election. */
export type Leadership =
  | { readonly status: 'following' }
  | {
      readonly status: 'leading';
      /** The term it commands with. */
      readonly term: number;
      /** The create revision of its leader key, which guards its writes to etcd. */
      readonly keyRevision: number;
      /** Until when it may command. */
      readonly deadline: number;
    };

/** What the app learned about the lease and the leader key. */
export type LeadershipEvent =
  /** This manager created the leader key and recorded its term; the grant or renewal before it was sent at `sentAt`. */
  | {
      readonly type: 'won';
      readonly at: number;
      readonly term: number;
      readonly keyRevision: number;
      readonly sentAt: number;
    }
  /** etcd answered a renewal sent at `sentAt`: the lease lives. */
  | { readonly type: 'renewed'; readonly at: number; readonly sentAt: number }
  /** The leader key is gone or is another manager's, the lease expired, or a guarded write was refused. */
  | { readonly type: 'lost'; readonly at: number; readonly detail: string }
  /** Time passed (a timer set at the deadline, or any check). */
  | { readonly type: 'tick'; readonly at: number };

/** What the app does about it. */
export type LeadershipEffect =
  /** Start commanding with this term. */
  | { readonly kind: 'lead'; readonly term: number; readonly deadline: number }
  /** Stop commanding now, and let the lease go: another manager may be elected. */
  | { readonly kind: 'step-down'; readonly term: number; readonly reason: string };

/** The next standing and what to do; a pure function of the standing, the event and the timing. */
export function stepLeadership(
  state: Leadership,
  event: LeadershipEvent,
  timing: LeaseTiming,
): { readonly state: Leadership; readonly effects: readonly LeadershipEffect[] } {
  switch (event.type) {
    case 'won': {
      if (state.status === 'leading') return { state, effects: [] };
      const deadline = leaderDeadline(timing, event.sentAt);
      // Won too late to use: the lease may be gone by the time a command arrives.
      if (event.at >= deadline) return { state, effects: [] };
      return {
        state: { status: 'leading', term: event.term, keyRevision: event.keyRevision, deadline },
        effects: [{ kind: 'lead', term: event.term, deadline }],
      };
    }
    case 'renewed': {
      if (state.status !== 'leading') return { state, effects: [] };
      if (event.at >= state.deadline) return stepDown(state, lapsedReason(state, event.at));
      // Answers may come out of order; an older renewal never moves the deadline back.
      const deadline = Math.max(state.deadline, leaderDeadline(timing, event.sentAt));
      return { state: { ...state, deadline }, effects: [] };
    }
    case 'lost':
      return state.status === 'leading' ? stepDown(state, event.detail) : { state, effects: [] };
    case 'tick':
      return state.status === 'leading' && event.at >= state.deadline
        ? stepDown(state, lapsedReason(state, event.at))
        : { state, effects: [] };
  }
}

/** Whether a manager in `state` may send a command at `now`: it leads and its deadline has not passed. */
export function mayCommand(state: Leadership, now: number): boolean {
  return state.status === 'leading' && now < state.deadline;
}

function stepDown(
  state: Extract<Leadership, { status: 'leading' }>,
  reason: string,
): { state: Leadership; effects: readonly LeadershipEffect[] } {
  return { state: { status: 'following' }, effects: [{ kind: 'step-down', term: state.term, reason }] };
}

function lapsedReason(state: Extract<Leadership, { status: 'leading' }>, now: number): string {
  return `the lease was not renewed in time (deadline passed ${now - state.deadline} ms ago)`;
}
