/**
 * What the manager remembers about each node between ticks: consecutive misses, restarts,
 * reachability, and the last health verdict. A miss is any tick in which the node breaks a
 * health rule, so "5 misses" means five consecutive unhealthy heartbeats, whatever the rule.
 */
import type { FailoverEvent, NodeSummary } from './events';
import type { HealthAssessment, HealthThresholds, RestartHistory } from './health';
import { EMPTY_RESTART_HISTORY, assessHealth, trackRestarts } from './health';
import type { NodeId, Observation, Role } from './types';
import { NODE_IDS } from './types';

/** One node's memory. */
export interface NodeTrack {
  /** Consecutive unhealthy ticks. */
  readonly misses: number;
  /** Reachable in the last tick; null before the first tick. */
  readonly reachable: boolean | null;
  /** When it stopped answering, null while it answers. */
  readonly downSince: number | null;
  /** Restarts for the crash-loop rule. */
  readonly restarts: RestartHistory;
  /** The last verdict, null before the first tick. */
  readonly health: HealthAssessment | null;
  /** The last reported role. */
  readonly role: Role;
  /** The last reported validator slot. */
  readonly slot: number | null;
}

/** A node not yet observed. */
export function freshTrack(): NodeTrack {
  return {
    misses: 0,
    reachable: null,
    downSince: null,
    restarts: EMPTY_RESTART_HISTORY,
    health: null,
    role: 'unknown',
    slot: null,
  };
}

/**
 * Folds one tick into every node's memory and returns the reachability news: `unreachable`
 * once when a node stops answering (also at the first tick), `back-online` once when it
 * answers again.
 */
export function trackNodes(
  nodes: Readonly<Record<NodeId, NodeTrack>>,
  observation: Observation,
  thresholds: HealthThresholds,
): { nodes: Record<NodeId, NodeTrack>; events: FailoverEvent[] } {
  const at = observation.at;
  const network =
    observation.clusterSlot === null
      ? null
      : { slot: observation.clusterSlot.slot, ageMs: at - observation.clusterSlot.observedAt };
  const events: FailoverEvent[] = [];
  const next = {} as Record<NodeId, NodeTrack>;
  for (const node of NODE_IDS) {
    const before = nodes[node];
    const seen = observation.nodes[node];
    const restarts = trackRestarts(
      before.restarts,
      seen.reachable ? seen.status : null,
      at,
      thresholds.crashLoopWindowMs,
    );
    const health = assessHealth({ observation: seen, network, recentRestarts: restarts.restartsAt.length, thresholds });
    let downSince = before.downSince;
    if (!seen.reachable && before.reachable !== false) {
      downSince = at;
      events.push({ type: 'unreachable', at, node, reason: seen.reason, detail: seen.detail });
    } else if (seen.reachable && before.reachable === false) {
      events.push({ type: 'back-online', at, node, downForMs: at - (before.downSince ?? at) });
      downSince = null;
    }
    next[node] = {
      misses: health.healthy ? 0 : before.misses + 1,
      reachable: seen.reachable,
      downSince,
      restarts,
      health,
      role: seen.reachable ? (seen.status.role ?? (seen.status.isActive ? 'active' : 'passive')) : 'unknown',
      slot: seen.reachable ? seen.status.validatorSlot : before.slot,
    };
  }
  return { nodes: next, events };
}

/** Both nodes' lines for the periodic status report. */
export function summarize(nodes: Readonly<Record<NodeId, NodeTrack>>): NodeSummary[] {
  return NODE_IDS.map((node) => {
    const t = nodes[node];
    return { node, reachable: t.reachable === true, role: t.role, slot: t.slot, healthy: t.health?.healthy === true };
  });
}
