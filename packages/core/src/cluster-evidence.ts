/**
 * What the manager takes from the cluster RPC before it promotes: the cluster slot and the
 * vote account's `lastVote`, which prove an unreachable old active stopped voting and give the
 * tower floor (`min_tower_slot`) of every promotion (S1, S2). A load-balanced RPC may answer two
 * requests from two backends that see the chain differently, so each sample takes both
 * readings from one endpoint in one request, and with several endpoints configured no single
 * endpoint decides: two samples must answer, and every sample that answered must agree.
 */
import type { BlockCause } from './events';
import type { ManagerMachineConfig } from './manager-config';
import type { NodeId, Observation, SlotObservation, VoteObservation } from './types';

/** One endpoint's reading of the cluster slot and the vote account, taken in one request. */
export type ClusterSample =
  | {
      readonly ok: true;
      /** The endpoint that answered both. */
      readonly endpoint: string;
      readonly slot: number;
      readonly lastVote: number;
      readonly delinquent: boolean;
      /** The endpoint's `epochVoteAccount` for the account; absent when it gave none. */
      readonly epochVoteAccount?: boolean;
      /** When the request was answered. */
      readonly at: number;
    }
  | {
      readonly ok: false;
      readonly endpoint: string;
      /** Why this endpoint gave no sample: no answer, or the vote account unknown to it. */
      readonly detail: string;
      /** The cluster slot, when the endpoint gave that much; used only for the lag rule. */
      readonly slot: number | null;
      readonly at: number;
    };

/** The samples of one round, combined. */
export interface ClusterEvidence {
  /**
   * The slot of the sample whose vote is nearest the tip (the least proof that the account
   * stopped voting); without enough samples, the first slot any endpoint gave, for the lag
   * rule only.
   */
  readonly clusterSlot: SlotObservation | null;
  /** That sample's vote account; null without enough samples, so no proof and no floor. */
  readonly vote: VoteObservation | null;
  /** The highest `lastVote` of all samples: the tower floor; null without enough samples. */
  readonly floor: number | null;
  /** Why `vote` is null; null when it is not. */
  readonly shortfall: string | null;
}

/**
 * How many samples must answer: two as soon as two endpoints are configured, so one backend
 * whose view of the vote account lags can neither prove a stop nor lower the floor alone.
 */
export function requiredSamples(endpoints: number): number {
  return Math.min(2, Math.max(1, endpoints));
}

/**
 * Combines the samples of one round taken from `endpoints` configured endpoints. The pair
 * handed on is the sample with the smallest gap between slot and `lastVote`, so a proof
 * (`proveStoppedVoting`) holds only when every answering endpoint sees the account stale; the
 * floor is the highest `lastVote` any endpoint saw, so no backup below a vote any endpoint
 * knows is ever restored.
 */
export function combineClusterSamples(samples: readonly ClusterSample[], endpoints: number): ClusterEvidence {
  const answered = samples.filter((s): s is Extract<ClusterSample, { ok: true }> => s.ok);
  const needed = requiredSamples(endpoints);
  if (answered.length < needed) {
    const failed = samples.filter((s): s is Extract<ClusterSample, { ok: false }> => !s.ok);
    const firstSlot = samples.find((s) => s.slot !== null);
    return {
      clusterSlot:
        firstSlot === undefined || firstSlot.slot === null ? null : { slot: firstSlot.slot, observedAt: firstSlot.at },
      vote: null,
      floor: null,
      shortfall:
        `${answered.length} of ${endpoints} cluster RPC endpoints gave the slot and the vote account, ${needed} needed` +
        (failed.length === 0 ? '' : `: ${failed.map((s) => s.detail).join('; ')}`),
    };
  }
  const nearest = answered.reduce((best, sample) =>
    sample.slot - sample.lastVote < best.slot - best.lastVote ? sample : best,
  );
  return {
    clusterSlot: { slot: nearest.slot, observedAt: nearest.at },
    vote: {
      lastVote: nearest.lastVote,
      delinquent: nearest.delinquent,
      // Any endpoint that excludes the account vetoes a proof: the safe direction.
      ...(answered.some((s) => s.epochVoteAccount === false) ? { excluded: true as const } : {}),
      observedAt: nearest.at,
    },
    floor: Math.max(...answered.map((s) => s.lastVote)),
    shortfall: null,
  };
}

/**
 * Outside dry run, no promotion starts without a tower floor: `vote_account_pubkey` must be
 * configured and the vote account read within the proof's `maxAgeMs`. A promotion without a
 * floor restores any validly signed tower, however old (an older revision in etcd, a backup
 * overwritten by another), and can vote against the lockouts of votes it does not hold (S2).
 * Null when the floor is there.
 */
export function towerFloorGate(
  config: ManagerMachineConfig,
  observation: Observation,
  node: NodeId,
): BlockCause | null {
  if (config.dryRun) return null;
  if (!config.voteAccountConfigured) {
    return {
      kind: 'no-tower-floor',
      node,
      detail: 'vote_account_pubkey is not set (docs/safety.md, "The tower floor")',
    };
  }
  const { vote, at } = observation;
  if (vote === null)
    return { kind: 'no-tower-floor', node, detail: 'the vote account has not been read from the cluster RPC' };
  if (at - vote.observedAt > config.voteProof.maxAgeMs)
    return { kind: 'no-tower-floor', node, detail: `the vote account reading is ${at - vote.observedAt} ms old` };
  return null;
}

/**
 * How often the manager reads the cluster (slot, vote account) when no proof is needed: every
 * `slot_check_interval`, and, with a vote account configured, at least twice within the age a
 * reading may have to give a promotion its tower floor ({@link towerFloorGate}). The Go tool's
 * default interval, 30 s, would otherwise leave every other failover without a floor.
 */
export function clusterReadIntervalMs(config: ManagerMachineConfig, slotCheckIntervalMs: number): number {
  if (!config.voteAccountConfigured) return slotCheckIntervalMs;
  return Math.min(slotCheckIntervalMs, config.voteProof.maxAgeMs / 2);
}
