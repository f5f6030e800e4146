/**
 * Restoring a voter when nobody holds the staked identity. An active steps down on its own
 * for safety — its isolation rule, its watchdog, a fenced tower backup, the guard against a
 * staked passive — and when the fault that caused it heals before the manager promoted the
 * passive, both nodes answer as passives and nobody votes (chaos finding F1). The manager
 * then promotes one of them, but only on evidence that neither may hold the identity, held
 * for as many heartbeats as a failover needs misses, and only when a holder was known
 * before: a pair that never had one under this manager (a fresh install whose operator has
 * not activated anyone yet) is the operator's call (`failover-manager switchover --to`).
 */
import { towerFloorGate } from './cluster-evidence';
import type { BlockCause, FailoverReason } from './events';
import { mayHoldIdentity, proveStoppedVoting } from './manager-roles';
import { promotionEligibility } from './phase-evidence';
import type { ManagerState, NobodyVoting } from './manager-state';
import type { NodeId, NodeObservation, Observation } from './types';
import { NODE_IDS, otherNode } from './types';

/** What the manager does about a tick in which nobody holds the identity. */
export type RecoveryDecision =
  | { readonly kind: 'hold'; readonly cause: BlockCause; readonly reason: FailoverReason | null }
  | { readonly kind: 'recover'; readonly node: NodeId; readonly reason: Extract<FailoverReason, { kind: 'no-voter' }> };

/**
 * A node confirmed not to hold the identity: it answers, its agent reports the settled role
 * `passive` (not a role change, not `unconfirmed`, not a Go agent that reports no role), its
 * validator reports an identity (an unknown one may be the staked one), and no sign of
 * {@link mayHoldIdentity} is present.
 */
function isSettledPassive(seen: NodeObservation, stakedIdentityPubkey: string | null): boolean {
  return (
    seen.reachable &&
    seen.status.role === 'passive' &&
    seen.status.identityPubkey !== undefined &&
    !mayHoldIdentity(seen.status, stakedIdentityPubkey)
  );
}

/**
 * Extends the run of ticks in which both nodes are settled passives and fresh gossip places
 * the identity at neither; any other tick ends it. Gossip keeps an old entry for a while
 * after `set-identity`, so a node that just stepped down may still show there: the run then
 * starts only once gossip has moved.
 */
export function trackNobodyVoting(
  previous: NobodyVoting | null,
  observation: Observation,
  stakedIdentityPubkey: string | null,
  gossipMaxAgeMs: number,
): NobodyVoting | null {
  const { gossip, at } = observation;
  const gossipPlaces = gossip !== null && gossip.ip !== null && at - gossip.observedAt <= gossipMaxAgeMs;
  const nobody =
    !gossipPlaces && NODE_IDS.every((node) => isSettledPassive(observation.nodes[node], stakedIdentityPubkey));
  if (!nobody) return null;
  return previous === null ? { since: at, ticks: 1 } : { since: previous.since, ticks: previous.ticks + 1 };
}

/**
 * The gates of a recovery, in order; the first that fails names the cause. Until the run of
 * passive ticks is long enough, and always without a known holder, the cause is `no-active`,
 * as it was before recoveries existed. The vote account must show no vote for the stale
 * threshold, as for a promotion past an unreachable active. The node to promote is the last
 * holder when healthy — its tower on disk and its backups are the newest — else the other one
 * when healthy.
 */
export function decideRecovery(state: ManagerState, observation: Observation): RecoveryDecision {
  const noActive: RecoveryDecision = { kind: 'hold', cause: { kind: 'no-active' }, reason: null };
  const run = state.nobodyVoting;
  const last = state.lastHolder;
  if (run === null || run.ticks < state.config.missesBeforeFailover || last === null) return noActive;
  const reason = { kind: 'no-voter', node: last, since: run.since, ticks: run.ticks } as const;
  const graceEnds = state.startedAt + state.config.startupGracePeriodMs;
  if (observation.at < graceEnds) return { kind: 'hold', cause: { kind: 'startup-grace', until: graceEnds }, reason };
  if (state.status === 'cooldown') return { kind: 'hold', cause: { kind: 'cooldown', until: state.until }, reason };
  const healthy = (node: NodeId): boolean => state.nodes[node].health?.healthy === true;
  const node = healthy(last) ? last : healthy(otherNode(last)) ? otherNode(last) : null;
  if (node === null)
    return {
      kind: 'hold',
      cause: { kind: 'passive-unhealthy', node: last, reasons: state.nodes[last].health?.reasons ?? [] },
      reason,
    };
  // Both nodes passive says nothing of a third machine: the vote account must have stopped too.
  const votes = proveStoppedVoting(observation, last, state.config.voteProof);
  if (!votes.proven)
    return {
      kind: 'hold',
      cause:
        votes.cause.kind === 'old-active-still-voting'
          ? { kind: 'votes-without-holder', lastVote: votes.cause.lastVote, clusterSlot: votes.cause.clusterSlot }
          : votes.cause.kind === 'no-vote-proof'
            ? { kind: 'no-tower-floor', node, detail: votes.cause.detail }
            : votes.cause,
      reason,
    };
  const eligibility = promotionEligibility(observation, node);
  if (eligibility !== null) return { kind: 'hold', cause: eligibility, reason };
  const floor = towerFloorGate(state.config, observation, node);
  if (floor !== null) return { kind: 'hold', cause: floor, reason };
  if (state.config.dryRun) return { kind: 'hold', cause: { kind: 'dry-run', from: last, to: node }, reason };
  return { kind: 'recover', node, reason };
}
