/**
 * Field-by-field bincode layout of `Tower1_14_11` (agave `core/src/consensus/tower1_14_11.rs`)
 * and what it contains: `VoteState1_14_11` (solana-vote-interface
 * `src/state/vote_state_1_14_11.rs`), `Lockout { slot: u64, confirmation_count: u32 }`,
 * `CircBuf`, `BlockTimestamp` (`src/state/mod.rs`) and `VoteTransaction` (agave
 * `vote/src/vote_transaction.rs`: `Vote`, `VoteStateUpdate`, `CompactVoteStateUpdate` and
 * `TowerSync`, the last two through `serde_compact_vote_state_update` / `serde_tower_sync`).
 */
import { decodeBase58, encodeBase58 } from '../base58';
import { TowerDecodeError, TowerEncodeError } from '../errors';
import { isValidPubkey } from '../keys';
import { PRIOR_VOTERS_CAPACITY } from '../tower';
import type { BlockTimestamp, Lockout, PriorVoter, Tower, TowerLastVote, TowerVoteState } from '../tower';
import type { BincodeReader, BincodeWriter } from './bincode';

const KEY = 32;
/** Variant indexes of `VoteTransaction`, in declaration order. */
const VOTE_KINDS = ['vote', 'voteStateUpdate', 'compactVoteStateUpdate', 'towerSync'] as const;
/** The compact encodings write `Slot::MAX` for "no root". */
const NO_ROOT = (1n << 64n) - 1n;

function readKey(reader: BincodeReader, field: string): string {
  return encodeBase58(reader.bytes(KEY, field));
}

function readTimestamp(reader: BincodeReader, field: string): BlockTimestamp {
  return { slot: reader.u64(`${field}.slot`), timestamp: reader.i64(`${field}.timestamp`) };
}

function readOptionalU64(reader: BincodeReader, field: string): number | null {
  return reader.optionTag(field) ? reader.u64(field) : null;
}

function readOptionalI64(reader: BincodeReader, field: string): number | null {
  return reader.optionTag(field) ? reader.i64(field) : null;
}

function readLockouts(reader: BincodeReader, field: string): Lockout[] {
  const count = reader.length(field, 12);
  return Array.from({ length: count }, (_, i) => ({
    slot: reader.u64(`${field}[${i}].slot`),
    confirmationCount: reader.u32(`${field}[${i}].confirmation_count`),
  }));
}

function readCompactLockouts(reader: BincodeReader, field: string): { root: number | null; lockouts: Lockout[] } {
  const rootOffset = reader.position;
  const rawRoot = reader.u64Big(`${field}.root`);
  let root: number | null = null;
  if (rawRoot !== NO_ROOT) {
    if (rawRoot > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TowerDecodeError(
        'FAILOVER_TOWER_INTEGER_RANGE',
        `${field}.root is ${rawRoot}, beyond the safe integer range`,
        rootOffset,
      );
    }
    root = Number(rawRoot);
  }
  const count = reader.shortVecLength(`${field}.lockout_offsets`);
  const lockouts: Lockout[] = [];
  let slot = root ?? 0;
  for (let i = 0; i < count; i += 1) {
    const at = reader.position;
    slot += reader.varintU64(`${field}.lockout_offsets[${i}].offset`);
    if (!Number.isSafeInteger(slot)) {
      throw new TowerDecodeError(
        'FAILOVER_TOWER_INTEGER_RANGE',
        `${field}.lockouts[${i}] slot is beyond the safe integer range`,
        at,
      );
    }
    lockouts.push({ slot, confirmationCount: reader.u8(`${field}.lockout_offsets[${i}].confirmation_count`) });
  }
  return { root, lockouts };
}

function readLastVote(reader: BincodeReader): TowerLastVote {
  const at = reader.position;
  const index = reader.u32('last_vote variant');
  const kind = VOTE_KINDS[index];
  switch (kind) {
    case 'vote': {
      const count = reader.length('last_vote.slots', 8);
      const slots = Array.from({ length: count }, (_, i) => reader.u64(`last_vote.slots[${i}]`));
      return {
        kind,
        slots,
        hash: readKey(reader, 'last_vote.hash'),
        timestamp: readOptionalI64(reader, 'last_vote.timestamp'),
      };
    }
    case 'voteStateUpdate': {
      const lockouts = readLockouts(reader, 'last_vote.lockouts');
      const root = readOptionalU64(reader, 'last_vote.root');
      return {
        kind,
        lockouts,
        root,
        hash: readKey(reader, 'last_vote.hash'),
        timestamp: readOptionalI64(reader, 'last_vote.timestamp'),
      };
    }
    case 'compactVoteStateUpdate': {
      const { root, lockouts } = readCompactLockouts(reader, 'last_vote');
      return {
        kind,
        lockouts,
        root,
        hash: readKey(reader, 'last_vote.hash'),
        timestamp: readOptionalI64(reader, 'last_vote.timestamp'),
      };
    }
    case 'towerSync': {
      const { root, lockouts } = readCompactLockouts(reader, 'last_vote');
      const hash = readKey(reader, 'last_vote.hash');
      const timestamp = readOptionalI64(reader, 'last_vote.timestamp');
      return { kind, lockouts, root, hash, timestamp, blockId: readKey(reader, 'last_vote.block_id') };
    }
    default:
      throw new TowerDecodeError(
        'FAILOVER_TOWER_INVALID',
        `last_vote has unknown VoteTransaction variant ${index} (offset ${at})`,
        at,
      );
  }
}

