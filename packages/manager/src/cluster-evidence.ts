/**
 * Reads the cluster evidence the manager promotes on: from each configured `cluster_rpc`
 * endpoint on its own, the slot and the vote account in one batch request (one backend answers
 * both), then core's `combineClusterSamples` decides what the round proves. Nothing throws: an
 * endpoint that fails is a sample that says why.
 */
import { combineClusterSamples } from '@failover/core';
import type { Clock, ClusterEvidence, ClusterSample } from '@failover/core';
import type { ClusterRpc } from '@failover/protocol';

/** Reads one round of cluster evidence. */
export interface EvidenceReader {
  /** How many independent endpoints are read. */
  readonly endpoints: number;
  /** One sample from every endpoint, read concurrently, combined. */
  read(): Promise<ClusterEvidence>;
}

/** Options of {@link createEvidenceReader}. */
export interface EvidenceReaderOptions {
  /** One client per configured endpoint, each bound to that endpoint alone; never empty. */
  readonly witnesses: readonly [ClusterRpc, ...ClusterRpc[]];
  /** Without it only the slot is read, and there is neither proof nor floor. */
  readonly voteAccountPubkey: string | undefined;
  readonly clock: Clock;
}

/** Creates the reader over `options.witnesses`. */
export function createEvidenceReader(options: EvidenceReaderOptions): EvidenceReader {
  const { witnesses, voteAccountPubkey, clock } = options;

  async function sample(rpc: ClusterRpc, votePubkey: string): Promise<ClusterSample> {
    const read = await rpc.getSlotAndVoteAccount(votePubkey);
    const at = clock.now();
    if (!read.ok) return { ok: false, endpoint: read.endpoint, detail: read.message, slot: null, at };
    const { slot, vote } = read.value;
    if (vote === undefined)
      return {
        ok: false,
        endpoint: read.endpoint,
        detail: `${read.endpoint} does not know the vote account ${votePubkey}`,
        slot,
        at,
      };
    return {
      ok: true,
      endpoint: read.endpoint,
      slot,
      lastVote: vote.lastVote,
      delinquent: vote.delinquent,
      ...(vote.epochVoteAccount === undefined ? {} : { epochVoteAccount: vote.epochVoteAccount }),
      at,
    };
  }

  return {
    endpoints: witnesses.length,
    async read() {
      if (voteAccountPubkey === undefined) {
        const slot = await witnesses[0].getSlot();
        return {
          clusterSlot: slot.ok ? { slot: slot.value, observedAt: clock.now() } : null,
          vote: null,
          floor: null,
          shortfall: `vote_account_pubkey is not set${slot.ok ? '' : `; ${slot.message}`}`,
        };
      }
      const samples = await Promise.all(witnesses.map((rpc) => sample(rpc, voteAccountPubkey)));
      return combineClusterSamples(samples, witnesses.length);
    },
  };
}
