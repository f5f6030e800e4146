/**
 * Two questions the manager asks every tick, answered from observations alone: which node
 * holds the staked identity, and — when the holder cannot be reached — is there proof that
 * it stopped voting. Both answer conservatively: any sign that a node may hold the identity
 * counts as holding it, and a missing or stale reading is never proof.
 */
import type { BlockCause } from './events';
import type { ConsensusVeto } from './phase-evidence';
import { voteEvidenceVeto } from './phase-evidence';
import type { NodeId, NodeStatus, Observation } from './types';
import { NODE_IDS, otherNode } from './types';

/** Which node is active, or why that cannot be said. */
export type RoleResolution =
  | { readonly kind: 'resolved'; readonly active: NodeId; readonly passive: NodeId }
  | {
      readonly kind: 'conflict';
      readonly cause: Extract<BlockCause, { kind: 'both-active' | 'no-active' | 'identity-elsewhere' }>;
    }
  | { readonly kind: 'unknown' };

/** The input of {@link resolveRoles}. */
export interface RoleInput {
  /** This tick's observation. */
  readonly observation: Observation;
  /** The active node as last known, used only when observations cannot decide. */
  readonly lastKnownActive: NodeId | null;
  /** The staked identity, when configured, to recognise it in `getIdentity` answers. */
  readonly stakedIdentityPubkey: string | null;
  /** A gossip reading older than this is ignored. */
  readonly gossipMaxAgeMs: number;
}

/**
 * A node may hold the staked identity when its agent says active, unconfirmed or is
 * mid-change, or its validator answers `getIdentity` with the staked key. Counting a
 * mid-change node as a holder makes a concurrent change elsewhere look like two actives,
 * which blocks — the safe direction.
 */
export function mayHoldIdentity(status: NodeStatus, stakedIdentityPubkey: string | null): boolean {
  if (status.isActive) return true;
  if (
    status.role === 'active' ||
    status.role === 'activating' ||
    status.role === 'deactivating' ||
    status.role === 'unconfirmed'
  )
    return true;
  return stakedIdentityPubkey !== null && status.identityPubkey === stakedIdentityPubkey;
}

/**
 * A node whose agent is in the middle of a role change and whose validator does not run the
 * staked identity: it has neither taken the identity nor given it up yet. It still counts as a
 * possible holder ({@link mayHoldIdentity}), but not as news about who holds it. The agent's
 * `is_active` says nothing here: it is true in every role but `passive`.
 */
export function isChangingRole(status: NodeStatus, stakedIdentityPubkey: string | null): boolean {
  if (status.role !== 'activating' && status.role !== 'deactivating') return false;
  return stakedIdentityPubkey === null || status.identityPubkey !== stakedIdentityPubkey;
}

/**
 * Decides which node is active. Two holders, or gossip placing the identity on a machine
 * that is neither node, is a conflict that must block any promotion. Two reachable
 * non-holders is `no-active`: nobody votes (`manager-recovery` decides whether the manager
 * may pick a voter or an operator must). One reachable
 * non-holder makes the unreachable node the active by elimination (the proof rule still
 * guards its replacement).
 */
export function resolveRoles(input: RoleInput): RoleResolution {
  const { observation, stakedIdentityPubkey } = input;
  const gossip = observation.gossip;
  if (
    gossip !== null &&
    gossip.ip !== null &&
    gossip.holder === null &&
    observation.at - gossip.observedAt <= input.gossipMaxAgeMs
  ) {
    return { kind: 'conflict', cause: { kind: 'identity-elsewhere', ip: gossip.ip } };
  }
  const holders: NodeId[] = [];
  const reachable: NodeId[] = [];
  for (const node of NODE_IDS) {
    const seen = observation.nodes[node];
    if (!seen.reachable) continue;
    reachable.push(node);
    if (mayHoldIdentity(seen.status, stakedIdentityPubkey)) holders.push(node);
  }
  const [first, second] = holders;
  if (second !== undefined) return { kind: 'conflict', cause: { kind: 'both-active' } };
  if (first !== undefined) return { kind: 'resolved', active: first, passive: otherNode(first) };
  const [onlyReachable, secondReachable] = reachable;
  if (secondReachable !== undefined) return { kind: 'conflict', cause: { kind: 'no-active' } };
  if (onlyReachable !== undefined)
    return { kind: 'resolved', active: otherNode(onlyReachable), passive: onlyReachable };
  if (input.lastKnownActive !== null) {
    return { kind: 'resolved', active: input.lastKnownActive, passive: otherNode(input.lastKnownActive) };
  }
  return { kind: 'unknown' };
}

