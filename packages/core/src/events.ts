/**
 * What the manager tells operators: failover reasons, the causes that hold a failover back,
 * and the events the notifier formats. Plain data, so a notifier can render them without
 * knowing the manager.
 */
import type { HealthReason, NodeId, Role, UnreachableReason } from './types';

/** Why a failover was started or wanted. */
export type FailoverReason =
  | {
      readonly kind: 'unhealthy';
      readonly node: NodeId;
      readonly misses: number;
      readonly reasons: readonly HealthReason[];
    }
  | { readonly kind: 'switchover'; readonly text: string }
  /** `node` claims the staked identity while `holder`, to whom this manager gave it, holds it: demote `node` (S1). */
  | { readonly kind: 'fence'; readonly node: NodeId; readonly holder: NodeId }
  /**
   * Nobody votes: both nodes answer as settled passives, and have since `since` (for `ticks`
   * heartbeats); `node`, the last node seen holding the identity, stepped down on its own.
   */
  | { readonly kind: 'no-voter'; readonly node: NodeId; readonly since: number; readonly ticks: number };

/**
 * Why a wanted failover is not happening, or why no failover can be decided at all.
 * Reported once per cause (see {@link blockCauseKey}), again when the cause changes, and
 * with an `unblocked` event when it clears.
 */
export type BlockCause =
  | { readonly kind: 'startup-grace'; readonly until: number }
  | { readonly kind: 'cooldown'; readonly until: number }
  | { readonly kind: 'passive-unreachable'; readonly node: NodeId; readonly detail: string }
  | { readonly kind: 'passive-unhealthy'; readonly node: NodeId; readonly reasons: readonly HealthReason[] }
  | {
      readonly kind: 'old-active-still-voting';
      readonly node: NodeId;
      readonly lastVote: number;
      readonly clusterSlot: number;
    }
  | { readonly kind: 'no-vote-proof'; readonly node: NodeId; readonly detail: string }
  /**
   * `node`'s agent refused to take the identity: the newest tower it can restore ends at
   * `towerSlot` (null: no vote in it), before the vote account's `lastVote` (S2); with `file`
   * `vote-history`, the newest Alpenglow vote history does. Retried every heartbeat, since a
   * later backup may arrive.
   */
  | {
      readonly kind: 'stale-tower';
      readonly node: NodeId;
      readonly file?: 'tower' | 'vote-history';
      readonly towerSlot: number | null;
      readonly lastVote: number;
    }
  /**
   * No tower floor for a promotion of `node` (`detail` says why: `vote_account_pubkey` unset,
   * or the vote account unreadable): nothing is promoted without one (S2). Re-checked every
   * heartbeat.
   */
  | { readonly kind: 'no-tower-floor'; readonly node: NodeId; readonly detail: string }
  /**
   * Both nodes report passive, yet the vote account voted at `lastVote`, less than the stale
   * threshold behind `clusterSlot`: something may still vote with the identity, so nobody is
   * promoted until the votes are stale.
   */
  | { readonly kind: 'votes-without-holder'; readonly lastVote: number; readonly clusterSlot: number }
  /**
   * Consensus vetoes (docs/safety.md, "Alpenglow"). `migrating`: the cluster is migrating to
   * Alpenglow, or its phase is unknown, and `lastVote` stalls for everyone, so vote evidence
   * proves nothing.
   */
  | { readonly kind: 'migrating'; readonly phase: 'migrating' | 'unknown'; readonly detail: string }
  /** Under Alpenglow the cluster is not finalizing: every vote account's `lastVote` is frozen. */
  | { readonly kind: 'standstill'; readonly detail: string }
  /** Under Alpenglow the vote account is not eligible to vote this epoch (VAT): no failover can fix it. */
  | { readonly kind: 'vote-account-excluded'; readonly detail: string }
  /** Under Alpenglow `node` has not migrated, or is on another Alpenglow genesis: it is not promoted. */
  | { readonly kind: 'local-not-migrated'; readonly node: NodeId; readonly detail: string }
  | { readonly kind: 'both-active' }
  | { readonly kind: 'no-active' }
  | { readonly kind: 'identity-elsewhere'; readonly ip: string }
  | { readonly kind: 'dry-run'; readonly from: NodeId; readonly to: NodeId }
  /**
   * The journal could not be written (`detail` says why): a step the manager cannot record is
   * never executed, so nothing is acted on until the manager is restarted.
   */
  | { readonly kind: 'journal-unwritable'; readonly detail: string }
  /**
   * An operator paused the manager for maintenance (`reason`, until `until`, null: until resumed):
   * no automatic failover and no recovery start until it is resumed or expires.
   */
  | { readonly kind: 'paused'; readonly reason: string; readonly until: number | null };

/**
 * The identity of a cause for "report once": the kind and the node it concerns, not the
 * numbers inside it, which move every tick (slots, reasons) and would otherwise re-notify.
 */
export function blockCauseKey(cause: BlockCause): string {
  return 'node' in cause ? `${cause.kind}:${cause.node}` : cause.kind;
}

/** How long one executed step of a failover took. */
export interface StepTiming {
  /** Human label of the step, e.g. `demote validator1`. */
  readonly step: string;
  /** Milliseconds from the first attempt's start to the final result. */
  readonly ms: number;
  /** Attempts made. */
  readonly attempts: number;
  /** Whether the step finally succeeded. */
  readonly ok: boolean;
  /** Whether the step was part of a rollback. */
  readonly compensating: boolean;
}

/** One node's line in the periodic status report. */
export interface NodeSummary {
  /** Which node. */
  readonly node: NodeId;
  /** Whether it answered in the last tick. */
  readonly reachable: boolean;
  /** Its reported role, `unknown` when unreachable. */
  readonly role: Role;
  /** Its slot, when known. */
  readonly slot: number | null;
  /** Whether the last assessment found it healthy. */
  readonly healthy: boolean;
}

