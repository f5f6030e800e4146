/**
 * The Alpenglow vote-history file, byte for byte as agave writes it to
 * `<ledger>/vote_history-<pubkey>.bin` (agave `votor/src/vote_history_storage.rs` and
 * `votor/src/vote_history.rs`; wincode, whose default configuration is bincode's: u32 LE enum
 * variant index, u64 LE lengths and integers, fixed arrays without a length):
 *
 *   u32 LE  `SavedVoteHistoryVersions` variant: 0 = Current (the only one so far)
 *   [64]    ed25519 signature by the node identity over `data`
 *   u64 LE  length of data, then data = `VoteHistory`:
 *             [32] node_pubkey
 *             voted, voted_skip_fallback, skipped, its_over: u64 count, then u64 slots
 *             voted_notar: u64 count, then (u64 slot, [32] block id)
 *             voted_notar_fallback: u64 count, then (u64 slot, u64 count, [32] block ids)
 *             votes_cast: u64 count, then (u64 slot, u64 count, Vote…)
 *             notarized_blocks: u64 count, then (u64 slot, [32] block id)
 *             parent_ready_slots: u64 count, then (u64 slot, u64 count, (u64 slot, [32] block id)…)
 *             u64 root
 *
 * A `Vote` is a u32 variant index then its fields: 0 Notarize (slot, block id), 1 Finalize (slot),
 * 2 Skip (slot), 3 NotarizeFallback (slot, block id), 4 SkipFallback (slot), 5 Genesis (slot, block
 * id; migration only). The sets and maps are Rust hash containers: their order on disk carries no
 * meaning, and this codec keeps whatever order it is given or finds.
 *
 * `SavedVoteHistory.node_pubkey` is `#[wincode(skip)]`: the identity is only inside `data`, so
 * agave checks the signature against the identity it expects before decoding the data
 * (`try_into_vote_history`). `decodeVoteHistory` does the same. Unlike a tower, a vote history
 * cannot be rebuilt from the vote account: it records skip and fallback votes that never reach
 * the chain, so a lost one is lost.
 */
import { decodeBase58, encodeBase58 } from './base58';
import {
  PubkeyFormatError,
  VoteHistoryDecodeError,
  VoteHistoryEncodeError,
  VoteHistorySignerMismatchError,
} from './errors';
import { BincodeReader, BincodeWriter, type BincodeErrorFactory } from './internal/bincode';
import { PUBKEY_LENGTH, SIGNATURE_LENGTH, isValidPubkey, signMessage, verifySignature } from './keys';
import type { Keypair } from './keys';

/** Variant index of `SavedVoteHistoryVersions::Current`, its first and only variant. */
export const SAVED_VOTE_HISTORY_CURRENT_VARIANT = 0;

/** A block: its slot and its block id (base58 of 32 bytes). */
export interface VoteHistoryBlock {
  readonly slot: number;
  readonly blockId: string;
}

/** One vote as agave's `Vote` enum holds it. */
export type VoteHistoryVote =
  | { readonly kind: 'notarize' | 'notarizeFallback' | 'genesis'; readonly slot: number; readonly blockId: string }
  | { readonly kind: 'finalize' | 'skip' | 'skipFallback'; readonly slot: number };

/** agave's `VoteHistory`, field for field; the hash sets and maps as arrays in file order. */
export interface VoteHistory {
  /** The identity that cast the votes (base58). */
  readonly nodePubkey: string;
  /** Slots with a notarization or skip vote. */
  readonly voted: readonly number[];
  /** The block notarized in each slot. */
  readonly votedNotar: readonly VoteHistoryBlock[];
  /** The blocks given a notarization fallback vote, per slot. */
  readonly votedNotarFallback: readonly { readonly slot: number; readonly blockIds: readonly string[] }[];
  /** Slots with a skip fallback vote. */
  readonly votedSkipFallback: readonly number[];
  /** Slots with a skip, skip fallback or notarization fallback vote. */
  readonly skipped: readonly number[];
  /** Slots with a finalization vote. */
  readonly itsOver: readonly number[];
  /** Every vote cast, per slot. */
  readonly votesCast: readonly { readonly slot: number; readonly votes: readonly VoteHistoryVote[] }[];
  /** Blocks seen notarized by a certificate (observed, not voted). */
  readonly notarizedBlocks: readonly VoteHistoryBlock[];
  /** Slots whose parent is ready, with the parents (observed, not voted). */
  readonly parentReadySlots: readonly { readonly slot: number; readonly parents: readonly VoteHistoryBlock[] }[];
  /** The voting loop's latest root; nothing above records a slot below it. */
  readonly root: number;
}

