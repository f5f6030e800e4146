/**
 * Errors thrown by `@failover/core`.
 *
 * Every error carries a stable `code` (`FAILOVER_*`) that is also the first word of its
 * message, so logs, notifications and operator runbooks can match on it. Codes are never
 * reused for a different meaning. Messages never contain key material: they name the
 * source (a file path, a field) instead.
 *
 * Expected outcomes (a tower that fails verification, a gossip line that does not parse)
 * are returned as values; these classes are for programming errors and bad input that the
 * caller asked to be rejected loudly.
 */

/** Base class of every error `@failover/core` throws; `code` is stable across releases. */
export class FailoverError extends Error {
  /** Stable machine-readable code, e.g. `FAILOVER_BASE58_CHARACTER`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Thrown when text given as base58 contains a character outside the Bitcoin/Solana alphabet. */
export class Base58CharacterError extends FailoverError {
  /** Zero-based position of the first offending character. */
  readonly position: number;

  constructor(position: number) {
    super('FAILOVER_BASE58_CHARACTER', `invalid base58 character at position ${position}`);
    this.position = position;
  }
}

/**
 * Thrown when a keypair (Solana JSON form or raw bytes) is malformed or inconsistent.
 * The message names the source and the problem, never the key bytes.
 */
export class KeypairFormatError extends FailoverError {
  /** Where the keypair came from (a file path or a label), as the caller named it. */
  readonly source: string;

  constructor(source: string, problem: string) {
    super('FAILOVER_KEYPAIR_FORMAT', `keypair from ${source} is not usable: ${problem}`);
    this.source = source;
  }
}

/** Thrown when a string that must be a base58 ed25519 public key is not one. */
export class PubkeyFormatError extends FailoverError {
  /** What the value was meant to be (e.g. `tower nodePubkey`). */
  readonly field: string;

  constructor(field: string, detail: string) {
    super('FAILOVER_PUBKEY_FORMAT', `${field} is not a valid base58 public key: ${detail}`);
    this.field = field;
  }
}

/**
 * Thrown when asked to sign a tower with a keypair other than the tower's node identity;
 * agave would refuse to load such a file (`TowerError::WrongTower`).
 */
export class TowerSignerMismatchError extends FailoverError {
  /** The tower's node pubkey. */
  readonly towerPubkey: string;
  /** The pubkey of the keypair offered for signing. */
  readonly signerPubkey: string;

  constructor(towerPubkey: string, signerPubkey: string) {
    super(
      'FAILOVER_TOWER_SIGNER_MISMATCH',
      `tower for ${towerPubkey} cannot be signed by ${signerPubkey}; refusing to write it`,
    );
    this.towerPubkey = towerPubkey;
    this.signerPubkey = signerPubkey;
  }
}

/**
 * Thrown when a vote would break agave's tower rules (a slot not above the last voted slot,
 * or a value that cannot be stored as a u64/i64 on disk).
 */
export class TowerVoteError extends FailoverError {
  /** The slot that was refused. */
  readonly slot: number;

  constructor(slot: number, reason: string) {
    super('FAILOVER_TOWER_VOTE', `cannot record a vote for slot ${slot}: ${reason}`);
    this.slot = slot;
  }
}

/** Thrown when a tower value cannot be encoded (out-of-range integer, wrong-length hash). */
export class TowerEncodeError extends FailoverError {
  /** Path of the offending field inside the tower, e.g. `voteState.votes[3].slot`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super('FAILOVER_TOWER_ENCODE', `cannot encode tower field ${field}: ${problem}`);
    this.field = field;
  }
}

/** The stable codes a tower file can fail to decode with. */
export type TowerDecodeCode =
  | 'FAILOVER_TOWER_TRUNCATED'
  | 'FAILOVER_TOWER_VARIANT'
  | 'FAILOVER_TOWER_SIGNATURE'
  | 'FAILOVER_TOWER_WRONG_PUBKEY'
  | 'FAILOVER_TOWER_TRAILING_BYTES'
  | 'FAILOVER_TOWER_INTEGER_RANGE'
  | 'FAILOVER_TOWER_INVALID';

/**
 * Describes why a tower file was refused. `decodeTower` returns it (a bad tower is an
 * expected outcome on the failover path); callers that cannot continue may throw it.
 * - `FAILOVER_TOWER_TRUNCATED`: the file ends before a field does;
 * - `FAILOVER_TOWER_VARIANT`: not `SavedTowerVersions::Current`;
 * - `FAILOVER_TOWER_SIGNATURE`: the signature does not verify against the identity;
 * - `FAILOVER_TOWER_WRONG_PUBKEY`: a valid tower, but of another identity;
 * - `FAILOVER_TOWER_TRAILING_BYTES`: bytes after the end of the tower;
 * - `FAILOVER_TOWER_INTEGER_RANGE`: a u64/i64 beyond `Number.MAX_SAFE_INTEGER`;
 * - `FAILOVER_TOWER_INVALID`: a malformed value (option/bool tag, varint, short-vec, slot order).
 */
export class TowerDecodeError extends FailoverError {
  declare readonly code: TowerDecodeCode;
  /** Byte offset in the file (or in the signed data, for data fields) where decoding stopped. */
  readonly offset: number | undefined;

