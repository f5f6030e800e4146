/**
 * The manager machine's vocabulary: its state, the events it folds and the effects it asks
 * the app to execute. Plain data, so a run can be recorded and replayed.
 */
import type { BlockCause, FailoverEvent, FailoverReason, StepTiming } from './events';
import type { FailoverAction, FailoverPlan } from './failover-plan';
import type { LogEffect } from './log-effect';
import type { ManagerMachineConfig, ManagerMachineOptions } from './manager-config';
import type { JournaledPause, JournaledRun, JournalRecord } from './manager-journal';
import type { NodeTrack } from './manager-tracking';
import type { PlanStep, SequenceRun, StepResult } from './step-sequence';
import type { NodeId, Observation } from './types';

/** What a run keeps from its start to its end. */
export interface RunInfo {
  /** The run's id in the journal. */
  readonly id: number;
  /** The plan being run. */
  readonly plan: FailoverPlan;
  /** Why it was started. */
  readonly reason: FailoverReason;
  /** When it started. */
  readonly startedAt: number;
  /** The cooldown the run interrupted (a fence, a switchover), resumed when it ends. */
  readonly resumeCooldownUntil: number | null;
}

/** The failover (or fence) in flight. */
export interface FailoverRun extends RunInfo {
  /** Where the plan is. */
  readonly run: SequenceRun<FailoverAction>;
  /** The token the running step's result must carry. */
  readonly token: number;
  /** When the running step's first attempt started. */
  readonly stepStartedAt: number;
  /** Steps finished so far. */
  readonly timings: readonly StepTiming[];
}

/** What every state of the manager machine holds. */
export interface ManagerCommon {
  /** The settings in force. */
  readonly config: ManagerMachineConfig;
  /** When the manager started (the grace period counts from here). */
  readonly startedAt: number;
  /** Each node's memory between ticks. */
  readonly nodes: Readonly<Record<NodeId, NodeTrack>>;
  /** The node last known to hold the staked identity. */
  readonly active: NodeId | null;
  /**
   * The node this manager gave the identity to (a completed failover, or a rollback that
   * handed it back); null after start-up and after a failed failover. Only a holder recorded
   * here licenses a fence: without one, two claimants are an operator's call.
   */
  readonly holder: NodeId | null;
  /**
   * The node last seen holding the staked identity (claiming it in a tick), or given it by a
   * run of this manager; never taken from configuration. It survives every outcome: it is
   * the node whose tower is newest, and whether any holder was ever known.
   */
  readonly lastHolder: NodeId | null;
  /** Consecutive ticks in which both nodes were confirmed passive; null while one may hold it. */
  readonly nobodyVoting: NobodyVoting | null;
  /** The cause currently holding a failover back, already reported. */
  readonly hold: BlockCause | null;
  readonly nextStatusReportAt: number;
  readonly lastObservation: Observation | null;
  /** The last token handed out. */
  readonly token: number;
  /** The term this manager runs in; every journal record carries it. */
  readonly term: number;
  /** The id of the last run, this manager's or the journal's. */
  readonly runs: number;
  /**
   * The run the journal found in flight at start, taken up at the first heartbeat
   * (`manager-restore`); null once it was, and when there was none.
   */
  readonly interrupted: JournaledRun | null;
  /**
   * Why the journal could not be written, once it could not; from then on nothing is acted on
   * until the manager is restarted, since a step it cannot record may not be executed.
   */
  readonly journalFailure: string | null;
  /**
   * The maintenance pause in force, from an operator's `pause` or the journal at start; null when
   * automatic failover is armed. While it holds, nothing automatic is started: no failover, no
   * recovery. A fence and a plan a previous run left half done still run (`manager-machine`).
   */
  readonly pause: JournaledPause | null;
  /**
   * The pause in force before the last pause or resume: what the journal still holds when that
   * change could not be written, and so what is in force after a `journal-failed` for it.
   */
  readonly pauseBefore: JournaledPause | null;
}

/** A run of ticks in which nobody held the staked identity. */
export interface NobodyVoting {
  /** The first tick of the run. */
  readonly since: number;
  /** Ticks in the run so far. */
  readonly ticks: number;
}

/** The manager machine's state: a union on `status`. */
export type ManagerState =
  | (ManagerCommon & { readonly status: 'monitoring' })
  | (ManagerCommon & { readonly status: 'failing-over'; readonly failover: FailoverRun })
  | (ManagerCommon & { readonly status: 'cooldown'; readonly until: number });