/** Result of {@link decodeVoteHistory}: the verified vote history, or why it was refused. */
export type DecodedVoteHistory =
  | {
      readonly ok: true;
      readonly voteHistory: VoteHistory;
      /** {@link voteHistoryNewestSlot} of the vote history. */
      readonly newestSlot: number;
      /** The identity whose signature was verified and to which the vote history belongs (base58). */
      readonly signer: string;
    }
  | { readonly ok: false; readonly error: VoteHistoryDecodeError };

/** Order of `Vote`'s variants. */
const VOTE_KINDS = ['notarize', 'finalize', 'skip', 'notarizeFallback', 'skipFallback', 'genesis'] as const;
const WITH_BLOCK: ReadonlySet<VoteHistoryVote['kind']> = new Set(['notarize', 'notarizeFallback', 'genesis']);

/** An empty vote history of `nodePubkey` with root `root`, as agave's `VoteHistory::new`. */
export function createVoteHistory(nodePubkey: string, root = 0): VoteHistory {
  if (!isValidPubkey(nodePubkey)) throw new PubkeyFormatError('vote history nodePubkey', 'expected base58 of 32 bytes');
  return {
    nodePubkey,
    voted: [],
    votedNotar: [],
    votedNotarFallback: [],
    votedSkipFallback: [],
    skipped: [],
    itsOver: [],
    votesCast: [],
    notarizedBlocks: [],
    parentReadySlots: [],
    root,
  };
}

/**
 * The newest slot the vote history records a vote of its identity in, or its root when that is
 * higher (a pruned history keeps only the root). Certificates it observed (notarized blocks,
 * parent-ready slots) are not votes and do not count.
 */
export function voteHistoryNewestSlot(history: VoteHistory): number {
  let newest = history.root;
  const see = (slot: number): void => {
    if (slot > newest) newest = slot;
  };
  for (const slots of [history.voted, history.votedSkipFallback, history.skipped, history.itsOver]) slots.forEach(see);
  history.votedNotar.forEach((block) => see(block.slot));
  history.votedNotarFallback.forEach((entry) => see(entry.slot));
  for (const entry of history.votesCast) {
    see(entry.slot);
    entry.votes.forEach((vote) => see(vote.slot));
  }
  return newest;
}

/** `vote_history-<pubkey>.bin`, the name agave gives the file in the ledger directory. */
export function voteHistoryFileName(pubkey: string): string {
  if (!isValidPubkey(pubkey)) throw new PubkeyFormatError('vote history file pubkey', 'expected base58 of 32 bytes');
  return `vote_history-${pubkey}.bin`;
}

/**
 * Encodes and signs a vote history as `SavedVoteHistoryVersions::Current`, the bytes agave
 * writes to `vote_history-<pubkey>.bin`. `keypair` is the identity's 64-byte Solana keypair.
 * @throws {VoteHistorySignerMismatchError} when `keypair` is not the vote history's identity
 * @throws {VoteHistoryEncodeError} when a field cannot be stored in its on-disk type
 */
export function encodeVoteHistory(history: VoteHistory, keypair: Keypair): Uint8Array {
  if (keypair.pubkey !== history.nodePubkey) {
    throw new VoteHistorySignerMismatchError(history.nodePubkey, keypair.pubkey);
  }
  const data = encodeVoteHistoryData(history);
  const envelope = newWriter();
  envelope.u32(SAVED_VOTE_HISTORY_CURRENT_VARIANT, 'variant');
  envelope.bytes(signMessage(data, keypair));
  envelope.u64(data.length, 'data length');
  envelope.bytes(data);
  return envelope.finish();
}

/**
 * Encodes the unsigned `VoteHistory` payload (the `data` the signature covers).
 * @throws {VoteHistoryEncodeError} when a field cannot be stored in its on-disk type
 */
export function encodeVoteHistoryData(history: VoteHistory): Uint8Array {
  const w = newWriter();
  writeKey(w, history.nodePubkey, 'nodePubkey');
  writeSlots(w, history.voted, 'voted');
  writeSequence(w, history.votedNotar, 'votedNotar', (block, field) => writeBlock(w, block, field));
  writeSequence(w, history.votedNotarFallback, 'votedNotarFallback', (entry, field) => {
    w.u64(entry.slot, `${field}.slot`);
    writeSequence(w, entry.blockIds, `${field}.blockIds`, (id, idField) => writeKey(w, id, idField));
  });
  writeSlots(w, history.votedSkipFallback, 'votedSkipFallback');
  writeSlots(w, history.skipped, 'skipped');
  writeSlots(w, history.itsOver, 'itsOver');
  writeSequence(w, history.votesCast, 'votesCast', (entry, field) => {
    w.u64(entry.slot, `${field}.slot`);
    writeSequence(w, entry.votes, `${field}.votes`, (vote, voteField) => writeVote(w, vote, voteField));
  });
  writeSequence(w, history.notarizedBlocks, 'notarizedBlocks', (block, field) => writeBlock(w, block, field));
  writeSequence(w, history.parentReadySlots, 'parentReadySlots', (entry, field) => {
    w.u64(entry.slot, `${field}.slot`);
    writeSequence(w, entry.parents, `${field}.parents`, (block, blockField) => writeBlock(w, block, blockField));
  });
  w.u64(history.root, 'root');
  return w.finish();
}

