import fc from 'fast-check';
import {
  SAVED_VOTE_HISTORY_CURRENT_VARIANT,
  VoteHistoryDecodeError,
  VoteHistoryEncodeError,
  VoteHistorySignerMismatchError,
  createVoteHistory,
  decodeBase58,
  decodeVoteHistory,
  encodeBase58,
  encodeVoteHistory,
  encodeVoteHistoryData,
  signMessage,
  verifySignature,
  voteHistoryFileName,
  voteHistoryNewestSlot,
} from '@failover/core';
import type { DecodedVoteHistory, Keypair, VoteHistory, VoteHistoryDecodeCode, VoteHistoryVote } from '@failover/core';
import { alice, bob } from './tower-fixtures';

// Independent little-endian builders: the golden test must not share code with the encoder.
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
const key = (base58: string): Buffer => Buffer.from(decodeBase58(base58));
const id = (fill: number): string => encodeBase58(new Uint8Array(32).fill(fill));

/** Builds a `SavedVoteHistoryVersions` envelope by hand, signed by whoever the test chooses. */
function envelope(data: Uint8Array, signer: Keypair, variant = SAVED_VOTE_HISTORY_CURRENT_VARIANT): Uint8Array {
  return Buffer.concat([u32(variant), signMessage(data, signer), u64(data.length), data]);
}

function failure(result: DecodedVoteHistory): VoteHistoryDecodeError {
  if (result.ok) throw new Error('expected the vote history to be refused');
  return result.error;
}

/** Every field filled, every vote kind once: what agave's voting loop records over slots 40–43. */
const golden: VoteHistory = {
  nodePubkey: alice.pubkey,
  voted: [41, 42],
  votedNotar: [{ slot: 41, blockId: id(0xa1) }],
  votedNotarFallback: [{ slot: 42, blockIds: [id(0xa2), id(0xa3)] }],
  votedSkipFallback: [42],
  skipped: [42],
  itsOver: [41],
  votesCast: [
    {
      slot: 41,
      votes: [
        { kind: 'notarize', slot: 41, blockId: id(0xa1) },
        { kind: 'finalize', slot: 41 },
      ],
    },
    {
      slot: 42,
      votes: [
        { kind: 'skip', slot: 42 },
        { kind: 'notarizeFallback', slot: 42, blockId: id(0xa2) },
        { kind: 'skipFallback', slot: 42 },
      ],
    },
    { slot: 43, votes: [{ kind: 'genesis', slot: 43, blockId: id(0xa4) }] },
  ],
  notarizedBlocks: [{ slot: 44, blockId: id(0xb1) }],
  parentReadySlots: [{ slot: 45, parents: [{ slot: 44, blockId: id(0xb1) }] }],
  root: 40,
};

const goldenData = Buffer.concat([
  key(alice.pubkey), // node_pubkey: Pod<Pubkey>
  u64(2),
  u64(41),
  u64(42), // voted: HashSet<Slot>
  u64(1),
  u64(41),
  Buffer.alloc(32, 0xa1), // voted_notar: HashMap<Slot, Hash>
  u64(1),
  u64(42),
  u64(2),
  Buffer.alloc(32, 0xa2),
  Buffer.alloc(32, 0xa3), // voted_notar_fallback: HashMap<Slot, HashSet<Hash>>
  u64(1),
  u64(42), // voted_skip_fallback
  u64(1),
  u64(42), // skipped
  u64(1),
  u64(41), // its_over
  u64(3), // votes_cast: HashMap<Slot, Vec<Vote>>
  u64(41),
  u64(2),
  u32(0),
  u64(41),
  Buffer.alloc(32, 0xa1), // Vote::Notarize { slot, block_id }
  u32(1),
  u64(41), // Vote::Finalize { slot }
  u64(42),
  u64(3),
  u32(2),
  u64(42), // Vote::Skip
  u32(3),
  u64(42),
  Buffer.alloc(32, 0xa2), // Vote::NotarizeFallback
  u32(4),
  u64(42), // Vote::SkipFallback
  u64(43),
  u64(1),
  u32(5),
  u64(43),
  Buffer.alloc(32, 0xa4), // Vote::Genesis
  u64(1),
  u64(44),
  Buffer.alloc(32, 0xb1), // notarized_blocks: HashSet<Block>
  u64(1),
  u64(45),
  u64(1),
  u64(44),
  Buffer.alloc(32, 0xb1), // parent_ready_slots: HashMap<Slot, HashSet<Block>>
  u64(40), // root
]);

