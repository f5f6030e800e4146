/**
 * The agent machine's settings, state, events, answers and effects: the data `stepAgent`
 * folds. Split from the machine so the transitions and the guards can share it.
 */
import type { AgentHooks } from './agent-hooks';
import type { AgentAction, AgentStepTimeouts, RoleChangeDeadlines } from './agent-plan';
import type { LogEffect } from './log-effect';
import type { PlanStep, SequenceRun, StepResult } from './step-sequence';
import type { Role } from './types';

/** Settings of the agent machine. */
export interface AgentMachineConfig {
  /**
   * An active node that has not heard an authenticated manager request for this long asks
   * its peer whether it should step down (`manager_timeout`).
   * @default 30000
   */
  readonly managerTimeoutMs: number;
  /**
   * When no manager was ever heard, the watchdog arms this long after start-up, so a node
   * started before its manager is not left unguarded.
   * @default 60000
   */
  readonly startupGraceMs: number;
  /**
   * Between two peer checks while the manager stays silent.
   * @default 10000
   */
  readonly peerCheckIntervalMs: number;
  /** Time limits of the role-change steps. @default DEFAULT_AGENT_STEP_TIMEOUTS */
  readonly stepTimeouts: Partial<AgentStepTimeouts>;
  /**
   * Overall limits of each role change, before its hooks; the time limits of the hooks a change
   * runs are added to it. @default roleChangeDeadlines(stepTimeouts)
   */
  readonly deadlines?: RoleChangeDeadlines;
  /** The operator's hooks around role changes (`agent-hooks`). @default {} */
  readonly hooks: AgentHooks;
  /**
   * While passive, how often the validator's identity is checked; a staked answer is demoted
   * at once (S3).
   * @default 1000
   */
  readonly identityCheckIntervalMs: number;
  /**
   * An active node that has heard neither the manager, nor its peer, nor the cluster RPC for
   * this long demotes its own validator (`isolation_timeout`); 0 turns the rule off. Shorter
   * than the manager's proof window (`stale_vote_slot_threshold` slots, about 60s), so an
   * isolated active has stepped down before the manager may promote past it.
   * @default 20000
   */
  readonly isolationTimeoutMs: number;
  /**
   * How often the app sends `watchdog-tick`. A gap of more than three ticks means the agent
   * itself was paused (SIGSTOP, a blocked event loop): the silence it measured is its own, so
   * isolation is counted afresh from the resume instead of firing at once.
   * @default 1000
   */
  readonly tickIntervalMs: number;
}

/** The defaults of {@link AgentMachineConfig}. */
export const DEFAULT_AGENT_MACHINE_CONFIG: AgentMachineConfig = {
  managerTimeoutMs: 30_000,
  startupGraceMs: 60_000,
  peerCheckIntervalMs: 10_000,
  stepTimeouts: {},
  hooks: {},
  identityCheckIntervalMs: 1_000,
  isolationTimeoutMs: 20_000,
  tickIntervalMs: 1_000,
};

/** The peer's answer to "are you active?"; `unreachable` when it did not answer. */
export type PeerAnswer = 'active' | 'passive' | 'unreachable';

/** What started a role change. */
export type TransitionOrigin = 'request' | 'watchdog' | 'stray-identity' | 'isolation' | 'fenced';

/** A role change in progress. */
export interface AgentTransition {
  /** The request to answer when it ends; null when the machine started it itself. */
  readonly requestId: string | null;
  /** What started it. */
  readonly origin: TransitionOrigin;
  /** Past this instant no further forward step starts (see {@link RoleChangeDeadlines}). */
  readonly deadlineAt: number;
  /** The steps and where they are. */
  readonly run: SequenceRun<AgentAction>;
  /** The token the running step's result must carry. */
  readonly token: number;
  /** When the change started. */
  readonly startedAt: number;
}