/**
 * Decodes a vote-history file and verifies it. With `expectedPubkey`, the signature is checked
 * against that identity and the vote history must belong to it (agave `try_into_vote_history`);
 * without, against the `node_pubkey` the data claims. Either way the signature is checked before
 * any of the data is decoded. Never throws for bad input: every failure is a
 * {@link VoteHistoryDecodeError} value. Bytes after the vote history are refused (agave never
 * writes them).
 */
export function decodeVoteHistory(bytes: Uint8Array, expectedPubkey?: string): DecodedVoteHistory {
  try {
    return { ok: true, ...decodeVerified(bytes, expectedPubkey) };
  } catch (error) {
    if (error instanceof VoteHistoryDecodeError) return { ok: false, error };
    throw error;
  }
}

const readError: BincodeErrorFactory = (failure, message, offset) =>
  new VoteHistoryDecodeError(`FAILOVER_VOTE_HISTORY_${failure}`, message, offset);

function newWriter(): BincodeWriter {
  return new BincodeWriter((field, problem) => new VoteHistoryEncodeError(field, problem));
}

function decodeVerified(
  bytes: Uint8Array,
  expectedPubkey: string | undefined,
): { voteHistory: VoteHistory; newestSlot: number; signer: string } {
  if (expectedPubkey !== undefined && !isValidPubkey(expectedPubkey)) {
    throw new VoteHistoryDecodeError('FAILOVER_VOTE_HISTORY_WRONG_PUBKEY', 'expected pubkey is not base58 of 32 bytes');
  }
  const envelope = new BincodeReader(bytes, 0, readError);
  const variant = envelope.u32('SavedVoteHistoryVersions variant');
  if (variant !== SAVED_VOTE_HISTORY_CURRENT_VARIANT) {
    throw new VoteHistoryDecodeError(
      'FAILOVER_VOTE_HISTORY_VARIANT',
      `vote history file is of unknown variant ${variant}; expected Current (${SAVED_VOTE_HISTORY_CURRENT_VARIANT})`,
      0,
    );
  }
  const signature = envelope.bytes(SIGNATURE_LENGTH, 'signature');
  const dataLength = envelope.length('data', 1);
  const dataOffset = envelope.position;
  const data = envelope.bytes(dataLength, 'data');
  if (envelope.remaining > 0) {
    throw new VoteHistoryDecodeError(
      'FAILOVER_VOTE_HISTORY_TRAILING_BYTES',
      `${envelope.remaining} unexpected bytes after the vote history at offset ${envelope.position}`,
      envelope.position,
    );
  }

  // VoteHistory starts with node_pubkey, so the claimed identity is readable without decoding
  // (and trusting) the rest of the unverified data.
  const claimed = data.length >= PUBKEY_LENGTH ? encodeBase58(data.subarray(0, PUBKEY_LENGTH)) : null;
  const signer = expectedPubkey ?? claimed;
  if (signer === null) {
    throw new VoteHistoryDecodeError(
      'FAILOVER_VOTE_HISTORY_TRUNCATED',
      `truncated at byte ${bytes.length} reading node_pubkey`,
      dataOffset,
    );
  }
  if (!verifySignature(data, signature, signer)) {
    if (claimed !== null && claimed !== signer && verifySignature(data, signature, claimed)) {
      throw wrongPubkey(claimed, signer, dataOffset);
    }
    throw new VoteHistoryDecodeError(
      'FAILOVER_VOTE_HISTORY_SIGNATURE',
      `vote history for ${signer} is not signed by ${signer}; refusing to restore`,
      4,
    );
  }

  const reader = new BincodeReader(data, dataOffset, readError);
  const voteHistory = readVoteHistory(reader);
  if (reader.remaining > 0) {
    throw new VoteHistoryDecodeError(
      'FAILOVER_VOTE_HISTORY_TRAILING_BYTES',
      `${reader.remaining} unexpected bytes after VoteHistory at offset ${dataOffset + reader.position}`,
      dataOffset + reader.position,
    );
  }
  if (voteHistory.nodePubkey !== signer) throw wrongPubkey(voteHistory.nodePubkey, signer, dataOffset);
  return { voteHistory, newestSlot: voteHistoryNewestSlot(voteHistory), signer };
}