const slot = fc.integer({ min: 0, max: 2 ** 40 });
const blockId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58);
const block = fc.record({ slot, blockId });
const vote: fc.Arbitrary<VoteHistoryVote> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('notarize' as const, 'notarizeFallback' as const, 'genesis' as const),
    slot,
    blockId,
  }),
  fc.record({ kind: fc.constantFrom('finalize' as const, 'skip' as const, 'skipFallback' as const), slot }),
);
const slots = fc.array(slot, { maxLength: 4 });
const arbitraryVoteHistory: fc.Arbitrary<VoteHistory> = fc.record({
  nodePubkey: fc.constant(alice.pubkey),
  voted: slots,
  votedNotar: fc.array(block, { maxLength: 3 }),
  votedNotarFallback: fc.array(fc.record({ slot, blockIds: fc.array(blockId, { maxLength: 2 }) }), { maxLength: 2 }),
  votedSkipFallback: slots,
  skipped: slots,
  itsOver: slots,
  votesCast: fc.array(fc.record({ slot, votes: fc.array(vote, { maxLength: 3 }) }), { maxLength: 3 }),
  notarizedBlocks: fc.array(block, { maxLength: 2 }),
  parentReadySlots: fc.array(fc.record({ slot, parents: fc.array(block, { maxLength: 2 }) }), { maxLength: 2 }),
  root: slot,
});