function readVoteState(reader: BincodeReader): TowerVoteState {
  const nodePubkey = readKey(reader, 'vote_state.node_pubkey');
  const authorizedWithdrawer = readKey(reader, 'vote_state.authorized_withdrawer');
  const commission = reader.u8('vote_state.commission');
  const votes = readLockouts(reader, 'vote_state.votes');
  const rootSlot = readOptionalU64(reader, 'vote_state.root_slot');
  const voterCount = reader.length('vote_state.authorized_voters', 8 + KEY);
  const authorizedVoters = Array.from({ length: voterCount }, (_, i) => ({
    epoch: reader.u64(`vote_state.authorized_voters[${i}].epoch`),
    pubkey: readKey(reader, `vote_state.authorized_voters[${i}].pubkey`),
  }));
  const buf: PriorVoter[] = Array.from({ length: PRIOR_VOTERS_CAPACITY }, (_, i) => ({
    pubkey: readKey(reader, `vote_state.prior_voters.buf[${i}].pubkey`),
    startEpoch: reader.u64(`vote_state.prior_voters.buf[${i}].start_epoch`),
    endEpoch: reader.u64(`vote_state.prior_voters.buf[${i}].end_epoch`),
  }));
  const idx = reader.u64('vote_state.prior_voters.idx');
  const isEmpty = reader.bool('vote_state.prior_voters.is_empty');
  const creditCount = reader.length('vote_state.epoch_credits', 24);
  const epochCredits = Array.from({ length: creditCount }, (_, i) => ({
    epoch: reader.u64(`vote_state.epoch_credits[${i}].epoch`),
    credits: reader.u64(`vote_state.epoch_credits[${i}].credits`),
    prevCredits: reader.u64(`vote_state.epoch_credits[${i}].prev_credits`),
  }));
  const lastTimestamp = readTimestamp(reader, 'vote_state.last_timestamp');
  const priorVoters = { buf, idx, isEmpty };
  return {
    nodePubkey,
    authorizedWithdrawer,
    commission,
    votes,
    rootSlot,
    authorizedVoters,
    priorVoters,
    epochCredits,
    lastTimestamp,
  };
}

/** Reads a `Tower1_14_11` from the reader's position. */
export function readTower(reader: BincodeReader): Tower {
  const nodePubkey = readKey(reader, 'node_pubkey');
  const thresholdDepth = reader.u64('threshold_depth');
  const thresholdSize = reader.f64('threshold_size');
  const voteState = readVoteState(reader);
  const lastVote = readLastVote(reader);
  const lastTimestamp = readTimestamp(reader, 'last_timestamp');
  return { nodePubkey, thresholdDepth, thresholdSize, voteState, lastVote, lastTimestamp };
}

function writeKey(writer: BincodeWriter, value: string, field: string): void {
  if (!isValidPubkey(value)) throw new TowerEncodeError(field, 'not base58 of 32 bytes');
  writer.bytes(decodeBase58(value));
}

function writeTimestamp(writer: BincodeWriter, value: BlockTimestamp, field: string): void {
  writer.u64(value.slot, `${field}.slot`);
  writer.i64(value.timestamp, `${field}.timestamp`);
}

function writeOptional(writer: BincodeWriter, value: number | null, write: (value: number) => void): void {
  writer.bool(value !== null);
  if (value !== null) write(value);
}

function writeLockouts(writer: BincodeWriter, lockouts: readonly Lockout[], field: string): void {
  writer.u64(lockouts.length, `${field} length`);
  lockouts.forEach((lockout, i) => {
    writer.u64(lockout.slot, `${field}[${i}].slot`);
    writer.u32(lockout.confirmationCount, `${field}[${i}].confirmationCount`);
  });
}

function writeCompactLockouts(
  writer: BincodeWriter,
  root: number | null,
  lockouts: readonly Lockout[],
  field: string,
): void {
  if (root === null) writer.u64Big(NO_ROOT);
  else writer.u64(root, `${field}.root`);
  writer.shortVecLength(lockouts.length, `${field}.lockouts length`);
  let previous = root ?? 0;
  lockouts.forEach((lockout, i) => {
    // Offsets are unsigned: the compact form only exists for lockouts above the root, in order.
    if (lockout.slot < previous) {
      throw new TowerEncodeError(
        `${field}.lockouts[${i}].slot`,
        `${lockout.slot} is below the previous slot ${previous}`,
      );
    }
    writer.varintU64(lockout.slot - previous, `${field}.lockouts[${i}].slot`);
    writer.u8(lockout.confirmationCount, `${field}.lockouts[${i}].confirmationCount`);
    previous = lockout.slot;
  });
}

