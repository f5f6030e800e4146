/**
 * What `failover-manager status` shows: the monitor's state as the control API's answer,
 * and that answer as a table for people. Health reasons and holds are in the notifier's
 * words, so the status and the notifications say the same thing.
 */
import { NODE_IDS, otherNode, promotionEligibility, voteEvidenceVeto } from '@failover/core';
import type { JournaledPause, NodeId } from '@failover/core';
import { causeText, healthText } from '@failover/notifier';
import type { ControlNode, ControlPause, ControlStatus } from '@failover/protocol';
import type { MonitorSnapshot } from './monitor';

/** Builds the status answer from a monitor snapshot. */
export function toControlStatus(
  snapshot: MonitorSnapshot,
  endpoints: Readonly<Record<NodeId, string>>,
  dryRun: boolean,
  now: number,
): ControlStatus {
  const { state, observation } = snapshot;
  const clusterSlot = observation?.clusterSlot ?? null;
  const nodes = NODE_IDS.map((node): ControlNode => {
    const track = state.nodes[node];
    const seen = observation?.nodes[node];
    const status = seen?.reachable === true ? seen.status : undefined;
    const slot = status?.validatorSlot ?? track.slot;
    return {
      node,
      endpoint: endpoints[node],
      reachable: track.reachable,
      role: status?.role ?? (status === undefined ? track.role : status.isActive ? 'active' : 'passive'),
      identity: status?.identityPubkey ?? null,
      slot,
      lag: slot !== null && clusterSlot !== null ? Math.max(0, clusterSlot.slot - slot) : null,
      healthy: track.health?.healthy ?? null,
      reasons: (track.health?.reasons ?? []).map(healthText),
      misses: track.misses,
      last_tower_backup: status?.lastTowerBackup == null ? null : Math.floor(status.lastTowerBackup / 1000),
    };
  });
  return {
    dry_run: dryRun,
    state: state.status,
    active: state.active,
    hold: state.hold === null ? null : causeText(state.hold),
    paused: state.pause === null ? null : toControlPause(state.pause),
    cluster_slot: clusterSlot?.slot ?? null,
    cluster_slot_age_ms: clusterSlot === null ? null : Math.max(0, now - clusterSlot.observedAt),
    nodes,
    timestamp: Math.floor(now / 1000),
    ...(observation?.consensus === undefined ? {} : { consensus: consensusOf(observation, state.active) }),
  };
}

/** The phase and what it vetoes now, whether or not a failover is wanted. */
function consensusOf(
  observation: NonNullable<MonitorSnapshot['observation']>,
  active: NodeId | null,
): NonNullable<ControlStatus['consensus']> {
  const { phase, detail } = observation.consensus ?? { phase: 'tower', detail: '' };
  const veto =
    voteEvidenceVeto(observation) ?? (active === null ? null : promotionEligibility(observation, otherNode(active)));
  return { phase, detail, veto: veto === null ? null : causeText(veto) };
}

/** A maintenance pause as the control API shows it. */
export function toControlPause(pause: JournaledPause): ControlPause {
  return { reason: pause.reason, since: pause.at, until: pause.until, term: pause.term };
}

/** A pause in one line: why, since when, until when. */
export function pauseText(pause: ControlPause): string {
  const until = pause.until === null ? 'until resumed' : `until ${new Date(pause.until).toISOString()}`;
  return `${pause.reason} (since ${new Date(pause.since).toISOString()}, ${until})`;
}

/** The status answer as a table, one row per validator, then the manager's state. */
export function renderStatusTable(status: ControlStatus): string {
  const header = ['NODE', 'ROLE', 'IDENTITY', 'SLOT', 'LAG', 'HEALTH', 'LAST TOWER BACKUP'];
  const rows = status.nodes.map((n) => [
    n.node,
    n.reachable === false ? 'unreachable' : n.role,
    n.identity === null ? '-' : shorten(n.identity),
    n.slot === null ? '-' : String(n.slot),
    n.lag === null ? '-' : String(n.lag),
    n.healthy === null ? '-' : n.healthy ? 'ok' : `${n.reasons.join('; ')} (${n.misses} misses)`,
    n.last_tower_backup === null ? 'never' : new Date(n.last_tower_backup * 1000).toISOString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const slot =
    status.cluster_slot === null
      ? 'unknown'
      : `${status.cluster_slot} (read ${Math.round((status.cluster_slot_age_ms ?? 0) / 1000)} s ago)`;
  return [
    line(header),
    ...rows.map(line),
    '',
    `state: ${status.state}${status.dry_run ? ' (dry run)' : ''}   active: ${status.active ?? 'unknown'}   cluster slot: ${slot}`,
    ...(status.paused == null ? [] : [`PAUSED: ${pauseText(status.paused)}; no automatic failover or recovery`]),
    ...(status.consensus === undefined
      ? []
      : [
          `consensus: ${status.consensus.phase} (${status.consensus.detail})`,
          ...(status.consensus.veto === null ? [] : [`veto: ${status.consensus.veto}`]),
        ]),
    ...(status.hold === null ? [] : [`held back: ${status.hold}`]),
    ...(status.term === undefined ? [] : [`term: ${status.term} (${status.sender ?? 'unknown sender'})`]),
    ...(status.deposed ? [`STOOD DOWN: ${status.deposed}`] : []),
    ...(status.election === undefined ? [] : electionLines(status.election)),
    '',
  ].join('\n');
}

/** Highly available managers: this one's standing, the leader and the followers. */
function electionLines(election: NonNullable<ControlStatus['election']>): string[] {
  const leader = election.leader;
  return [
    `election: this manager ${election.role === 'leader' ? 'LEADS' : 'follows'} (lease ${election.lease_ttl_ms / 1000} s)`,
    leader === null
      ? 'leader: none right now'
      : `leader: ${leader.sender} on ${leader.host}, control ${leader.control}, term ${leader.term ?? 'unknown'}`,
    ...(election.followers.length === 0
      ? ['followers: none']
      : election.followers.map((f) => `follower: ${f.sender} on ${f.host}, control ${f.control}`)),
  ];
}

function shorten(pubkey: string): string {
  return pubkey.length > 12 ? `${pubkey.slice(0, 5)}…${pubkey.slice(-4)}` : pubkey;
}