describe('vote history codec', () => {
  it('writes the exact VoteHistory byte layout of agave for a hand-built vote history', () => {
    expect(Buffer.from(encodeVoteHistoryData(golden))).toEqual(goldenData);

    const file = Buffer.from(encodeVoteHistory(golden, alice));
    expect(file.subarray(0, 4)).toEqual(u32(0)); // SavedVoteHistoryVersions::Current
    expect(verifySignature(goldenData, file.subarray(4, 68), alice.pubkey)).toBe(true);
    expect(file.subarray(68, 76)).toEqual(u64(goldenData.length));
    expect(file.subarray(76)).toEqual(goldenData);
  });

  it('decodes hand-built bytes into the vote history, its identity and its newest slot', () => {
    const decoded = decodeVoteHistory(envelope(goldenData, alice), alice.pubkey);
    expect(decoded).toEqual({ ok: true, voteHistory: golden, newestSlot: 43, signer: alice.pubkey });
    expect(decodeVoteHistory(envelope(goldenData, alice))).toMatchObject({ ok: true, signer: alice.pubkey });
  });

  it('counts only votes and the root as recorded slots, not observed certificates', () => {
    const observed = { ...createVoteHistory(alice.pubkey, 7), notarizedBlocks: [{ slot: 90, blockId: id(1) }] };
    expect(voteHistoryNewestSlot(observed)).toBe(7);
    expect(voteHistoryNewestSlot({ ...observed, skipped: [12] })).toBe(12);
  });

  it('round-trips any vote history the format can carry', () => {
    fc.assert(
      fc.property(arbitraryVoteHistory, (history) => {
        const decoded = decodeVoteHistory(encodeVoteHistory(history, alice), alice.pubkey);
        expect(decoded).toMatchObject({ ok: true, signer: alice.pubkey, newestSlot: voteHistoryNewestSlot(history) });
        expect(decoded.ok && decoded.voteHistory).toEqual(history);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a flipped bit anywhere in the signature or signed data as a bad signature', () => {
    const file = encodeVoteHistory(golden, alice);
    for (let byte = 4; byte < file.length; byte += 1) {
      if (byte >= 68 && byte < 76) continue; // the data length is not signed; see the truncation tests
      const corrupt = Uint8Array.from(file);
      corrupt[byte] = (corrupt[byte] ?? 0) ^ (1 << (byte % 8));
      expect(failure(decodeVoteHistory(corrupt, alice.pubkey)).code).toBe('FAILOVER_VOTE_HISTORY_SIGNATURE');
    }
  });

  it('checks the signature before decoding the data', () => {
    // Data agave could not decode (Vote variant 9), signed by another identity: the signature is refused first.
    const data = Buffer.concat([goldenData.subarray(0, 32), u64(0), u64(0), u64(0), u64(0), u64(0), u64(0)]);
    const garbage = Buffer.concat([data, u64(1), u64(5), u64(1), u32(9), u64(5)]);
    expect(failure(decodeVoteHistory(envelope(garbage, bob), alice.pubkey)).code).toBe(
      'FAILOVER_VOTE_HISTORY_SIGNATURE',
    );
    const error = failure(decodeVoteHistory(envelope(garbage, alice), alice.pubkey));
    expect(error.code).toBe('FAILOVER_VOTE_HISTORY_INVALID');
    expect(error.message).toContain('votes_cast[0].votes[0] has unknown Vote variant 9');
  });

  it('refuses every truncation of a vote-history file as truncated, without throwing', () => {
    const file = encodeVoteHistory(golden, alice);
    for (let length = 0; length < file.length; length += 1) {
      const error = failure(decodeVoteHistory(file.subarray(0, length)));
      expect(error).toBeInstanceOf(VoteHistoryDecodeError);
      expect(error.code).toBe('FAILOVER_VOTE_HISTORY_TRUNCATED');
      expect(error.message).toMatch(/^FAILOVER_VOTE_HISTORY_TRUNCATED: truncated at byte \d+ reading /);
    }
  });

  it('names the field a truncated signed payload ends in', () => {
    const error = failure(decodeVoteHistory(envelope(goldenData.subarray(0, 50), alice)));
    expect(error.message).toBe(
      'FAILOVER_VOTE_HISTORY_TRUNCATED: truncated at byte 126 reading voted: length 2 at offset 108 exceeds the remaining 10 bytes',
    );
  });

  it('refuses a data length that runs past the end of the file as truncated', () => {
    const file = Buffer.from(encodeVoteHistory(golden, alice));
    u64(2n ** 40n).copy(file, 68);
    expect(failure(decodeVoteHistory(file)).code).toBe('FAILOVER_VOTE_HISTORY_TRUNCATED');
  });

  it.each([1, 2, 0xffff_ffff])('refuses the unknown SavedVoteHistoryVersions variant %d', (variant) => {
    const error = failure(decodeVoteHistory(envelope(goldenData, alice, variant)));
    expect(error.code).toBe('FAILOVER_VOTE_HISTORY_VARIANT');
    expect(error.message).toContain(`unknown variant ${variant}`);
  });

  describe('a vote history signed by one identity but claiming another', () => {
    const forged = envelope(encodeVoteHistoryData(createVoteHistory(bob.pubkey, 3)), alice);
    it.each<{ expected: string | undefined; code: VoteHistoryDecodeCode }>([
      { expected: undefined, code: 'FAILOVER_VOTE_HISTORY_SIGNATURE' },
      { expected: bob.pubkey, code: 'FAILOVER_VOTE_HISTORY_SIGNATURE' },
      { expected: alice.pubkey, code: 'FAILOVER_VOTE_HISTORY_WRONG_PUBKEY' },
    ])('is refused with $code when expecting $expected', ({ expected, code }) => {
      expect(failure(decodeVoteHistory(forged, expected)).code).toBe(code);
    });
  });

  it('refuses a genuine vote history of another identity as the wrong pubkey', () => {
    const error = failure(decodeVoteHistory(encodeVoteHistory(golden, alice), bob.pubkey));
    expect(error.message).toBe(
      `FAILOVER_VOTE_HISTORY_WRONG_PUBKEY: vote history is for ${alice.pubkey}, expected ${bob.pubkey}; refusing to restore`,
    );
  });

  it.each([
    { name: 'after the envelope', file: (): Uint8Array => Buffer.concat([encodeVoteHistory(golden, alice), u32(0)]) },
    { name: 'inside the signed data', file: (): Uint8Array => envelope(Buffer.concat([goldenData, u32(0)]), alice) },
  ])('refuses trailing bytes $name', ({ file }) => {
    expect(failure(decodeVoteHistory(file())).code).toBe('FAILOVER_VOTE_HISTORY_TRAILING_BYTES');
  });

  it('refuses a u64 slot beyond the safe integer range instead of rounding it', () => {
    const data = Buffer.from(goldenData);
    u64(2n ** 53n).copy(data, 32 + 8); // voted[0]
    const error = failure(decodeVoteHistory(envelope(data, alice)));
    expect(error.code).toBe('FAILOVER_VOTE_HISTORY_INTEGER_RANGE');
    expect(error.message).toContain('voted[0]');
  });

  it('refuses to sign a vote history with a keypair that is not its identity', () => {
    expect(() => encodeVoteHistory(golden, bob)).toThrow(VoteHistorySignerMismatchError);
    expect(() => encodeVoteHistory(golden, bob)).toThrow(
      `FAILOVER_VOTE_HISTORY_SIGNER_MISMATCH: vote history for ${alice.pubkey} cannot be signed by ${bob.pubkey}`,
    );
  });

  it.each<{ name: string; history: VoteHistory; field: string }>([
    { name: 'an unsafe root', history: { ...golden, root: 2 ** 53 }, field: 'root' },
    { name: 'a negative slot', history: { ...golden, skipped: [-1] }, field: 'skipped[0]' },
    {
      name: 'a block id that is not 32 bytes',
      history: { ...golden, votesCast: [{ slot: 41, votes: [{ kind: 'notarize', slot: 41, blockId: '1111' }] }] },
      field: 'votesCast[0].votes[0].blockId',
    },
  ])('refuses to encode $name, naming the field', ({ history, field }) => {
    let caught: unknown;
    try {
      encodeVoteHistoryData(history);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VoteHistoryEncodeError);
    expect((caught as VoteHistoryEncodeError).field).toBe(field);
  });

  it('names vote-history files as agave does and refuses names that are not pubkeys', () => {
    expect(voteHistoryFileName(alice.pubkey)).toBe(`vote_history-${alice.pubkey}.bin`);
    expect(() => voteHistoryFileName('../identity')).toThrow('FAILOVER_PUBKEY_FORMAT');
  });
});