  constructor(code: TowerDecodeCode, message: string, offset?: number) {
    super(code, message);
    this.offset = offset;
  }
}

/**
 * Thrown when asked to sign a vote history with a keypair other than its node identity; agave
 * refuses the same (`SavedVoteHistory::new`, `VoteHistoryError::WrongVoteHistory`).
 */
export class VoteHistorySignerMismatchError extends FailoverError {
  /** The vote history's node pubkey. */
  readonly voteHistoryPubkey: string;
  /** The pubkey of the keypair offered for signing. */
  readonly signerPubkey: string;

  constructor(voteHistoryPubkey: string, signerPubkey: string) {
    super(
      'FAILOVER_VOTE_HISTORY_SIGNER_MISMATCH',
      `vote history for ${voteHistoryPubkey} cannot be signed by ${signerPubkey}; refusing to write it`,
    );
    this.voteHistoryPubkey = voteHistoryPubkey;
    this.signerPubkey = signerPubkey;
  }
}

/** Thrown when a vote-history value cannot be encoded (out-of-range slot, wrong-length block id). */
export class VoteHistoryEncodeError extends FailoverError {
  /** Path of the offending field, e.g. `votesCast[2].votes[0].blockId`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super('FAILOVER_VOTE_HISTORY_ENCODE', `cannot encode vote history field ${field}: ${problem}`);
    this.field = field;
  }
}

/** The stable codes a vote-history file can fail to decode with. */
export type VoteHistoryDecodeCode =
  | 'FAILOVER_VOTE_HISTORY_TRUNCATED'
  | 'FAILOVER_VOTE_HISTORY_VARIANT'
  | 'FAILOVER_VOTE_HISTORY_SIGNATURE'
  | 'FAILOVER_VOTE_HISTORY_WRONG_PUBKEY'
  | 'FAILOVER_VOTE_HISTORY_TRAILING_BYTES'
  | 'FAILOVER_VOTE_HISTORY_INTEGER_RANGE'
  | 'FAILOVER_VOTE_HISTORY_INVALID';

/**
 * Describes why a vote-history file was refused; `decodeVoteHistory` returns it.
 * - `FAILOVER_VOTE_HISTORY_TRUNCATED`: the file ends before a field does;
 * - `FAILOVER_VOTE_HISTORY_VARIANT`: not a `SavedVoteHistoryVersions` variant this decoder knows;
 * - `FAILOVER_VOTE_HISTORY_SIGNATURE`: the signature does not verify against the identity;
 * - `FAILOVER_VOTE_HISTORY_WRONG_PUBKEY`: a valid vote history, but of another identity;
 * - `FAILOVER_VOTE_HISTORY_TRAILING_BYTES`: bytes after the end of the vote history;
 * - `FAILOVER_VOTE_HISTORY_INTEGER_RANGE`: a u64 beyond `Number.MAX_SAFE_INTEGER`;
 * - `FAILOVER_VOTE_HISTORY_INVALID`: a malformed value (an unknown vote kind).
 */
export class VoteHistoryDecodeError extends FailoverError {
  declare readonly code: VoteHistoryDecodeCode;
  /** Byte offset in the file where decoding stopped. */
  readonly offset: number | undefined;

  constructor(code: VoteHistoryDecodeCode, message: string, offset?: number) {
    super(code, message);
    this.offset = offset;
  }
}

/** Thrown when a `getClusterNodes` RPC result does not have the documented shape. */
export class ClusterNodesFormatError extends FailoverError {
  /** JSON path of the offending value, e.g. `result[3].gossip`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super('FAILOVER_CLUSTER_NODES_FORMAT', `getClusterNodes ${path} ${problem}`);
    this.path = path;
  }
}