/** Fields every agent state carries. */
export interface AgentCommon {
  readonly config: AgentMachineConfig;
  readonly startedAt: number;
  /** When the current role settled (start-up, or the end of the last change). */
  readonly settledAt: number;
  /** Last authenticated manager request, null when none yet. */
  readonly lastHeartbeatAt: number | null;
  /** The pending peer question's token, null when none is pending. */
  readonly peerQuestion: number | null;
  /** No peer question before this instant. */
  readonly nextPeerCheckAt: number;
  /** The previous peer answer, to log changes loudly and repeats quietly. */
  readonly lastPeerAnswer: PeerAnswer | null;
  /** The last token handed out. */
  readonly token: number;
  /** Last answer from the peer agent (any answer: it proves a working link), null when none. */
  readonly lastPeerContactAt: number | null;
  /** Last answer from the cluster RPC with a slot past the one before it, null when none. */
  readonly lastClusterContactAt: number | null;
  /** The highest slot the cluster RPC answered a reachability probe with, null before the first. */
  readonly lastClusterSlot: number | null;
  /** The pending reachability probe's token, null when none is pending. */
  readonly reachabilityProbe: number | null;
  /** No reachability probe before this instant. */
  readonly nextReachabilityProbeAt: number;
  /** The pending identity check's token (passive only), null when none is pending. */
  readonly identityQuestion: number | null;
  /** No identity check before this instant. */
  readonly nextIdentityCheckAt: number;
  /**
   * `armed` until the stray-identity guard fires; `fired` until the validator is seen on
   * another identity again, so a dry run (which changes nothing) demotes once, not every check.
   */
  readonly strayGuard: 'armed' | 'fired';
  /** The last `watchdog-tick`, null before the first. */
  readonly lastTickAt: number | null;
  /** When the agent last resumed from a pause longer than three ticks, null when never. */
  readonly resumedAt: number | null;
  /** What a guard did, for `/status`; cleared when a requested role change starts. */
  readonly alert: { readonly message: string; readonly at: number } | null;
}

/**
 * The agent machine's state: a union on `status`. `active` is a settled, confirmed holder
 * (its validator answered `getIdentity` with the staked key); `unconfirmed` is what a
 * promotion leaves when it failed and its undo failed too: the identity may be loaded, so the
 * node claims it (S1), but a repeated `become_active` runs the promotion again rather than
 * answering done.
 */
export type AgentState =
  | (AgentCommon & { readonly status: 'passive' })
  | (AgentCommon & { readonly status: 'active' })
  | (AgentCommon & { readonly status: 'unconfirmed' })
  | (AgentCommon & { readonly status: 'activating' | 'deactivating'; readonly transition: AgentTransition });

/** What the agent machine reacts to. `at` is the app's clock reading. */
export type AgentEvent =
  | {
      readonly type: 'become-active';
      readonly requestId: string;
      readonly skipIdentity: boolean;
      /** The request's `min_tower_slot`: the tower restored must reach it. */
      readonly minTowerSlot?: number;
      /** The request's `min_vote_history_slot`: the vote history restored must reach it. */
      readonly minVoteHistorySlot?: number;
      /** The request's `reason` and the asking manager's term, told to the hooks. */
      readonly context?: RequestContext;
      readonly at: number;
    }
  | {
      readonly type: 'become-passive';
      readonly requestId: string;
      /** The request's `reason` and the asking manager's term, told to the hooks. */
      readonly context?: RequestContext;
      readonly at: number;
    }
  | {
      readonly type: 'step-result';
      readonly token: number;
      readonly result: StepResult;
      /** Set by `restore-tower` when it refused a tower (or vote history) that ends below its floor. */
      readonly towerStale?: TowerStale;
      readonly at: number;
    }
  /** An authenticated manager request arrived; the app never sends this for unauthenticated ones. */
  | { readonly type: 'manager-heartbeat'; readonly at: number }
  | { readonly type: 'watchdog-tick'; readonly at: number }
  | {
      readonly type: 'peer-answer';
      readonly token: number;
      readonly answer: PeerAnswer;
      readonly detail: string | null;
      readonly at: number;
    }
  /** The answer to a `check-identity` effect: what the validator runs as, if it said. */
  | {
      readonly type: 'identity-observed';
      readonly token: number;
      readonly identity: ObservedIdentity;
      readonly detail: string | null;
      readonly at: number;
    }
  /**
   * The answer to a `probe-reachability` effect: whether the peer agent answered, and the slot
   * the cluster RPC answered `getSlot` with (null: no answer).
   */
  | {
      readonly type: 'reachability';
      readonly token: number;
      readonly peer: boolean;
      readonly clusterSlot: number | null;
      readonly at: number;
    }
  /**
   * The tower store refused a backup as fenced: another agent wrote the identity's tower since
   * this one last read or wrote it, so another machine was given the identity.
   */
  | { readonly type: 'tower-fenced'; readonly detail: string; readonly at: number };

