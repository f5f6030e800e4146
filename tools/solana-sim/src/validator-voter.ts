import fs from 'node:fs';
import path from 'node:path';
import type { Keypair, Tower, VoteHistory } from '@failover/core';
import {
  createTower,
  createVoteHistory,
  decodeTower,
  encodeTower,
  recordVote,
  towerFileName,
  towerLastVotedSlot,
} from '@failover/core';
import type { VoteMessage } from './internal/link-protocol';
import type { VoteHistoryLoad } from './validator-vote-history';
import { loadVoteHistory, recordAlpenglowVote, saveVoteHistory, voteHistoryLoadError } from './validator-vote-history';

/** What reading an identity's tower file found. */
export type TowerLoad =
  | { readonly kind: 'loaded'; readonly tower: Tower; readonly lastVotedSlot: number | null }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads and verifies `LEDGER/tower-1_9-<pubkey>.bin` as agave's `Tower::restore` does. */
export function loadTower(ledgerDir: string, pubkey: string): TowerLoad {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(ledgerDir, towerFileName(pubkey)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', reason: `IO Error: ${(err as Error).message}` };
  }
  const decoded = decodeTower(bytes, pubkey);
  if (!decoded.ok) return { kind: 'invalid', reason: decoded.error.message };
  return { kind: 'loaded', tower: decoded.tower, lastVotedSlot: decoded.lastVotedSlot };
}

/** Writes a signed tower atomically (temp file + rename), as agave's FileTowerStorage does. */
export function saveTower(ledgerDir: string, tower: Tower, identity: Keypair): void {
  const file = path.join(ledgerDir, towerFileName(identity.pubkey));
  const temp = `${file}.new`;
  fs.writeFileSync(temp, encodeTower(tower, identity));
  fs.renameSync(temp, file);
}

/** Outcome of an admin request that agave answers with an error string. */
export type AdminOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** What the voter asks of the node's consensus view (see ConsensusView). */
export interface VoterConsensus {
  /** Whether `slot` is past the node's switch to Alpenglow: voted with a vote history, not a tower. */
  isAlpenglowSlot(slot: number): boolean;
  /** The vote account of `identity` if it has landed Alpenglow votes (agave then requires its vote history). */
  alpenglowVoteAccountOf(identity: string): string | undefined;
}

/**
 * A validator's voting: which identity it runs as, which authorized voters it holds, its tower
 * and vote history, and the slot it has replayed. It votes on each newly replayed slot above the
 * last vote either records, only while its identity owns a vote account and the matching
 * authorized voter is present: a tower vote before the switch to Alpenglow, a vote recorded in
 * `vote_history-<pubkey>.bin` after it.
 */
export class Voter {
  private voting = new Set<string>();
  private tower: Tower | null = null;
  private voteHistory: VoteHistory | null = null;
  localSlot = 0;
  clusterSlot = 0;
  lastVote: number | null = null;

  constructor(
    private readonly ledgerDir: string,
    public identity: Keypair,
    private readonly authorizedVoters: Map<string, Keypair>,
    private readonly send: (vote: VoteMessage) => void,
    private readonly log: (line: string) => void,
    private readonly consensus: VoterConsensus,
  ) {}

  /**
   * The cluster named the identities that own vote accounts; restore the tower and vote history
   * if ours does. Answers why the validator must not start, as agave 4.2 refuses to start a
   * staked identity without its vote history once its vote account has landed Alpenglow votes
   * (unless `requireVoteHistory` is false: --do-not-require-vote-history); else null.
   */
  onWelcome(voting: readonly string[], requireVoteHistory: boolean): string | null {
    this.voting = new Set(voting);
    if (this.tower === null && this.voting.has(this.identity.pubkey)) {
      const load = loadTower(this.ledgerDir, this.identity.pubkey);
      // agave validator.rs: a failed restore at start-up is logged and a tower rebuilt.
      if (load.kind === 'invalid') this.log(`Rebuilding a new tower due to failed tower restore: ${load.reason}`);
      const history = loadVoteHistory(this.ledgerDir, this.identity.pubkey);
      const refusal = requireVoteHistory ? this.voteHistoryRefusal(this.identity.pubkey, history) : null;
      if (refusal !== null) return refusal;
      if (history.kind === 'invalid') this.log(`Starting a new vote history: ${history.reason}`);
      this.adopt(load, history);
    }
    return null;
  }

  private voteHistoryRefusal(pubkey: string, history: VoteHistoryLoad): string | null {
    const voteAccount = this.consensus.alpenglowVoteAccountOf(pubkey);
    if (voteAccount === undefined || history.kind === 'loaded') return null;
    return (
      `Unable to load vote history file for identity ${pubkey}: ${voteHistoryLoadError(history)}. ` +
      `The vote account ${voteAccount} has prior Alpenglow votes. Ensure the vote history file is present or ` +
      `(dangerous) use --do-not-require-vote-history if you know what you're doing`
    );
  }

