import fc from 'fast-check';
import {
  SAVED_TOWER_CURRENT_VARIANT,
  TowerDecodeError,
  TowerEncodeError,
  TowerSignerMismatchError,
  createTower,
  decodeBase58,
  decodeTower,
  encodeTower,
  encodeTowerData,
  recordVote,
  signMessage,
  towerFileName,
  verifySignature,
} from '@failover/core';
import type { DecodedTower, Keypair, Tower, TowerDecodeCode } from '@failover/core';
import { alice, arbitraryTower, bob, goldenTower } from './tower-fixtures';

// Independent little-endian builders: the golden test must not share code with the encoder.
const u8 = (n: number): Buffer => Buffer.from([n]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const i64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
};
const f64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
};
const key = (base58: string): Buffer => Buffer.from(decodeBase58(base58));
const zeroKey = Buffer.alloc(32);

/** Builds a `SavedTowerVersions` envelope by hand, signed by whoever the test chooses. */
function envelope(data: Uint8Array, signer: Keypair, variant = SAVED_TOWER_CURRENT_VARIANT): Uint8Array {
  return Buffer.concat([u32(variant), signMessage(data, signer), u64(data.length), data]);
}

function failure(result: DecodedTower): TowerDecodeError {
  if (result.ok) throw new Error('expected the tower to be refused');
  return result.error;
}

function smallTower(): Tower {
  let tower = createTower(alice.pubkey);
  for (const slot of [5, 6, 7, 9]) tower = recordVote(tower, slot, 1_700_000_000 + slot);
  return tower;
}

