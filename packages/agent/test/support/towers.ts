import { createTower, encodeTower, generateKeypair, recordVote, type Keypair } from '@failover/core';

/** A signed tower file for `keypair` whose votes run up to `lastSlot`. */
export function towerBytes(keypair: Keypair, lastSlot: number): Buffer {
  let tower = createTower(keypair.pubkey);
  for (let slot = Math.max(1, lastSlot - 5); slot <= lastSlot; slot++)
    tower = recordVote(tower, slot, 1_700_000_000 + slot);
  return Buffer.from(encodeTower(tower, keypair));
}

export { generateKeypair };