  /** A new replayed slot: vote on it when allowed. */
  onSlot(slot: number, clusterSlot: number): void {
    this.clusterSlot = Math.max(this.clusterSlot, clusterSlot);
    if (slot <= this.localSlot) return;
    this.localSlot = slot;
    this.maybeVote(slot);
  }

  /** Whether this validator votes at the moment (staked identity and its authorized voter). */
  isVoting(): boolean {
    return this.voting.has(this.identity.pubkey) && this.authorizedVoters.has(this.identity.pubkey);
  }

  private adopt(load: TowerLoad, history: VoteHistoryLoad): void {
    this.tower = load.kind === 'loaded' ? load.tower : createTower(this.identity.pubkey);
    this.voteHistory = history.kind === 'loaded' ? history.history : null;
    const towerLast = load.kind === 'loaded' ? load.lastVotedSlot : null;
    const historyLast = history.kind === 'loaded' ? history.newestSlot : null;
    this.lastVote =
      towerLast === null ? historyLast : historyLast === null ? towerLast : Math.max(towerLast, historyLast);
  }

  private maybeVote(slot: number): void {
    if (!this.isVoting() || this.tower === null) return;
    // The tower forbids voting at or below its last vote, and a vote history voting a slot it
    // records: restored, they hold a new holder back until the cluster has moved past what the
    // previous holder voted on.
    if (this.lastVote !== null && slot <= this.lastVote) return;
    this.lastVote = slot;
    if (this.consensus.isAlpenglowSlot(slot)) {
      this.voteHistory = recordAlpenglowVote(this.voteHistory ?? createVoteHistory(this.identity.pubkey), slot);
      saveVoteHistory(this.ledgerDir, this.voteHistory, this.identity);
      this.send({ t: 'vote', identity: this.identity.pubkey, slot, root: null });
      return;
    }
    this.tower = recordVote(this.tower, slot, Math.floor(Date.now() / 1000));
    saveTower(this.ledgerDir, this.tower, this.identity);
    const root = this.tower.voteState.rootSlot;
    this.send({ t: 'vote', identity: this.identity.pubkey, slot, root });
  }

  /**
   * set-identity. With `requireTower`, refuse unless the new identity's tower file loads and
   * verifies (agave admin_rpc_service `set_identity_keypair`). With `requireVoteHistory` (agave's
   * default), refuse unless the vote history loads and verifies once the identity's vote account
   * has landed Alpenglow votes. Without them, a missing tower or vote history means a fresh one;
   * a present but bad tower makes agave's replay stage exit the process.
   */
  setIdentity(
    identity: Keypair,
    requireTower: boolean,
    requireVoteHistory = true,
  ): AdminOutcome | { readonly ok: 'exit'; readonly message: string } {
    const load = loadTower(this.ledgerDir, identity.pubkey);
    if (requireTower && load.kind !== 'loaded') {
      const reason = load.kind === 'missing' ? 'IO Error: No such file or directory (os error 2)' : load.reason;
      return { ok: false, message: `Unable to load tower file for identity ${identity.pubkey}: ${reason}` };
    }
    const history = loadVoteHistory(this.ledgerDir, identity.pubkey);
    const refusal = requireVoteHistory ? this.voteHistoryRefusal(identity.pubkey, history) : null;
    if (refusal !== null) return { ok: false, message: refusal };
    if (history.kind === 'invalid') this.log(`Starting a new vote history: ${history.reason}`);
    if (load.kind === 'invalid') {
      return {
        ok: 'exit',
        message: `Unable to load new tower when attempting to change identity from ${this.identity.pubkey} to ${identity.pubkey} on set-identity, Exiting: ${load.reason}`,
      };
    }
    this.identity = identity;
    this.adopt(load, history);
    this.log(`Identity set to ${identity.pubkey}`);
    return { ok: true };
  }

  /** authorized-voter add: agave keeps one entry per key and refuses a duplicate. */
  addAuthorizedVoter(voter: Keypair): AdminOutcome {
    if (this.authorizedVoters.has(voter.pubkey)) return { ok: false, message: 'Authorized voter already present' };
    this.authorizedVoters.set(voter.pubkey, voter);
    return { ok: true };
  }

  /** authorized-voter remove-all. */
  removeAllAuthorizedVoters(): void {
    this.authorizedVoters.clear();
  }

  /** The tower's last voted slot, for status. */
  towerLastVote(): number | null {
    return this.tower === null ? null : towerLastVotedSlot(this.tower);
  }
}
