/**
 * The settings every trial runs with, and the liveness budget derived from them. One place,
 * so the budget in the report and in docs/chaos.md is computed from what the programs were
 * actually configured with.
 */

/** How the stack of a trial is configured. Durations in ms. */
export interface CampaignSettings {
  /** Slot duration of the simulated cluster; @default 100 */
  readonly slotMs: number;
  /** Manager `heartbeat_interval`; @default max(200, slotMs) */
  readonly heartbeatMs: number;
  /** Manager `misses_before_failover`; @default 3 */
  readonly misses: number;
  /**
   * Manager `request_timeout`; @default 2500: above the agent's fixed 2 s limit on its
   * validator's local RPC, since an agent whose `/status` waits on a frozen validator would
   * otherwise look unreachable (finding F2 in docs/chaos.md)
   */
  readonly requestTimeoutMs: number;
  /** Manager `stale_vote_slot_threshold`: the proof that an unreachable active stopped; @default 4 s worth of slots, at least 16 */
  readonly staleVoteSlots: number;
  /** Agents' `command_timeout`: a hung set-identity is given up after this; @default 2000 */
  readonly commandTimeoutMs: number;
  /** Manager `startup_grace_period` (after a manager restart); @default 1000 */
  readonly graceMs: number;
  /** Manager `failover_cooldown`: a second failover in one trial waits this long; @default 2000 */
  readonly cooldownMs: number;
  /** Agents' `manager_timeout` (the watchdog); @default 5000 */
  readonly agentManagerTimeoutMs: number;
}

/** The manager's `request_timeout` of the campaign; see {@link CampaignSettings.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2500;

/** Settings for a slot length, with the defaults above. */
export function settingsFor(slotMs = 100, overrides: Partial<CampaignSettings> = {}): CampaignSettings {
  return {
    slotMs,
    heartbeatMs: Math.max(200, slotMs),
    misses: 3,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    staleVoteSlots: Math.max(16, Math.ceil(4000 / slotMs)),
    commandTimeoutMs: 2000,
    graceMs: 1000,
    cooldownMs: 2000,
    agentManagerTimeoutMs: 5000,
    ...overrides,
  };
}

/** The parts of the budget, for the report. */
export interface Budget {
  /** Missed heartbeats until a failover is wanted, each heartbeat possibly timing out. */
  readonly detectionMs: number;
  /** Until the vote account of an unreachable active is stale enough to prove it stopped. */
  readonly proofMs: number;
  /**
   * The failover itself: a demotion whose set-identity hangs three times before the restart
   * fallback, the restart, tower restore and set-identity, the first vote, plus a manager
   * grace period and a cooldown when an earlier fault already caused a failover.
   */
  readonly allowanceMs: number;
  readonly totalMs: number;
}

/** Fixed part of the failover allowance: restart, restore, set-identity, first vote, on a loaded 2-core machine. */
const FAILOVER_WORK_MS = 5000;

/** The liveness budget: how long voting may stop while a healthy node exists. */
export function budgetOf(s: CampaignSettings): Budget {
  const detectionMs = s.misses * (s.heartbeatMs + s.requestTimeoutMs) + s.heartbeatMs;
  const proofMs = s.staleVoteSlots * s.slotMs + s.heartbeatMs;
  const allowanceMs = 3 * s.commandTimeoutMs + FAILOVER_WORK_MS + s.graceMs + s.cooldownMs;
  return { detectionMs, proofMs, allowanceMs, totalMs: detectionMs + proofMs + allowanceMs };
}