/** What a role-change request says about itself, for the hooks. */
export interface RequestContext {
  /** The request's `reason`. */
  readonly reason: string;
  /** The term of the manager that asked; null when the request carried none. */
  readonly term: number | null;
  /** `become_active`: the `pre_promote` hook already passed this switchover's `check_promote`, so it does not run again. */
  readonly prePromoteChecked?: boolean;
}

/** The validator's identity as the app read it: `unknown` when it did not answer. */
export type ObservedIdentity = 'staked' | 'unstaked' | 'unknown';

/** The slots of a `FAILOVER_TOWER_STALE` (or, for the vote history, `FAILOVER_VOTE_HISTORY_STALE`) refusal. */
export interface TowerStale {
  /**
   * Which file ended below its floor: the tower against `min_tower_slot`, or the Alpenglow
   * vote history against `min_vote_history_slot`. @default 'tower'
   */
  readonly file?: 'tower' | 'vote-history';
  /** The floor the request asked for. */
  readonly minTowerSlot: number;
  /** The newest slot of the newest file found (a tower's last voted slot); null when it holds no vote. */
  readonly towerLastVoteSlot: number | null;
}

/** The answer to a role-change request. */
export type AgentResponse =
  | {
      readonly result: 'ok';
      readonly changed: boolean;
      readonly role: Role;
      readonly message: string;
      readonly warnings: readonly string[];
    }
  /** Another change is in progress; the app answers 409. */
  | { readonly result: 'busy'; readonly role: Role; readonly message: string }
  | {
      readonly result: 'failed';
      readonly role: Role;
      readonly message: string;
      readonly step: AgentAction['kind'];
      readonly detail: string;
    }
  /** `become_active` refused before the identity was taken: the tower or the vote history ends below its floor (S2). */
  | ({ readonly result: 'tower-stale'; readonly role: Role; readonly message: string } & TowerStale);

/** What the agent app does. */
export type AgentEffect =
  | {
      readonly kind: 'run-step';
      readonly token: number;
      readonly step: PlanStep<AgentAction>;
      readonly attempt: number;
      readonly compensating: boolean;
    }
  | { readonly kind: 'respond'; readonly requestId: string; readonly response: AgentResponse }
  | { readonly kind: 'ask-peer'; readonly token: number }
  /** Read the validator's identity; answer with `identity-observed`. */
  | { readonly kind: 'check-identity'; readonly token: number }
  /** Ask the peer agent and the cluster RPC whether they answer; answer with `reachability`. */
  | { readonly kind: 'probe-reachability'; readonly token: number }
  | LogEffect;

/** A new state and the effects to execute, in order. */
export interface AgentStep {
  /** The next state. */
  readonly state: AgentState;
  /** Effects to execute, in order. */
  readonly effects: readonly AgentEffect[];
}

/** The initial state: the role the app determined at start-up (gossip, identity, config). */
export function createAgentState(
  role: 'active' | 'passive',
  now: number,
  config: Partial<AgentMachineConfig> = {},
): AgentState {
  return {
    status: role,
    config: { ...DEFAULT_AGENT_MACHINE_CONFIG, ...config },
    startedAt: now,
    settledAt: now,
    lastHeartbeatAt: null,
    peerQuestion: null,
    nextPeerCheckAt: now,
    lastPeerAnswer: null,
    token: 0,
    lastPeerContactAt: null,
    lastClusterContactAt: null,
    lastClusterSlot: null,
    reachabilityProbe: null,
    nextReachabilityProbeAt: now,
    identityQuestion: null,
    nextIdentityCheckAt: now,
    strayGuard: 'armed',
    lastTickAt: null,
    resumedAt: null,
    alert: null,
  };
}