describe('tower codec', () => {
  it('writes the exact Tower1_14_11 byte layout of agave for a hand-built tower', () => {
    const expectedData = Buffer.concat([
      key(alice.pubkey), // node_pubkey
      u64(8), // threshold_depth: usize
      f64(2 / 3), // threshold_size
      key(alice.pubkey), // vote_state.node_pubkey
      zeroKey, // authorized_withdrawer
      u8(5), // commission
      u64(2),
      u64(10),
      u32(2),
      u64(11),
      u32(1), // votes: VecDeque<Lockout { slot: u64, confirmation_count: u32 }>
      u8(1),
      u64(9), // root_slot: Some(9)
      u64(1),
      u64(3),
      key(bob.pubkey), // authorized_voters: BTreeMap<Epoch, Pubkey>
      Buffer.concat(Array.from({ length: 32 }, () => Buffer.concat([zeroKey, u64(0), u64(0)]))), // prior_voters.buf
      u64(31),
      u8(1), // prior_voters.idx, is_empty
      u64(1),
      u64(3),
      u64(100),
      u64(50), // epoch_credits
      u64(11),
      i64(1_700_000_000), // vote_state.last_timestamp
      u32(3), // last_vote: VoteTransaction::TowerSync (compact serde)
      u64(9), // root
      u8(2),
      u8(1),
      u8(2),
      u8(1),
      u8(1), // short_vec len 2; (varint offset 1, conf 2); (offset 1, conf 1)
      Buffer.alloc(32, 0xaa), // hash
      u8(1),
      i64(1_700_000_000), // timestamp: Some
      Buffer.alloc(32, 0xbb), // block_id
      u64(11),
      i64(1_700_000_000), // last_timestamp
    ]);
    expect(Buffer.from(encodeTowerData(goldenTower))).toEqual(expectedData);

    const file = Buffer.from(encodeTower(goldenTower, alice));
    expect(file.subarray(0, 4)).toEqual(u32(1));
    expect(verifySignature(expectedData, file.subarray(4, 68), alice.pubkey)).toBe(true);
    expect(file.subarray(68, 76)).toEqual(u64(expectedData.length));
    expect(file.subarray(76)).toEqual(expectedData);
  });

  it.each([
    {
      name: 'Vote',
      vote: { kind: 'vote' as const, slots: [7, 8], hash: goldenTower.lastVote.hash, timestamp: null },
      bytes: Buffer.concat([u32(0), u64(2), u64(7), u64(8), Buffer.alloc(32, 0xaa), u8(0)]),
    },
    {
      name: 'VoteStateUpdate',
      vote: {
        kind: 'voteStateUpdate' as const,
        lockouts: [{ slot: 7, confirmationCount: 3 }],
        root: null,
        hash: goldenTower.lastVote.hash,
        timestamp: -5,
      },
      bytes: Buffer.concat([u32(1), u64(1), u64(7), u32(3), u8(0), Buffer.alloc(32, 0xaa), u8(1), i64(-5)]),
    },
    {
      name: 'CompactVoteStateUpdate without a root (Slot::MAX) and a multi-byte varint',
      vote: {
        kind: 'compactVoteStateUpdate' as const,
        lockouts: [{ slot: 300, confirmationCount: 1 }],
        root: null,
        hash: goldenTower.lastVote.hash,
        timestamp: null,
      },
      bytes: Buffer.concat([
        u32(2),
        u64((1n << 64n) - 1n),
        u8(1),
        u8(0xac),
        u8(0x02),
        u8(1),
        Buffer.alloc(32, 0xaa),
        u8(0),
      ]),
    },
  ])('encodes a last vote of kind $name as agave serialises VoteTransaction', ({ vote, bytes }) => {
    const data = Buffer.from(encodeTowerData({ ...goldenTower, lastVote: vote }));
    const tail = Buffer.concat([u64(11), i64(1_700_000_000)]);
    expect(data.subarray(data.length - bytes.length - tail.length)).toEqual(Buffer.concat([bytes, tail]));
    const decoded = decodeTower(envelope(data, alice));
    expect(decoded.ok && decoded.tower.lastVote).toEqual(vote);
  });

  it('round-trips any tower the format can carry', () => {
    fc.assert(
      fc.property(arbitraryTower, (tower) => {
        const decoded = decodeTower(encodeTower(tower, alice), alice.pubkey);
        expect(decoded).toMatchObject({ ok: true, signer: alice.pubkey });
        expect(decoded.ok && decoded.tower).toEqual(tower);
      }),
      { numRuns: 200 },
    );
  });

  it('reports the last voted slot and root of a decoded tower', () => {
    const decoded = decodeTower(encodeTower(smallTower(), alice));
    expect(decoded).toMatchObject({ ok: true, lastVotedSlot: 9, rootSlot: 0, signer: alice.pubkey });
  });

  it('refuses a flipped bit anywhere in the signature or signed data as a bad signature', () => {
    const file = encodeTower(smallTower(), alice);
    for (let byte = 4; byte < file.length; byte += 1) {
      if (byte >= 68 && byte < 76) continue; // the data length is not signed; see the truncation test
      const corrupt = Uint8Array.from(file);
      corrupt[byte] = (corrupt[byte] ?? 0) ^ (1 << (byte % 8));
      expect(failure(decodeTower(corrupt)).code).toBe('FAILOVER_TOWER_SIGNATURE');
      expect(failure(decodeTower(corrupt, alice.pubkey)).code).toBe('FAILOVER_TOWER_SIGNATURE');
    }
  });

  it('refuses every truncation of a tower file as truncated, without throwing', () => {
    const file = encodeTower(smallTower(), alice);
    for (let length = 0; length < file.length; length += 1) {
      const error = failure(decodeTower(file.subarray(0, length)));
      expect(error).toBeInstanceOf(TowerDecodeError);
      expect(error.code).toBe('FAILOVER_TOWER_TRUNCATED');
      expect(error.message).toMatch(/^FAILOVER_TOWER_TRUNCATED: truncated at byte \d+ reading /);
    }
  });

  it('names the field a truncated signed payload ends in', () => {
    const data = encodeTowerData(smallTower()).subarray(0, 40);
    const error = failure(decodeTower(envelope(data, alice)));
    expect(error.message).toBe(
      'FAILOVER_TOWER_TRUNCATED: truncated at byte 116 reading threshold_size (needs 8 bytes at offset 116)',
    );
  });

  it.each([
    { variant: 0, message: 'V1_17_14' },
    { variant: 2, message: 'unknown variant 2' },
    { variant: 0xffff_ffff, message: 'unknown variant 4294967295' },
  ])('refuses SavedTowerVersions variant $variant', ({ variant, message }) => {
    const error = failure(decodeTower(envelope(encodeTowerData(smallTower()), alice, variant)));
    expect(error.code).toBe('FAILOVER_TOWER_VARIANT');
    expect(error.message).toContain(message);
  });

  describe('a tower signed by one identity but claiming another', () => {
    const forged = envelope(encodeTowerData(createTower(bob.pubkey)), alice);
    it.each<{ expected: string | undefined; code: TowerDecodeCode }>([
      { expected: undefined, code: 'FAILOVER_TOWER_SIGNATURE' },
      { expected: bob.pubkey, code: 'FAILOVER_TOWER_SIGNATURE' },
      { expected: alice.pubkey, code: 'FAILOVER_TOWER_WRONG_PUBKEY' },
    ])('is refused with $code when expecting $expected', ({ expected, code }) => {
      expect(failure(decodeTower(forged, expected)).code).toBe(code);
    });
  });

  it('refuses a genuine tower of another identity as the wrong pubkey', () => {
    const error = failure(decodeTower(encodeTower(smallTower(), alice), bob.pubkey));
    expect(error.code).toBe('FAILOVER_TOWER_WRONG_PUBKEY');
    expect(error.message).toBe(
      `FAILOVER_TOWER_WRONG_PUBKEY: tower is for ${alice.pubkey}, expected ${bob.pubkey}; refusing to restore`,
    );
  });

  it.each([
    { name: 'after the envelope', file: (): Uint8Array => Buffer.concat([encodeTower(smallTower(), alice), u8(0)]) },
    {
      name: 'inside the signed data',
      file: (): Uint8Array => envelope(Buffer.concat([encodeTowerData(smallTower()), u8(0)]), alice),
    },
  ])('refuses trailing bytes $name', ({ file }) => {
    expect(failure(decodeTower(file())).code).toBe('FAILOVER_TOWER_TRAILING_BYTES');
  });

  // Offset of vote_state.votes[0].slot in the data: 32 + 8 + 8 + 32 + 32 + 1 + 8 (votes length).
  const FIRST_VOTE_SLOT = 121;
  const ROOT_SLOT_TAG = FIRST_VOTE_SLOT + 4 * 12;

  it('refuses a u64 slot beyond the safe integer range instead of rounding it', () => {
    const data = Buffer.from(encodeTowerData(smallTower()));
    u64(2n ** 53n).copy(data, FIRST_VOTE_SLOT);
    const error = failure(decodeTower(envelope(data, alice)));
    expect(error.code).toBe('FAILOVER_TOWER_INTEGER_RANGE');
    expect(error.message).toContain('vote_state.votes[0].slot');
  });

  it('refuses an option tag other than 0 or 1', () => {
    const data = Buffer.from(encodeTowerData(smallTower()));
    expect(data[ROOT_SLOT_TAG]).toBe(1);
    data[ROOT_SLOT_TAG] = 2;
    const error = failure(decodeTower(envelope(data, alice)));
    expect(error.code).toBe('FAILOVER_TOWER_INVALID');
    expect(error.message).toContain('vote_state.root_slot has option tag 2');
  });

  it('refuses a data length that runs past the end of the file as truncated', () => {
    const file = Buffer.from(encodeTower(smallTower(), alice));
    u64(2n ** 40n).copy(file, 68);
    expect(failure(decodeTower(file)).code).toBe('FAILOVER_TOWER_TRUNCATED');
  });

  it('refuses to sign a tower with a keypair that is not its identity', () => {
    expect(() => encodeTower(smallTower(), bob)).toThrow(TowerSignerMismatchError);
    expect(() => encodeTower(smallTower(), bob)).toThrow(
      `FAILOVER_TOWER_SIGNER_MISMATCH: tower for ${alice.pubkey} cannot be signed by ${bob.pubkey}`,
    );
  });

  it.each<{ name: string; tower: Tower; field: string }>([
    {
      name: 'an unsafe slot',
      tower: { ...goldenTower, lastTimestamp: { slot: 2 ** 53, timestamp: 0 } },
      field: 'lastTimestamp.slot',
    },
    {
      name: 'a negative slot',
      tower: { ...goldenTower, voteState: { ...goldenTower.voteState, rootSlot: -1 } },
      field: 'voteState.rootSlot',
    },
    {
      name: 'a commission above 255',
      tower: { ...goldenTower, voteState: { ...goldenTower.voteState, commission: 256 } },
      field: 'voteState.commission',
    },
    {
      name: 'a hash that is not 32 bytes',
      tower: { ...goldenTower, lastVote: { ...goldenTower.lastVote, hash: '1111' } },
      field: 'lastVote.hash',
    },
    {
      name: 'compact lockouts below the root',
      tower: {
        ...goldenTower,
        lastVote: {
          kind: 'towerSync',
          lockouts: [{ slot: 10, confirmationCount: 1 }],
          root: 20,
          hash: alice.pubkey,
          timestamp: null,
          blockId: alice.pubkey,
        },
      },
      field: 'lastVote.lockouts[0].slot',
    },
  ])('refuses to encode $name, naming the field', ({ tower, field }) => {
    let caught: unknown;
    try {
      encodeTowerData(tower);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TowerEncodeError);
    expect((caught as TowerEncodeError).field).toBe(field);
  });

  it('names tower files as agave does and refuses names that are not pubkeys', () => {
    expect(towerFileName(alice.pubkey)).toBe(`tower-1_9-${alice.pubkey}.bin`);
    expect(() => towerFileName('../identity')).toThrow('FAILOVER_PUBKEY_FORMAT');
  });
});
