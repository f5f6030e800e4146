/**
 * What vote evidence proves in each consensus phase (`consensus-phase.ts`), and who may be
 * promoted. Under TowerBFT nothing here applies: the tower rule of `proveStoppedVoting` is
 * unchanged. Around the migration `lastVote` stalls for everyone, so vote evidence proves
 * nothing at all. Under Alpenglow `lastVote` moves only when blocks carry reward certificates,
 * so a stale one proves a stop only while the cluster finalizes (a standstill freezes every
 * vote account), and not for an account excluded from voting this epoch (VAT), which no
 * failover can fix; a node that has not migrated, or is on another Alpenglow genesis, is never
 * promoted. Each refusal is a {@link ConsensusVeto}, a hold the notifier words.
 */
import { sameGenesis } from './consensus-phase';
import type { ConsensusPhase } from './consensus-phase';
import type { BlockCause } from './events';
import type { NodeId, Observation } from './types';

/** A hold that the consensus phase puts on a failover. */
export type ConsensusVeto = Extract<
  BlockCause,
  { kind: 'migrating' | 'standstill' | 'vote-account-excluded' | 'local-not-migrated' }
>;

/** Every kind of {@link ConsensusVeto}, for the metrics. */
export const CONSENSUS_VETO_KINDS: readonly ConsensusVeto['kind'][] = [
  'migrating',
  'standstill',
  'vote-account-excluded',
  'local-not-migrated',
];

/** Whether a hold is a consensus veto. */
export function isConsensusVeto(cause: BlockCause): cause is ConsensusVeto {
  return (CONSENSUS_VETO_KINDS as readonly string[]).includes(cause.kind);
}

/**
 * Why the vote account cannot prove a stop in this phase, or null when the phase lets the
 * slot arithmetic decide (TowerBFT; Alpenglow while finalizing, the account eligible).
 */
export function voteEvidenceVeto(observation: Observation): ConsensusVeto | null {
  const consensus = observation.consensus;
  if (consensus === undefined || consensus.phase === 'tower') return null;
  if (consensus.phase !== 'alpenglow')
    return {
      kind: 'migrating',
      phase: consensus.phase,
      detail: `${consensus.detail}; vote evidence proves nothing until the cluster runs Alpenglow`,
    };
  return alpenglowVeto(observation);
}

/**
 * Under Alpenglow, what holds any automatic failover whatever the old active's state: a
 * standstill (every node looks stalled, a new voter would not vote either) or a vote account
 * excluded from voting. Null in every other phase.
 */
export function alpenglowVeto(observation: Observation): ConsensusVeto | null {
  const consensus = observation.consensus;
  if (consensus?.phase !== 'alpenglow') return null;
  if (consensus.standstill !== null) return { kind: 'standstill', detail: consensus.standstill };
  if (observation.vote?.excluded === true)
    return {
      kind: 'vote-account-excluded',
      detail: 'the cluster RPC lists the vote account with epochVoteAccount false: it may not vote this epoch',
    };
  return null;
}

/**
 * Under Alpenglow, `node` may take the identity only when its own validator answers with the
 * cluster's Alpenglow genesis: one that has not migrated cannot vote in Alpenglow, and one on
 * another genesis votes on another chain. An agent that does not report it is refused too.
 */
export function promotionEligibility(observation: Observation, node: NodeId): ConsensusVeto | null {
  const consensus = observation.consensus;
  if (consensus?.phase !== 'alpenglow') return null;
  const seen = observation.nodes[node];
  if (!seen.reachable) return null;
  const local = seen.status.alpenglowGenesis;
  const refuse = (detail: string): ConsensusVeto => ({ kind: 'local-not-migrated', node, detail });
  if (local === undefined) return refuse(`${node}'s agent does not report its validator's Alpenglow genesis`);
  if (local === null) return refuse(`${node}'s validator has no Alpenglow genesis certificate: it has not migrated`);
  const cluster = consensus.genesis;
  if (cluster !== null && !sameGenesis(local, cluster))
    return refuse(
      `${node}'s validator is on another Alpenglow genesis (slot ${local.slot}, block ${local.blockId}; the cluster's is slot ${cluster.slot}, block ${cluster.blockId})`,
    );
  return null;
}

/** The cluster's consensus phase as `observation` read it; TowerBFT when no phase was read (a Go config). */
export function observedPhase(observation: Observation | null): ConsensusPhase {
  return observation?.consensus?.phase ?? 'tower';
}

/** The newest slot of a vote history either agent reported backing up in `observation`; null when none did. */
export function reportedVoteHistorySlot(observation: Observation | null): number | null {
  if (observation === null) return null;
  const slots = Object.values(observation.nodes).flatMap((n) =>
    n.reachable && n.status.voteHistory !== undefined ? [n.status.voteHistory.newestSlot] : [],
  );
  return slots.length === 0 ? null : Math.max(...slots);
}

/** What a `become_active` must restore at least: the tower's last vote, the vote history's newest slot. */
export interface PromotionFloors {
  readonly minTowerSlot?: number;
  readonly minVoteHistorySlot?: number;
}

/**
 * The floors of a `become_active`, both the vote account's `lastVote`, by consensus phase.
 * TowerBFT: the tower's. Alpenglow: the vote history's alone, since the tower stopped
 * recording votes at the switch and would never reach a later `lastVote`; `lastVote` trails
 * the votes (a reward certificate lands about 8 slots after the vote), and the vote history
 * records every vote cast, so its newest slot is at least `lastVote`. Migrating or unknown:
 * the tower's, since `lastVote` stalls at the last tower vote, and the vote history's too
 * once an agent reports one, since a validator that cast Alpenglow votes cannot vote safely
 * without the record of them.
 */
export function promotionFloors(observation: Observation | null, lastVote: number): PromotionFloors {
  switch (observedPhase(observation)) {
    case 'tower':
      return { minTowerSlot: lastVote };
    case 'alpenglow':
      return { minVoteHistorySlot: lastVote };
    case 'migrating':
    case 'unknown':
      return reportedVoteHistorySlot(observation) === null
        ? { minTowerSlot: lastVote }
        : { minTowerSlot: lastVote, minVoteHistorySlot: lastVote };
  }
}

/**
 * What `lastVote` must pass for the new active to be seen voting. Under Alpenglow `lastVote`
 * trails the votes, so the old holder's last votes may still land after the promotion: the
 * mark is also the newest slot of the vote history it backed up, which records them.
 */
export function newVoteMark(observation: Observation | null, lastVote: number): number {
  const recorded = observedPhase(observation) === 'alpenglow' ? reportedVoteHistorySlot(observation) : null;
  return recorded === null ? lastVote : Math.max(lastVote, recorded);
}