/** Every event the notifier formats. `at` is when it happened. */
export type FailoverEvent =
  | { readonly type: 'started'; readonly at: number; readonly dryRun: boolean }
  | { readonly type: 'stopped'; readonly at: number; readonly reason: string }
  | {
      readonly type: 'failover-started';
      readonly at: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: FailoverReason;
    }
  | {
      readonly type: 'failover-complete';
      readonly at: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: FailoverReason;
      readonly steps: readonly StepTiming[];
      readonly totalMs: number;
      readonly warnings: readonly string[];
    }
  | {
      readonly type: 'failover-failed';
      readonly at: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: FailoverReason;
      /** `aborted`: stopped before anything changed hands; `failed`: a half-state, operator needed. */
      readonly outcome: 'aborted' | 'failed';
      readonly failedStep: string;
      readonly detail: string;
      readonly steps: readonly StepTiming[];
    }
  | {
      readonly type: 'rolled-back';
      readonly at: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: FailoverReason;
      readonly failedStep: string;
      readonly detail: string;
      readonly steps: readonly StepTiming[];
    }
  | { readonly type: 'blocked'; readonly at: number; readonly cause: BlockCause }
  | { readonly type: 'unblocked'; readonly at: number; readonly cause: BlockCause }
  | {
      readonly type: 'unreachable';
      readonly at: number;
      readonly node: NodeId;
      readonly reason: UnreachableReason;
      readonly detail: string;
    }
  | { readonly type: 'back-online'; readonly at: number; readonly node: NodeId; readonly downForMs: number }
  | {
      readonly type: 'status-report';
      readonly at: number;
      readonly active: NodeId | null;
      readonly nodes: readonly NodeSummary[];
    }
  | { readonly type: 'activated'; readonly at: number; readonly node: NodeId; readonly previous: NodeId | null }
  /** `node` came back claiming the staked identity that `holder` holds by this manager's failover; it is being demoted. */
  | { readonly type: 'fence-started'; readonly at: number; readonly node: NodeId; readonly holder: NodeId }
  /**
   * A manager that started again took up the plan the journal found half done: `step` is the
   * step it runs first (the one in flight when the manager stopped, or the next one), `startedAt`
   * when the plan began and `term` the term of the manager that began it.
   */
  | {
      readonly type: 'failover-resumed';
      readonly at: number;
      readonly plan: 'switchover' | 'fence' | 'recovery';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: FailoverReason;
      readonly step: string;
      readonly startedAt: number;
      readonly term: number;
    }
  /**
   * `node`'s agent completed a role change of a failover, but something failed along the way
   * without stopping it: a post hook, a hook that need not succeed, a step it continued past.
   * The change stands; `warnings` are the agent's own words. With `check_promote` nothing
   * changed yet: a switchover's `pre_promote` hook failed without having to succeed, and the
   * switchover goes on without running it again.
   */
  | {
      readonly type: 'role-change-warning';
      readonly at: number;
      readonly node: NodeId;
      readonly action: 'become_active' | 'become_passive' | 'check_promote';
      readonly warnings: readonly string[];
    }
  /** A setting that makes failover unsafe or unreliable, found at start-up; `key` is its name in the config file. */
  | { readonly type: 'config-warning'; readonly at: number; readonly key: string; readonly message: string }
  /**
   * `node` took the staked identity but no vote of it has landed after `waitedMs` of the
   * failover's `verify voting` step, which keeps waiting; `detail` says what is missing.
   */
  | {
      readonly type: 'no-vote-yet';
      readonly at: number;
      readonly node: NodeId;
      readonly waitedMs: number;
      readonly detail: string;
    }
  /**
   * This manager stood down for the rest of its run: `node`'s agent obeys `highestTerm` of
   * `highestSender`, which this manager's `term` does not reach (or equals, from another
   * sender). It sends no more commands.
   */
  | {
      readonly type: 'deposed';
      readonly at: number;
      readonly node: NodeId;
      readonly term: number;
      readonly sender: string;
      readonly highestTerm: number;
      readonly highestSender: string;
    }
  /**
   * `node`'s agent heard, within its window, from senders other than this manager (`self`):
   * two managers talk to the pair. The agents obey only the highest term.
   */
  | {
      readonly type: 'other-manager';
      readonly at: number;
      readonly node: NodeId;
      readonly self: string;
      readonly senders: readonly { readonly sender: string; readonly term: number }[];
    }
  /**
   * Both agents answer to the node name `name`: a request signed for one would be obeyed by
   * the other, so this manager commands neither.
   */
  | { readonly type: 'node-name-conflict'; readonly at: number; readonly name: string }
  /** An operator paused automatic failover for maintenance (`reason`), until `until` (null: until resumed). */
  | { readonly type: 'paused'; readonly at: number; readonly reason: string; readonly until: number | null }
  /**
   * Automatic failover is armed again: an operator resumed it (`text`, when given) or the pause
   * given a duration expired. `pausedAt` is when the pause began.
   */
  | {
      readonly type: 'resumed';
      readonly at: number;
      readonly reason: 'operator' | 'expired';
      readonly text: string | null;
      readonly pausedAt: number;
    }
  /** The fence of `node` ended: `ok` when it no longer holds the identity; otherwise `failedStep` and `detail` say where it stopped. */
  | {
      readonly type: 'fence-ended';
      readonly at: number;
      readonly node: NodeId;
      readonly holder: NodeId;
      readonly ok: boolean;
      readonly failedStep: string | null;
      readonly detail: string | null;
      readonly steps: readonly StepTiming[];
    };
