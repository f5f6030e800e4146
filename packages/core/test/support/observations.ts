import type { ConsensusView, NodeObservation, NodeStatus, Observation } from '@failover/core';

export const STAKED = 'StakedIdentity1111111111111111111111111111111';
export const UNSTAKED = 'Unstaked11111111111111111111111111111111111';

/** A healthy node's status at `slot`, as an agent would report it. */
export function status(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    processRunning: true,
    processUptimeSec: 3600,
    processHealthy: true,
    validatorSlot: 1000,
    networkSlot: 1000,
    slotDiff: 0,
    rpcHealthy: true,
    isActive: false,
    lastTowerBackup: null,
    role: 'passive',
    identityPubkey: UNSTAKED,
    timestamp: 0,
    ...overrides,
  };
}

export function activeStatus(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return status({ isActive: true, role: 'active', identityPubkey: STAKED, ...overrides });
}

export function up(s: NodeStatus): NodeObservation {
  return { reachable: true, status: s, latencyMs: 5 };
}

export function down(reason: 'timeout' | 'refused' | 'rejected' | 'error' = 'timeout'): NodeObservation {
  return { reachable: false, reason, detail: `${reason} after 5000 ms` };
}

export interface ObservationInput {
  readonly at: number;
  readonly v1?: NodeObservation;
  readonly v2?: NodeObservation;
  /** Cluster slot read at `at`; null for "RPC unavailable". */
  readonly slot?: number | null;
  /** Vote account lastVote read at `at`; null for "not read". */
  readonly lastVote?: number | null;
  readonly gossip?: Observation['gossip'];
  /** The consensus phase; absent: TowerBFT, as before phases were read. */
  readonly consensus?: ConsensusView;
  /** The vote account is excluded from voting this epoch (`epochVoteAccount: false`). */
  readonly excluded?: boolean;
}

/**
 * A tick: validator1 active, validator2 passive, both healthy at slot 1000, the vote
 * account voting on slot 999, unless told otherwise.
 */
export function observe(input: ObservationInput): Observation {
  const slot = input.slot === undefined ? 1000 : input.slot;
  const lastVote = input.lastVote === undefined ? 999 : input.lastVote;
  return {
    at: input.at,
    nodes: { validator1: input.v1 ?? up(activeStatus()), validator2: input.v2 ?? up(status()) },
    clusterSlot: slot === null ? null : { slot, observedAt: input.at },
    vote:
      lastVote === null
        ? null
        : { lastVote, delinquent: false, ...(input.excluded === true ? { excluded: true } : {}), observedAt: input.at },
    gossip: input.gossip ?? null,
    ...(input.consensus === undefined ? {} : { consensus: input.consensus }),
  };
}
