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
