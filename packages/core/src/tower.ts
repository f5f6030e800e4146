/**
 * The tower: the record of what an identity voted on, with lockouts, that agave saves as
 * `LEDGER/tower-1_9-<pubkey>.bin` after every vote. Moving it with the identity is what
 * keeps the new voter from voting against its own lockouts (DESIGN S2).
 *
 * These types mirror the serialised fields of agave `core/src/consensus/tower1_14_11.rs`
 * (`Tower1_14_11`; `last_vote_tx_blockhash`, `stray_restored_slot` and
 * `last_switch_threshold_check` are `#[serde(skip)]` and not stored) and of
 * `VoteState1_14_11` in solana-vote-interface `src/state/vote_state_1_14_11.rs`.
 * Pubkeys and hashes are base58 text; slots, epochs and credits are u64 on disk and safe
 * integers here.
 */
import { isValidPubkey } from './keys';
import { PubkeyFormatError } from './errors';

/** A vote and how many times it has been confirmed; it is locked out for 2^confirmationCount slots. */
export interface Lockout {
  /** The voted slot. */
  readonly slot: number;
  /** Confirmations stacked on top of this vote (u32 on disk). */
  readonly confirmationCount: number;
}

/** A slot with the unix time (seconds) of a vote on it (`BlockTimestamp`). */
export interface BlockTimestamp {
  readonly slot: number;
  readonly timestamp: number;
}

/** An entry of `AuthorizedVoters` (a `BTreeMap<Epoch, Pubkey>`, kept in epoch order). */
export interface AuthorizedVoter {
  readonly epoch: number;
  readonly pubkey: string;
}

/** One `(Pubkey, Epoch, Epoch)` slot of the prior-voters ring: start inclusive, end exclusive. */
export interface PriorVoter {
  readonly pubkey: string;
  readonly startEpoch: number;
  readonly endEpoch: number;
}

/** `CircBuf<(Pubkey, Epoch, Epoch)>`: always 32 entries, the next index, and an empty flag. */
export interface PriorVoters {
  readonly buf: readonly PriorVoter[];
  readonly idx: number;
  readonly isEmpty: boolean;
}

/** `(Epoch, credits, prev_credits)` of `epoch_credits`. */
export interface EpochCredits {
  readonly epoch: number;
  readonly credits: number;
  readonly prevCredits: number;
}

/** `VoteState1_14_11` as the tower carries it. */
export interface TowerVoteState {
  readonly nodePubkey: string;
  readonly authorizedWithdrawer: string;
  /** Percentage 0..100 (u8 on disk). */
  readonly commission: number;
  /** Oldest vote first. */
  readonly votes: readonly Lockout[];
  readonly rootSlot: number | null;
  readonly authorizedVoters: readonly AuthorizedVoter[];
  readonly priorVoters: PriorVoters;
  readonly epochCredits: readonly EpochCredits[];
  readonly lastTimestamp: BlockTimestamp;
}

/** Fields shared by the lockout-carrying vote kinds (`VoteStateUpdate`, `TowerSync`). */
interface LockoutVoteFields {
  readonly lockouts: readonly Lockout[];
  readonly root: number | null;
  /** Bank hash of the last voted slot, base58. */
  readonly hash: string;
  readonly timestamp: number | null;
}

/**
 * The last vote the tower sent (`VoteTransaction` in agave `vote/src/vote_transaction.rs`).
 * `compactVoteStateUpdate` and `towerSync` are stored in the compact form (root, varint
 * slot offsets, u8 confirmation counts); `towerSync` is what current agave records.
 */
export type TowerLastVote =
  | {
      readonly kind: 'vote';
      readonly slots: readonly number[];
      readonly hash: string;
      readonly timestamp: number | null;
    }
  | ({ readonly kind: 'voteStateUpdate' } & LockoutVoteFields)
  | ({ readonly kind: 'compactVoteStateUpdate' } & LockoutVoteFields)
  | ({ readonly kind: 'towerSync'; readonly blockId: string } & LockoutVoteFields);

/** Everything `Tower1_14_11` stores, in field order. */
export interface Tower {
  /** The identity that votes with this tower; the file must be signed by it. */
  readonly nodePubkey: string;
  readonly thresholdDepth: number;
  readonly thresholdSize: number;
  readonly voteState: TowerVoteState;
  readonly lastVote: TowerLastVote;
  readonly lastTimestamp: BlockTimestamp;
}

