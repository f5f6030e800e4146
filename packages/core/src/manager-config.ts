/**
 * Settings of the manager machine, in domain units (milliseconds, slots). The protocol
 * package maps `manager-config.json` onto this shape.
 */
import type { PlanHooks, PlanTimeouts } from './failover-plan';
import { NO_PLAN_HOOKS } from './failover-plan';
import type { HealthThresholds } from './health';
import { DEFAULT_HEALTH_THRESHOLDS } from './health';
import type { VoteProofRules } from './manager-roles';
import { DEFAULT_VOTE_PROOF_RULES } from './manager-roles';
import type { NodeId } from './types';

/** Settings of the manager machine. */
export interface ManagerMachineConfig {
  /**
   * Consecutive unhealthy ticks of the active before a failover (`misses_before_failover`).
   * @default 5
   */
  readonly missesBeforeFailover: number;
  /**
   * No failover this long after start-up, while the operator checks the set-up; blocked
   * failovers are still reported (`startup_grace_period`).
   * @default 120000
   */
  readonly startupGracePeriodMs: number;
  /**
   * No automatic failover this long after one ended, so a flapping pair cannot bounce the
   * identity back and forth.
   * @default 300000
   */
  readonly cooldownMs: number;
  /**
   * Decide and report, never execute (`dry_run`).
   * @default true
   */
  readonly dryRun: boolean;
  /**
   * The staked identity is pushed over SSH (`secure_identity_mode`).
   * @default false
   */
  readonly secureMode: boolean;
  /**
   * The staked identity's pubkey (`staked_identity_pubkey`), to recognise it in `getIdentity`
   * answers; without it only the agents' own claims count.
   * @default null
   */
  readonly stakedIdentityPubkey: string | null;
  /**
   * The node given as active at start-up (`--active`), used only until observations decide.
   * @default null
   */
  readonly initialActive: NodeId | null;
  /**
   * Interval of the status report notification.
   * @default 14400000
   */
  readonly statusReportIntervalMs: number;
  /**
   * A gossip reading older than this is ignored.
   * @default 60000
   */
  readonly gossipMaxAgeMs: number;
  /**
   * A vote account is configured (`vote_account_pubkey`). Without one nothing gives the tower
   * floor, so outside dry run every promotion is refused (`no-tower-floor`).
   * @default true
   */
  readonly voteAccountConfigured: boolean;
  /** The health rules' limits. @default DEFAULT_HEALTH_THRESHOLDS */
  readonly health: HealthThresholds;
  /** The "stopped voting" proof's limits. @default DEFAULT_VOTE_PROOF_RULES */
  readonly voteProof: VoteProofRules;
  /** Failover step time limits. @default DEFAULT_PLAN_TIMEOUTS */
  readonly planTimeouts: Partial<PlanTimeouts>;
  /** The manager's own hooks around a switchover or recovery (`hooks`). @default NO_PLAN_HOOKS */
  readonly hooks: PlanHooks;
}

/** The defaults of {@link ManagerMachineConfig}. */
export const DEFAULT_MANAGER_MACHINE_CONFIG: ManagerMachineConfig = {
  missesBeforeFailover: 5,
  startupGracePeriodMs: 120_000,
  cooldownMs: 300_000,
  dryRun: true,
  secureMode: false,
  stakedIdentityPubkey: null,
  initialActive: null,
  statusReportIntervalMs: 4 * 60 * 60 * 1000,
  gossipMaxAgeMs: 60_000,
  voteAccountConfigured: true,
  health: DEFAULT_HEALTH_THRESHOLDS,
  voteProof: DEFAULT_VOTE_PROOF_RULES,
  planTimeouts: {},
  hooks: NO_PLAN_HOOKS,
};

/** Settings with some keys given; nested groups may be given in part. */
export type ManagerMachineOptions = Partial<Omit<ManagerMachineConfig, 'health' | 'voteProof'>> & {
  readonly health?: Partial<HealthThresholds>;
  readonly voteProof?: Partial<VoteProofRules>;
};

/** Fills defaults in, nested groups included. */
export function resolveManagerConfig(
  options: ManagerMachineOptions,
  base: ManagerMachineConfig = DEFAULT_MANAGER_MACHINE_CONFIG,
): ManagerMachineConfig {
  return {
    ...base,
    ...options,
    health: { ...base.health, ...options.health },
    voteProof: { ...base.voteProof, ...options.voteProof },
    planTimeouts: { ...base.planTimeouts, ...options.planTimeouts },
  };
}

/**
 * The lowest `request_timeout` the manager runs without a warning. An agent answers `/status`
 * from its own background probe within milliseconds, but a signed request over a real network
 * to a loaded host can take hundreds of them; a limit below this makes a live agent look
 * unreachable, and a failover past an "unreachable" active takes the plan that never demotes
 * it (promote on the proof of stale votes), which a frozen validator satisfies and then
 * resumes voting beside the new active (chaos finding F2).
 */
export const MIN_REQUEST_TIMEOUT_MS = 1_000;

/** The start-up warning for a `request_timeout` below {@link MIN_REQUEST_TIMEOUT_MS}; null when it is not. */
export function requestTimeoutWarning(requestTimeoutMs: number): string | null {
  if (requestTimeoutMs >= MIN_REQUEST_TIMEOUT_MS) return null;
  return (
    `request_timeout is ${requestTimeoutMs} ms, below the ${MIN_REQUEST_TIMEOUT_MS} ms floor: a live agent that answers late is taken for unreachable, ` +
    'and a failover past an unreachable active cannot demote it; raise request_timeout'
  );
}