function writeLastVote(writer: BincodeWriter, vote: TowerLastVote): void {
  writer.u32(VOTE_KINDS.indexOf(vote.kind), 'lastVote.kind');
  const writeTimestampOption = (value: number | null): void =>
    writeOptional(writer, value, (t) => writer.i64(t, 'lastVote.timestamp'));
  switch (vote.kind) {
    case 'vote':
      writer.u64(vote.slots.length, 'lastVote.slots length');
      vote.slots.forEach((slot, i) => writer.u64(slot, `lastVote.slots[${i}]`));
      writeKey(writer, vote.hash, 'lastVote.hash');
      writeTimestampOption(vote.timestamp);
      return;
    case 'voteStateUpdate':
      writeLockouts(writer, vote.lockouts, 'lastVote.lockouts');
      writeOptional(writer, vote.root, (root) => writer.u64(root, 'lastVote.root'));
      writeKey(writer, vote.hash, 'lastVote.hash');
      writeTimestampOption(vote.timestamp);
      return;
    case 'compactVoteStateUpdate':
      writeCompactLockouts(writer, vote.root, vote.lockouts, 'lastVote');
      writeKey(writer, vote.hash, 'lastVote.hash');
      writeTimestampOption(vote.timestamp);
      return;
    case 'towerSync':
      writeCompactLockouts(writer, vote.root, vote.lockouts, 'lastVote');
      writeKey(writer, vote.hash, 'lastVote.hash');
      writeTimestampOption(vote.timestamp);
      writeKey(writer, vote.blockId, 'lastVote.blockId');
      return;
  }
}

function writeVoteState(writer: BincodeWriter, state: TowerVoteState): void {
  writeKey(writer, state.nodePubkey, 'voteState.nodePubkey');
  writeKey(writer, state.authorizedWithdrawer, 'voteState.authorizedWithdrawer');
  writer.u8(state.commission, 'voteState.commission');
  writeLockouts(writer, state.votes, 'voteState.votes');
  writeOptional(writer, state.rootSlot, (root) => writer.u64(root, 'voteState.rootSlot'));
  writer.u64(state.authorizedVoters.length, 'voteState.authorizedVoters length');
  state.authorizedVoters.forEach((voter, i) => {
    // A BTreeMap serialises in key order with unique keys; anything else is not agave's output.
    const previous = state.authorizedVoters[i - 1];
    if (previous !== undefined && voter.epoch <= previous.epoch) {
      throw new TowerEncodeError(`voteState.authorizedVoters[${i}].epoch`, 'epochs must be strictly increasing');
    }
    writer.u64(voter.epoch, `voteState.authorizedVoters[${i}].epoch`);
    writeKey(writer, voter.pubkey, `voteState.authorizedVoters[${i}].pubkey`);
  });
  if (state.priorVoters.buf.length !== PRIOR_VOTERS_CAPACITY) {
    throw new TowerEncodeError('voteState.priorVoters.buf', `must hold exactly ${PRIOR_VOTERS_CAPACITY} entries`);
  }
  state.priorVoters.buf.forEach((voter, i) => {
    writeKey(writer, voter.pubkey, `voteState.priorVoters.buf[${i}].pubkey`);
    writer.u64(voter.startEpoch, `voteState.priorVoters.buf[${i}].startEpoch`);
    writer.u64(voter.endEpoch, `voteState.priorVoters.buf[${i}].endEpoch`);
  });
  writer.u64(state.priorVoters.idx, 'voteState.priorVoters.idx');
  writer.bool(state.priorVoters.isEmpty);
  writer.u64(state.epochCredits.length, 'voteState.epochCredits length');
  state.epochCredits.forEach((entry, i) => {
    writer.u64(entry.epoch, `voteState.epochCredits[${i}].epoch`);
    writer.u64(entry.credits, `voteState.epochCredits[${i}].credits`);
    writer.u64(entry.prevCredits, `voteState.epochCredits[${i}].prevCredits`);
  });
  writeTimestamp(writer, state.lastTimestamp, 'voteState.lastTimestamp');
}

/** Writes a `Tower1_14_11`. */
export function writeTower(writer: BincodeWriter, tower: Tower): void {
  writeKey(writer, tower.nodePubkey, 'nodePubkey');
  writer.u64(tower.thresholdDepth, 'thresholdDepth');
  writer.f64(tower.thresholdSize);
  writeVoteState(writer, tower.voteState);
  writeLastVote(writer, tower.lastVote);
  writeTimestamp(writer, tower.lastTimestamp, 'lastTimestamp');
}
