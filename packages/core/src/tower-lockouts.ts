/**
 * Recording a vote in a tower the way agave does, as a pure function. Sources:
 * agave `core/src/consensus.rs` (`Tower::record_bank_vote_and_update_lockouts`,
 * `Tower::maybe_timestamp`) and the vote program's `process_next_vote_slot`,
 * `pop_expired_votes`, `double_lockouts` and `increment_credits`
 * (solana-vote-program `vote_state/mod.rs`).
 */
import { TowerVoteError } from './errors';
import { DEFAULT_PUBKEY, MAX_LOCKOUT_HISTORY, towerLastVotedSlot } from './tower';
import type { EpochCredits, Lockout, Tower } from './tower';

/** Options of {@link recordVote}. */
export interface RecordVoteOptions {
  /**
   * Bank hash of the voted slot, base58.
   * @default `Hash::default()` (32 zero bytes)
   */
  readonly hash?: string;
  /**
   * Block id (merkle root of the last shred) of the voted slot, base58.
   * @default `Hash::default()` (32 zero bytes)
   */
  readonly blockId?: string;
}

/** The last slot a lockout still forbids voting on another fork: `slot + 2^confirmationCount`. */
export function lastLockedOutSlot(lockout: Lockout): number {
  return lockout.slot + 2 ** Math.min(lockout.confirmationCount, MAX_LOCKOUT_HISTORY);
}

function popExpiredVotes(votes: Lockout[], nextSlot: number): void {
  // A vote whose lockout ends before the new slot no longer binds: it is popped from the top.
  for (let top = votes.at(-1); top !== undefined && lastLockedOutSlot(top) < nextSlot; top = votes.at(-1)) {
    votes.pop();
  }
}

function doubleLockouts(votes: Lockout[]): Lockout[] {
  const depth = votes.length;
  // A vote gains a confirmation only once more votes sit above it than it has confirmations.
  return votes.map((vote, i) =>
    depth > i + vote.confirmationCount ? { slot: vote.slot, confirmationCount: vote.confirmationCount + 1 } : vote,
  );
}

function incrementCredits(epochCredits: readonly EpochCredits[]): EpochCredits[] {
  // The tower replays its own votes with epoch 0 and no latency: one credit per rooted vote.
  const last = epochCredits.at(-1);
  if (last === undefined) return [{ epoch: 0, credits: 1, prevCredits: 0 }];
  return [...epochCredits.slice(0, -1), { ...last, credits: last.credits + 1 }];
}

/**
 * Returns the tower after voting on `slot` at unix time `timestamp` (seconds): expired
 * lockouts popped, the slot pushed with one confirmation, the oldest vote rooted once
 * more than 31 are stacked, confirmations doubled, and `lastVote` set to a `TowerSync`
 * of the resulting lockouts. `lastTimestamp` moves only forward, as in `maybe_timestamp`.
 * @throws {TowerVoteError} when `slot` is not above the last voted slot (agave ignores such
 * votes; here the caller is told, since a simulator that sends one has a bug) or is not a
 * safe non-negative integer
 */
export function recordVote(tower: Tower, slot: number, timestamp: number, options: RecordVoteOptions = {}): Tower {
  if (!Number.isSafeInteger(slot) || slot < 0)
    throw new TowerVoteError(slot, 'slot must be a non-negative safe integer');
  if (!Number.isSafeInteger(timestamp))
    throw new TowerVoteError(slot, 'timestamp must be a safe integer (unix seconds)');
  const last = towerLastVotedSlot(tower);
  if (last !== null && slot <= last) throw new TowerVoteError(slot, `not above the last voted slot ${last}`);

  const state = tower.voteState;
  const votes = [...state.votes];
  popExpiredVotes(votes, slot);
  let rootSlot = state.rootSlot;
  let epochCredits = state.epochCredits;
  if (votes.length === MAX_LOCKOUT_HISTORY) {
    const rooted = votes.shift();
    if (rooted !== undefined) rootSlot = rooted.slot;
    epochCredits = incrementCredits(epochCredits);
  }
  votes.push({ slot, confirmationCount: 1 });
  const lockouts = doubleLockouts(votes);

  const movesForward =
    slot > tower.lastTimestamp.slot || (tower.lastTimestamp.slot === 0 && slot === tower.lastTimestamp.slot);
  const stamped = movesForward && timestamp >= tower.lastTimestamp.timestamp;

  return {
    ...tower,
    voteState: { ...state, votes: lockouts, rootSlot, epochCredits },
    lastVote: {
      kind: 'towerSync',
      lockouts,
      root: rootSlot,
      hash: options.hash ?? DEFAULT_PUBKEY,
      timestamp: stamped ? timestamp : null,
      blockId: options.blockId ?? DEFAULT_PUBKEY,
    },
    lastTimestamp: stamped ? { slot, timestamp } : tower.lastTimestamp,
  };
}