function wrongPubkey(found: string, expected: string, offset: number): VoteHistoryDecodeError {
  return new VoteHistoryDecodeError(
    'FAILOVER_VOTE_HISTORY_WRONG_PUBKEY',
    `vote history is for ${found}, expected ${expected}; refusing to restore`,
    offset,
  );
}

function readVoteHistory(r: BincodeReader): VoteHistory {
  const nodePubkey = readKey(r, 'node_pubkey');
  const voted = readSlots(r, 'voted');
  const votedNotar = readSequence(r, 'voted_notar', 8 + PUBKEY_LENGTH, (field) => readBlock(r, field));
  const votedNotarFallback = readSequence(r, 'voted_notar_fallback', 16, (field) => ({
    slot: r.u64(`${field}.slot`),
    blockIds: readSequence(r, `${field}.block_ids`, PUBKEY_LENGTH, (idField) => readKey(r, idField)),
  }));
  const votedSkipFallback = readSlots(r, 'voted_skip_fallback');
  const skipped = readSlots(r, 'skipped');
  const itsOver = readSlots(r, 'its_over');
  const votesCast = readSequence(r, 'votes_cast', 16, (field) => ({
    slot: r.u64(`${field}.slot`),
    votes: readSequence(r, `${field}.votes`, 12, (voteField) => readVote(r, voteField)),
  }));
  const notarizedBlocks = readSequence(r, 'notarized_blocks', 8 + PUBKEY_LENGTH, (field) => readBlock(r, field));
  const parentReadySlots = readSequence(r, 'parent_ready_slots', 16, (field) => ({
    slot: r.u64(`${field}.slot`),
    parents: readSequence(r, `${field}.parents`, 8 + PUBKEY_LENGTH, (blockField) => readBlock(r, blockField)),
  }));
  const root = r.u64('root');
  return {
    nodePubkey,
    voted,
    votedNotar,
    votedNotarFallback,
    votedSkipFallback,
    skipped,
    itsOver,
    votesCast,
    notarizedBlocks,
    parentReadySlots,
    root,
  };
}

function readKey(r: BincodeReader, field: string): string {
  return encodeBase58(r.bytes(PUBKEY_LENGTH, field));
}

function readSequence<T>(r: BincodeReader, field: string, minSize: number, read: (field: string) => T): T[] {
  const length = r.length(field, minSize);
  return Array.from({ length }, (_, i) => read(`${field}[${i}]`));
}

function readSlots(r: BincodeReader, field: string): number[] {
  return readSequence(r, field, 8, (slotField) => r.u64(slotField));
}

function readBlock(r: BincodeReader, field: string): VoteHistoryBlock {
  return { slot: r.u64(`${field}.slot`), blockId: readKey(r, `${field}.block_id`) };
}

function readVote(r: BincodeReader, field: string): VoteHistoryVote {
  const at = r.fileOffset;
  const tag = r.u32(`${field} variant`);
  const kind = VOTE_KINDS[tag];
  if (kind === undefined) throw r.invalid(`${field} has unknown Vote variant ${tag}`, at);
  const slot = r.u64(`${field}.slot`);
  if (kind === 'notarize' || kind === 'notarizeFallback' || kind === 'genesis') {
    return { kind, slot, blockId: readKey(r, `${field}.block_id`) };
  }
  return { kind, slot };
}

function writeKey(w: BincodeWriter, value: string, field: string): void {
  if (!isValidPubkey(value)) throw new VoteHistoryEncodeError(field, 'not base58 of 32 bytes');
  w.bytes(decodeBase58(value));
}

function writeSequence<T>(
  w: BincodeWriter,
  items: readonly T[],
  field: string,
  write: (item: T, field: string) => void,
): void {
  w.u64(items.length, `${field} length`);
  items.forEach((item, i) => write(item, `${field}[${i}]`));
}

function writeSlots(w: BincodeWriter, slots: readonly number[], field: string): void {
  writeSequence(w, slots, field, (slot, slotField) => w.u64(slot, slotField));
}

function writeBlock(w: BincodeWriter, block: VoteHistoryBlock, field: string): void {
  w.u64(block.slot, `${field}.slot`);
  writeKey(w, block.blockId, `${field}.blockId`);
}

function writeVote(w: BincodeWriter, vote: VoteHistoryVote, field: string): void {
  const tag = VOTE_KINDS.indexOf(vote.kind);
  if (tag < 0) throw new VoteHistoryEncodeError(`${field}.kind`, `unknown vote kind ${String(vote.kind)}`);
  w.u32(tag, `${field} variant`);
  w.u64(vote.slot, `${field}.slot`);
  if (WITH_BLOCK.has(vote.kind)) writeKey(w, 'blockId' in vote ? vote.blockId : '', `${field}.blockId`);
}