/** Limits of the "stopped voting" proof. */
export interface VoteProofRules {
  /**
   * The vote account's `lastVote` must be at least this many slots behind the cluster slot
   * (`stale_vote_slot_threshold`). Votes also stop landing when the old active is cut off from
   * the cluster while it still runs with the staked identity; the proof is only sound if such
   * a node has removed its identity by the time the silence is this long. So in slots it must
   * exceed the agent's isolation step-down time (about 150 × 400 ms = 60 s against the
   * agent's `manager_timeout` of 30 s plus `set-identity`). One value everywhere, the same as
   * `manager-config.json`'s default.
   * @default 150
   */
  readonly staleVoteSlotThreshold: number;
  /**
   * The vote account reading must be at most this old.
   * @default 15000
   */
  readonly maxAgeMs: number;
  /**
   * The cluster slot may be read at most this long after the vote account: a slot read
   * later inflates the gap by the slots that passed in between, during which the node may
   * have voted.
   * @default 2000
   */
  readonly maxSkewMs: number;
}

/** The defaults of {@link VoteProofRules}. */
export const DEFAULT_VOTE_PROOF_RULES: VoteProofRules = {
  staleVoteSlotThreshold: 150,
  maxAgeMs: 15_000,
  maxSkewMs: 2_000,
};

/** Whether the observation proves that `node`, the unreachable holder, stopped voting. */
export type VoteProof =
  | { readonly proven: true; readonly lastVote: number; readonly clusterSlot: number }
  | {
      readonly proven: false;
      readonly cause: Extract<BlockCause, { kind: 'old-active-still-voting' | 'no-vote-proof' }> | ConsensusVeto;
    };

/**
 * Checks the fail-closed proof rule of DESIGN §2 for an unreachable old active. Once the
 * readings are there and fresh, the consensus phase may veto them (`phase-evidence.ts`); under
 * Alpenglow the slot arithmetic is the tower's, on the same one-endpoint sample: processed slot
 * − `lastVote` above the threshold.
 */
export function proveStoppedVoting(observation: Observation, node: NodeId, rules: VoteProofRules): VoteProof {
  const { vote, clusterSlot, at } = observation;
  const noProof = (detail: string): VoteProof => ({ proven: false, cause: { kind: 'no-vote-proof', node, detail } });
  if (vote === null) return noProof('the vote account has not been read from the cluster RPC');
  if (clusterSlot === null) return noProof('the cluster slot has not been read from the cluster RPC');
  if (at - vote.observedAt > rules.maxAgeMs)
    return noProof(`the vote account reading is ${at - vote.observedAt} ms old`);
  if (
    clusterSlot.observedAt - vote.observedAt > rules.maxSkewMs ||
    clusterSlot.observedAt < vote.observedAt - rules.maxAgeMs
  ) {
    return noProof('the cluster slot and the vote account were not read together');
  }
  // After the readings' own checks, so an unreadable cluster is `no-vote-proof` in every phase.
  const veto = voteEvidenceVeto(observation);
  if (veto !== null) return { proven: false, cause: veto };
  const behind = clusterSlot.slot - vote.lastVote;
  if (behind < rules.staleVoteSlotThreshold) {
    return {
      proven: false,
      cause: { kind: 'old-active-still-voting', node, lastVote: vote.lastVote, clusterSlot: clusterSlot.slot },
    };
  }
  return { proven: true, lastVote: vote.lastVote, clusterSlot: clusterSlot.slot };
}
