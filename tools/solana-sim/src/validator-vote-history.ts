import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Keypair, VoteHistory } from '@failover/core';
import { decodeVoteHistory, encodeBase58, encodeVoteHistory, voteHistoryFileName } from '@failover/core';

/** What reading an identity's vote-history file found. */
export type VoteHistoryLoad =
  | { readonly kind: 'loaded'; readonly history: VoteHistory; readonly newestSlot: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** agave's `VoteHistoryError::InvalidSignature`. */
const INVALID_SIGNATURE = 'The signature on the saved vote history is invalid';

/** Slots of votes a vote history keeps below the newest one; older ones are pruned under a new root. */
const KEPT_SLOTS = 32;

/**
 * Reads and verifies `LEDGER/vote_history-<pubkey>.bin` as agave's `VoteHistory::restore` does;
 * a failure's reason is worded as agave's `VoteHistoryError` displays it.
 */
export function loadVoteHistory(ledgerDir: string, pubkey: string): VoteHistoryLoad {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(ledgerDir, voteHistoryFileName(pubkey)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', reason: `IO Error: ${(err as Error).message}` };
  }
  const decoded = decodeVoteHistory(bytes, pubkey);
  if (decoded.ok) return { kind: 'loaded', history: decoded.voteHistory, newestSlot: decoded.newestSlot };
  switch (decoded.error.code) {
    case 'FAILOVER_VOTE_HISTORY_SIGNATURE':
      return { kind: 'invalid', reason: INVALID_SIGNATURE };
    case 'FAILOVER_VOTE_HISTORY_WRONG_PUBKEY': {
      // agave checks the signature against the expected identity only: another identity's own
      // file fails there; only data our identity signed for another node is "wrong".
      const own = decodeVoteHistory(bytes);
      if (own.ok) return { kind: 'invalid', reason: INVALID_SIGNATURE };
      return {
        kind: 'invalid',
        reason: `The vote history does not match this validator: ${decoded.error.message}`,
      };
    }
    default:
      return { kind: 'invalid', reason: `Serialization Error: ${decoded.error.message}` };
  }
}

/** agave's display of a vote history that could not be loaded (the missing file is an io::Error). */
export function voteHistoryLoadError(load: Exclude<VoteHistoryLoad, { kind: 'loaded' }>): string {
  return load.kind === 'missing' ? 'IO Error: No such file or directory (os error 2)' : load.reason;
}

/** Writes a signed vote history atomically (`.bin.new` then rename), as agave's FileVoteHistoryStorage does. */
export function saveVoteHistory(ledgerDir: string, history: VoteHistory, identity: Keypair): void {
  const file = path.join(ledgerDir, voteHistoryFileName(identity.pubkey));
  const temp = file.replace(/\.bin$/, '.bin.new');
  fs.writeFileSync(temp, encodeVoteHistory(history, identity));
  fs.renameSync(temp, file);
}

/** The id of the one block the simulated cluster produces in `slot` (no forks). */
export function blockIdOf(slot: number): string {
  return encodeBase58(createHash('sha256').update(`solana-sim block ${slot}`).digest());
}

/**
 * The vote history after voting `slot`: a notarization of its block and a finalization, as a
 * validator on a finalizing cluster casts; entries more than 32 slots older are pruned under a new
 * root, as agave's voting loop roots them.
 */
export function recordAlpenglowVote(history: VoteHistory, slot: number): VoteHistory {
  const root = Math.max(history.root, slot - KEPT_SLOTS);
  const keep = (s: number): boolean => s >= root;
  const block = { slot, blockId: blockIdOf(slot) };
  return {
    ...history,
    voted: [...history.voted.filter(keep), slot],
    votedNotar: [...history.votedNotar.filter((b) => keep(b.slot)), block],
    votedNotarFallback: history.votedNotarFallback.filter((e) => keep(e.slot)),
    votedSkipFallback: history.votedSkipFallback.filter(keep),
    skipped: history.skipped.filter(keep),
    itsOver: [...history.itsOver.filter(keep), slot],
    votesCast: [
      ...history.votesCast.filter((e) => keep(e.slot)),
      {
        slot,
        votes: [
          { kind: 'notarize', slot, blockId: block.blockId },
          { kind: 'finalize', slot },
        ],
      },
    ],
    notarizedBlocks: [...history.notarizedBlocks.filter((b) => keep(b.slot)), block],
    parentReadySlots: history.parentReadySlots.filter((e) => keep(e.slot)),
    root,
  };
}
