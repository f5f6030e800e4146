import {
  createTower,
  createVoteHistory,
  encodeTower,
  encodeVoteHistory,
  generateKeypair,
  recordVote,
  type Keypair,
} from '@failover/core';

/** A signed tower file for `keypair` whose votes run up to `lastSlot`. */
export function towerBytes(keypair: Keypair, lastSlot: number): Buffer {
  let tower = createTower(keypair.pubkey);
  for (let slot = Math.max(1, lastSlot - 5); slot <= lastSlot; slot++)
    tower = recordVote(tower, slot, 1_700_000_000 + slot);
  return Buffer.from(encodeTower(tower, keypair));
}

/** A signed Alpenglow vote-history file for `keypair` whose newest vote is a skip of `newestSlot`. */
export function voteHistoryBytes(keypair: Keypair, newestSlot: number): Buffer {
  const root = Math.max(0, newestSlot - 4);
  const history = {
    ...createVoteHistory(keypair.pubkey, root),
    voted: [newestSlot],
    skipped: [newestSlot],
    votesCast: [{ slot: newestSlot, votes: [{ kind: 'skip' as const, slot: newestSlot }] }],
  };
  return Buffer.from(encodeVoteHistory(history, keypair));
}

export { generateKeypair };
