import type { AgGenesisCert } from './alpenglow';
import { genesisCertificate } from './alpenglow';
import type { SlotMessage, WelcomeMessage } from './internal/link-protocol';
import type { VoterConsensus } from './validator-voter';

/**
 * A validator's own view of the cluster's consensus, from the slots it replays: whether it has
 * switched to Alpenglow (and on which genesis), the finalized slots it has seen, and which vote
 * accounts have landed Alpenglow votes.
 */
export class ConsensusView implements VoterConsensus {
  private genesisSlot: number | null = null;
  private finalized: number | null = null;
  private firstFinalized: number | null = null;
  private alpenglowVoted = new Set<string>();
  private voteAccounts = 0;
  private votePubkeys: Readonly<Record<string, string>> = {};

  /**
   * @param genesis the chain this node migrates on: 'cluster', or another name for a node that
   *   switched on another genesis
   */
  constructor(private readonly genesis: string) {}

  /** The cluster's welcome: the vote accounts, and how many sign a certificate. */
  onWelcome(welcome: WelcomeMessage): void {
    this.voteAccounts = welcome.voteAccounts;
    this.votePubkeys = welcome.votePubkeys;
    this.alpenglowVoted = new Set(welcome.alpenglowVoted);
  }

  /** A replayed slot's news. */
  onSlot(message: SlotMessage): void {
    this.genesisSlot = message.genesisSlot;
    this.finalized = message.finalizedSlot;
    this.firstFinalized ??= message.finalizedSlot;
    this.alpenglowVoted = new Set(message.alpenglowVoted);
  }

  isAlpenglowSlot(slot: number): boolean {
    return this.genesisSlot !== null && slot >= this.genesisSlot;
  }

  alpenglowVoteAccountOf(identity: string): string | undefined {
    return this.alpenglowVoted.has(identity) ? this.votePubkeys[identity] : undefined;
  }

  /** Whether this node has replayed the switch to Alpenglow. */
  hasMigrated(localSlot: number): boolean {
    return this.isAlpenglowSlot(localSlot);
  }

  /**
   * The highest finalized slot this node has replayed, once it has migrated; undefined under
   * TowerBFT, where it trails the replayed slot by the 32 slots of a root.
   */
  finalizedSlot(localSlot: number): number | undefined {
    if (!this.hasMigrated(localSlot) || this.finalized === null) return undefined;
    return Math.min(localSlot, this.finalized);
  }

  /**
   * Whether this process has seen Alpenglow finalize a slot: the finalized slot advanced past
   * the switch while it was replaying. A node restarted during a standstill has not.
   */
  hasSeenFinalization(localSlot: number): boolean {
    const genesis = this.genesisSlot;
    const finalized = this.finalized;
    if (genesis === null || finalized === null || !this.hasMigrated(localSlot)) return false;
    return finalized >= genesis && finalized > (this.firstFinalized ?? finalized);
  }

  /** Slots this node's finalized slot trails the cluster's. */
  finalizedBehind(localSlot: number): number {
    return Math.max(0, (this.finalized ?? 0) - localSlot);
  }

  /** This node's getAgGenesisCert: null until it has replayed the switch. */
  genesisCert(localSlot: number): AgGenesisCert | null {
    if (this.genesisSlot === null || !this.hasMigrated(localSlot)) return null;
    return genesisCertificate(this.genesisSlot, this.genesis, this.voteAccounts);
  }
}