/** What the manager machine reacts to. */
export type ManagerEvent =
  | { readonly type: 'tick'; readonly observation: Observation }
  | {
      readonly type: 'step-result';
      readonly token: number;
      readonly result: StepResult;
      readonly at: number;
      readonly refusal?: StepRefusal;
    }
  | {
      readonly type: 'switchover-requested';
      readonly requestId: string;
      readonly reason: string;
      readonly to: NodeId | null;
      readonly at: number;
    }
  | {
      readonly type: 'pause-requested';
      readonly requestId: string;
      readonly reason: string;
      /** How long the pause lasts; null: until resumed. */
      readonly forMs: number | null;
      readonly at: number;
    }
  | {
      readonly type: 'resume-requested';
      readonly requestId: string;
      /** The operator's words, when given. */
      readonly reason: string | null;
      readonly at: number;
    }
  | { readonly type: 'config-changed'; readonly options: ManagerMachineOptions; readonly at: number }
  /** The records of a `journal` effect could not be made durable; the effects after it were not executed. */
  | {
      readonly type: 'journal-failed';
      readonly detail: string;
      /** The records that were not written: the journal holds what it held before them. */
      readonly records: readonly JournalRecord[];
      readonly at: number;
    };

/**
 * A promotion the agent refused before taking the identity: the newest tower it can restore
 * ends at `towerSlot` (null: no vote in it), before the vote account's `lastVote` (S2); under
 * Alpenglow, the newest vote history. The executor reports it beside the failed step result.
 */
export interface StaleTowerRefusal {
  /** The refusal's kind. */
  readonly kind: 'stale-tower';
  /** The file that ended below the floor. @default 'tower' */
  readonly file?: 'tower' | 'vote-history';
  /** Last voted slot of the newest tower the agent found. */
  readonly towerSlot: number | null;
  /** The vote account's `lastVote` the manager asked the tower to reach. */
  readonly lastVote: number;
}

/**
 * A promotion not even asked for: the executor could not read a tower floor for it from the
 * cluster RPC, after retries (`detail` says why). Nothing was sent to the node.
 */
export interface NoTowerFloorRefusal {
  /** The refusal's kind. */
  readonly kind: 'no-tower-floor';
  /** Why no floor could be read. */
  readonly detail: string;
}

/**
 * The node's `pre_promote` hook, which must succeed, refused the promotion or its check
 * (`check_promote`); nothing was changed. A veto is not transient: the step is not retried.
 */
export interface HookRefusal {
  /** The refusal's kind. */
  readonly kind: 'hook-refused';
}

/**
 * A step refused before anything changed: a stale tower or a missing floor holds the run
 * instead of failing it; a hook's refusal ends the step without a retry.
 */
export type StepRefusal = StaleTowerRefusal | NoTowerFloorRefusal | HookRefusal;

/** Why a switchover request was refused. */
export type SwitchoverRefusal =
  | BlockCause
  | { readonly kind: 'busy' }
  | { readonly kind: 'no-observation' }
  | { readonly kind: 'already-active'; readonly node: NodeId }
  /** The manager is paused: a planned switchover must name the node to take the identity. */
  | { readonly kind: 'paused-needs-to' };

/** The answer to a switchover request. */
export type SwitchoverAnswer =
  | { readonly accepted: true; readonly plan: FailoverPlan }
  | { readonly accepted: false; readonly refusal: SwitchoverRefusal };

/** Why a pause or resume request was refused. */
export type PauseRefusal =
  | { readonly kind: 'journal-unwritable'; readonly detail: string }
  /** A resume while nothing is paused. */
  | { readonly kind: 'not-paused' };

/**
 * The answer to a pause or resume request, given once the pause or its end is journaled:
 * `pause` is the pause now in force (null after a resume), `ended` the one a resume ended.
 */
export type PauseAnswer =
  | { readonly accepted: true; readonly pause: JournaledPause | null; readonly ended: JournaledPause | null }
  | { readonly accepted: false; readonly refusal: PauseRefusal };

/** What the manager app does. */
export type ManagerEffect =
  /**
   * A failover begins, or is taken up after a restart; informational, the steps follow as
   * `run-step`. `run`: its id in the journal; `term`: the term running it now. `demotedAt`: for a
   * plan taken up, when its demotions were sent, from the journal.
   */
  | {
      readonly kind: 'failover';
      readonly plan: FailoverPlan;
      readonly reason: FailoverReason;
      readonly run: number;
      readonly term: number;
      readonly demotedAt?: Readonly<Partial<Record<NodeId, number>>>;
    }
  | {
      readonly kind: 'run-step';
      readonly token: number;
      readonly step: PlanStep<FailoverAction>;
      readonly attempt: number;
      readonly compensating: boolean;
    }
  | { readonly kind: 'notify'; readonly event: FailoverEvent }
  /**
   * Make these records durable before executing the next effect. When they cannot be, the
   * effects after this one are dropped and `journal-failed` is dispatched. It comes right
   * before the `run-step` it licenses, or last, after the news of an outcome.
   */
  | { readonly kind: 'journal'; readonly records: readonly JournalRecord[] }
  | { readonly kind: 'switchover-answer'; readonly requestId: string; readonly answer: SwitchoverAnswer }
  /** Comes after the `journal` effect that records the pause or its end: given only once that is durable. */
  | { readonly kind: 'pause-answer'; readonly requestId: string; readonly answer: PauseAnswer }
  | LogEffect;

/** A new state and the effects to execute, in order. */
export interface ManagerStep {
  /** The next state. */
  readonly state: ManagerState;
  /** Effects to execute, in order. */
  readonly effects: readonly ManagerEffect[];
}