/** Options of {@link createTower}. */
export interface CreateTowerOptions {
  /**
   * Vote depth at which the stake threshold is checked.
   * @default 8 (agave `VOTE_THRESHOLD_DEPTH`)
   */
  readonly thresholdDepth?: number;
  /**
   * Stake fraction required at `thresholdDepth`.
   * @default 2/3 (agave `VOTE_THRESHOLD_SIZE`)
   */
  readonly thresholdSize?: number;
  /**
   * Root slot of the vote state.
   * @default 0 (agave's `Tower::default` sets `Some(0)`: "root_slot is ensured to be Some in Tower")
   */
  readonly rootSlot?: number;
}

/** Number of lockouts a vote state keeps before the oldest becomes the root (`MAX_LOCKOUT_HISTORY`). */
export const MAX_LOCKOUT_HISTORY = 31;
/** Entries of the prior-voters ring (`MAX_ITEMS` of `CircBuf`). */
export const PRIOR_VOTERS_CAPACITY = 32;
/** Base58 of 32 zero bytes: `Pubkey::default()` and `Hash::default()`. */
export const DEFAULT_PUBKEY = '11111111111111111111111111111111';

/**
 * Returns an empty tower for `nodePubkey` as agave's `Tower::default()` builds one: no votes,
 * root `Some(0)`, an empty `TowerSync` as last vote, default vote-state fields.
 * @throws {PubkeyFormatError} when `nodePubkey` is not a base58 public key
 */
export function createTower(nodePubkey: string, options: CreateTowerOptions = {}): Tower {
  if (!isValidPubkey(nodePubkey)) throw new PubkeyFormatError('tower nodePubkey', 'expected base58 of 32 bytes');
  const emptyPriorVoter: PriorVoter = { pubkey: DEFAULT_PUBKEY, startEpoch: 0, endEpoch: 0 };
  return {
    nodePubkey,
    thresholdDepth: options.thresholdDepth ?? 8,
    thresholdSize: options.thresholdSize ?? 2 / 3,
    voteState: {
      // Tower::default leaves the vote state's own node_pubkey at Pubkey::default().
      nodePubkey: DEFAULT_PUBKEY,
      authorizedWithdrawer: DEFAULT_PUBKEY,
      commission: 0,
      votes: [],
      rootSlot: options.rootSlot ?? 0,
      authorizedVoters: [],
      // CircBuf::default: idx = MAX_ITEMS - 1 so the first append lands at 0.
      priorVoters: {
        buf: Array.from({ length: PRIOR_VOTERS_CAPACITY }, () => emptyPriorVoter),
        idx: PRIOR_VOTERS_CAPACITY - 1,
        isEmpty: true,
      },
      epochCredits: [],
      lastTimestamp: { slot: 0, timestamp: 0 },
    },
    lastVote: {
      kind: 'towerSync',
      lockouts: [],
      root: null,
      hash: DEFAULT_PUBKEY,
      timestamp: null,
      blockId: DEFAULT_PUBKEY,
    },
    lastTimestamp: { slot: 0, timestamp: 0 },
  };
}

/** The slots a last vote covers, oldest first. */
export function lastVoteSlots(vote: TowerLastVote): readonly number[] {
  return vote.kind === 'vote' ? vote.slots : vote.lockouts.map((lockout) => lockout.slot);
}

/**
 * The newest slot this tower has voted on, or `null` for a tower that never voted.
 * Agave reads it from `last_vote`; this takes the larger of that and the newest lockout,
 * so a tower is never judged older than any vote it records.
 */
export function towerLastVotedSlot(tower: Tower): number | null {
  const fromLastVote = lastVoteSlots(tower.lastVote).at(-1);
  const fromLockouts = tower.voteState.votes.at(-1)?.slot;
  if (fromLastVote === undefined) return fromLockouts ?? null;
  return fromLockouts === undefined ? fromLastVote : Math.max(fromLastVote, fromLockouts);
}

/**
 * The file name agave uses for an identity's tower (`FileTowerStorage::filename` in
 * agave `core/src/consensus/tower_storage.rs`).
 * @throws {PubkeyFormatError} when `pubkey` is not base58 of 32 bytes, so a value from the
 * network can never smuggle a path separator into a file name
 */
export function towerFileName(pubkey: string): string {
  if (!isValidPubkey(pubkey)) throw new PubkeyFormatError('tower file pubkey', 'expected base58 of 32 bytes');
  return `tower-1_9-${pubkey}.bin`;
}
