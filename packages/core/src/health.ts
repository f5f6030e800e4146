/**
 * The health rules: one node's observation in, a verdict with every broken rule out.
 *
 * The manager applies these rules itself to the agent's raw readings (process, `getHealth`,
 * slot), so one configuration (the manager's) decides what "unhealthy" means for both nodes.
 */
import type { HealthNote, HealthReason, NodeObservation, NodeStatus } from './types';

/** Limits the health rules apply. */
export interface HealthThresholds {
  /**
   * A node more than this many slots behind the cluster is lagging (`slot_diff_threshold`).
   * @default 100
   */
  readonly slotDiffThreshold: number;
  /**
   * A cluster slot older than this is stale and the lag rule is not applied: comparing a
   * fresh validator slot with an old cluster slot would hide a real lag, and the reverse
   * would invent one.
   * @default 30000
   */
  readonly networkSlotMaxAgeMs: number;
  /**
   * This many restarts within {@link HealthThresholds.crashLoopWindowMs} is a crash loop.
   * @default 3
   */
  readonly crashLoopRestarts: number;
  /**
   * The window restarts are counted in.
   * @default 600000
   */
  readonly crashLoopWindowMs: number;
}

/** The defaults of {@link HealthThresholds}. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  slotDiffThreshold: 100,
  networkSlotMaxAgeMs: 30_000,
  crashLoopRestarts: 3,
  crashLoopWindowMs: 600_000,
};

/** The input of {@link assessHealth}. */
export interface HealthInput {
  /** The node's observation in this tick. */
  readonly observation: NodeObservation;
  /** The cluster slot and how old it is, or null when the cluster RPC has not answered. */
  readonly network: { readonly slot: number; readonly ageMs: number } | null;
  /** Restarts seen within the crash-loop window (see {@link trackRestarts}). */
  readonly recentRestarts: number;
  /** The limits to apply. */
  readonly thresholds: HealthThresholds;
}

/** The verdict of {@link assessHealth}. */
export interface HealthAssessment {
  /** True when no rule is broken. */
  readonly healthy: boolean;
  /** Every broken rule; empty when healthy. */
  readonly reasons: readonly HealthReason[];
  /** Things that limited the assessment without making the node unhealthy. */
  readonly notes: readonly HealthNote[];
}

/** Applies every health rule to one node and reports each rule it breaks. */
export function assessHealth(input: HealthInput): HealthAssessment {
  const { observation, network, thresholds } = input;
  if (!observation.reachable) {
    return verdict([{ kind: 'unreachable', reason: observation.reason, detail: observation.detail }], []);
  }
  const status = observation.status;
  const reasons: HealthReason[] = [];
  const notes: HealthNote[] = [];
  if (!status.processRunning) {
    reasons.push(
      status.processExitedAt === undefined
        ? { kind: 'process-down' }
        : { kind: 'process-down', exitedAt: status.processExitedAt },
    );
  }
  if (input.recentRestarts >= thresholds.crashLoopRestarts) {
    reasons.push({ kind: 'crash-loop', restarts: input.recentRestarts, windowMs: thresholds.crashLoopWindowMs });
  } else if (status.processRunning && !status.processHealthy) {
    // The agent watches the process between heartbeats and sees restarts the manager's
    // uptime comparison can miss; its verdict counts on its own.
    reasons.push({ kind: 'process-unhealthy' });
  }
  // A stopped process cannot answer getHealth; reporting both would say the same thing twice.
  if (status.processRunning && !status.rpcHealthy) {
    reasons.push({ kind: 'rpc-unhealthy', detail: status.error ?? null });
  }
  // A failed promotion whose undo failed too: the node counts as a holder (S1) but nobody saw
  // its validator take the identity, so it cannot be trusted to vote (L1).
  if (status.role === 'unconfirmed') {
    reasons.push({ kind: 'identity-unconfirmed' });
  }
  if (network === null) {
    notes.push({ kind: 'no-network-slot' });
  } else if (network.ageMs > thresholds.networkSlotMaxAgeMs) {
    notes.push({ kind: 'stale-network-slot', ageMs: network.ageMs });
  } else if (status.processRunning) {
    const slotsBehind = network.slot - status.validatorSlot;
    if (slotsBehind > thresholds.slotDiffThreshold) {
      reasons.push({ kind: 'lagging', slotsBehind, threshold: thresholds.slotDiffThreshold });
    }
  }
  return verdict(reasons, notes);
}

function verdict(reasons: readonly HealthReason[], notes: readonly HealthNote[]): HealthAssessment {
  return { healthy: reasons.length === 0, reasons, notes };
}

/** What {@link trackRestarts} remembers about one node between ticks. */
export interface RestartHistory {
  /** Uptime in the previous status, null before the first one. */
  readonly lastUptimeSec: number | null;
  /** Instants restarts were detected at, oldest first, within the window. */
  readonly restartsAt: readonly number[];
}

/** The history of a node not yet seen. */
export const EMPTY_RESTART_HISTORY: RestartHistory = { lastUptimeSec: null, restartsAt: [] };

/**
 * Crash-loop detection by uptime: a restart is counted whenever the reported uptime is lower
 * than in the previous report (the process started again in between), or when the process
 * is seen down after having been up. Restarts older than `windowMs` are forgotten. Simple on
 * purpose: it needs no process ids, and a restart between two ticks is never missed as long
 * as the tick interval is shorter than a validator's start-up, which takes minutes.
 */
export function trackRestarts(
  history: RestartHistory,
  status: NodeStatus | null,
  now: number,
  windowMs: number,
): RestartHistory {
  const recent = history.restartsAt.filter((at) => now - at < windowMs);
  if (status === null) {
    return { lastUptimeSec: history.lastUptimeSec, restartsAt: recent };
  }
  const uptime = status.processRunning ? status.processUptimeSec : 0;
  const previous = history.lastUptimeSec;
  const restarted = previous !== null && previous > 0 && uptime < previous;
  return { lastUptimeSec: uptime, restartsAt: restarted ? [...recent, now] : recent };
}
