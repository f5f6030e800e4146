import fc from 'fast-check';
import { DEFAULT_PUBKEY, PRIOR_VOTERS_CAPACITY, encodeBase58, keypairFromSeed } from '@failover/core';
import type { Lockout, Tower, TowerLastVote } from '@failover/core';

/** Deterministic identities so failures reproduce. */
export const alice = keypairFromSeed(new Uint8Array(32).fill(1));
export const bob = keypairFromSeed(new Uint8Array(32).fill(2));

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58);
const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const i64 = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const slot = fc.integer({ min: 0, max: 2 ** 40 });
const lockout = fc.record({ slot, confirmationCount: fc.integer({ min: 0, max: 0xffff_ffff }) });
const timestamp = fc.record({ slot: u64, timestamp: i64 });

/** Lockouts in the shape the compact encodings can hold: ascending from the root, u8 confirmations. */
const compactLockouts = fc
  .tuple(
    fc.option(slot, { nil: null }),
    fc.array(
      fc.record({ offset: fc.integer({ min: 0, max: 2 ** 20 }), confirmationCount: fc.integer({ min: 0, max: 255 }) }),
      { maxLength: 31 },
    ),
  )
  .map(([root, offsets]) => {
    let at = root ?? 0;
    const lockouts: Lockout[] = offsets.map(({ offset, confirmationCount }) => {
      at += offset;
      return { slot: at, confirmationCount };
    });
    return { root, lockouts };
  });

const lastVote: fc.Arbitrary<TowerLastVote> = fc.oneof(
  fc.record({
    kind: fc.constant('vote' as const),
    slots: fc.array(u64, { maxLength: 31 }),
    hash: key,
    timestamp: fc.option(i64, { nil: null }),
  }),
  fc.record({
    kind: fc.constant('voteStateUpdate' as const),
    lockouts: fc.array(lockout, { maxLength: 31 }),
    root: fc.option(u64, { nil: null }),
    hash: key,
    timestamp: fc.option(i64, { nil: null }),
  }),
  fc.tuple(compactLockouts, key, fc.option(i64, { nil: null })).map(([{ root, lockouts }, hash, ts]) => ({
    kind: 'compactVoteStateUpdate' as const,
    lockouts,
    root,
    hash,
    timestamp: ts,
  })),
  fc.tuple(compactLockouts, key, fc.option(i64, { nil: null }), key).map(([{ root, lockouts }, hash, ts, blockId]) => ({
    kind: 'towerSync' as const,
    lockouts,
    root,
    hash,
    timestamp: ts,
    blockId,
  })),
);

/** Any tower the format can carry, owned by `alice`. */
export const arbitraryTower: fc.Arbitrary<Tower> = fc.record({
  nodePubkey: fc.constant(alice.pubkey),
  thresholdDepth: u64,
  thresholdSize: fc.double({ noNaN: true }),
  voteState: fc.record({
    nodePubkey: key,
    authorizedWithdrawer: key,
    commission: fc.integer({ min: 0, max: 255 }),
    votes: fc.array(lockout, { maxLength: 31 }),
    rootSlot: fc.option(u64, { nil: null }),
    authorizedVoters: fc
      .uniqueArray(u64, { maxLength: 4 })
      .chain((epochs) =>
        fc.tuple(...[...epochs].sort((a, b) => a - b).map((epoch) => key.map((pubkey) => ({ epoch, pubkey })))),
      ),
    priorVoters: fc.record({
      buf: fc.array(fc.record({ pubkey: key, startEpoch: u64, endEpoch: u64 }), {
        minLength: PRIOR_VOTERS_CAPACITY,
        maxLength: PRIOR_VOTERS_CAPACITY,
      }),
      idx: fc.integer({ min: 0, max: PRIOR_VOTERS_CAPACITY - 1 }),
      isEmpty: fc.boolean(),
    }),
    epochCredits: fc.array(fc.record({ epoch: u64, credits: u64, prevCredits: u64 }), { maxLength: 8 }),
    lastTimestamp: timestamp,
  }),
  lastVote,
  lastTimestamp: timestamp,
});

/** A small, fully specified tower whose bytes the golden test spells out by hand. */
export const goldenTower: Tower = {
  nodePubkey: alice.pubkey,
  thresholdDepth: 8,
  thresholdSize: 2 / 3,
  voteState: {
    nodePubkey: alice.pubkey,
    authorizedWithdrawer: DEFAULT_PUBKEY,
    commission: 5,
    votes: [
      { slot: 10, confirmationCount: 2 },
      { slot: 11, confirmationCount: 1 },
    ],
    rootSlot: 9,
    authorizedVoters: [{ epoch: 3, pubkey: bob.pubkey }],
    priorVoters: {
      buf: Array.from({ length: PRIOR_VOTERS_CAPACITY }, () => ({
        pubkey: DEFAULT_PUBKEY,
        startEpoch: 0,
        endEpoch: 0,
      })),
      idx: 31,
      isEmpty: true,
    },
    epochCredits: [{ epoch: 3, credits: 100, prevCredits: 50 }],
    lastTimestamp: { slot: 11, timestamp: 1_700_000_000 },
  },
  lastVote: {
    kind: 'towerSync',
    lockouts: [
      { slot: 10, confirmationCount: 2 },
      { slot: 11, confirmationCount: 1 },
    ],
    root: 9,
    hash: encodeBase58(new Uint8Array(32).fill(0xaa)),
    timestamp: 1_700_000_000,
    blockId: encodeBase58(new Uint8Array(32).fill(0xbb)),
  },
  lastTimestamp: { slot: 11, timestamp: 1_700_000_000 },
};
