import type net from 'node:net';
import type { ConsensusPhase } from './alpenglow';
import { FINALIZATION_LAG_SLOTS, STANDSTILL_TIP_SLOTS, genesisSlotOf, phaseAt } from './alpenglow';
import type { ClusterConfig, GossipNode, VoteAccountState } from './cluster-model';
import { ROOT_DISTANCE, createVoteAccounts, landVote, slotAt } from './cluster-model';
import type { Judge } from './judge';
import { createJudge } from './judge';
import { sendLine } from './internal/lines';
import type { ClusterToValidator } from './internal/link-protocol';

/** A connected validator process as the cluster sees it. */
export interface LinkedValidator {
  readonly socket: net.Socket;
  readonly node: GossipNode;
  /** Last slot sent; replay never goes backwards. */
  sentSlot: number;
}

/**
 * One RPC backend on `/backend/<name>`, for tests of readers that must not trust one endpoint:
 * it answers like `/`, except that once its votes are frozen, `getVoteAccounts` reports every
 * account's last vote as it was then while its slot keeps advancing (a backend whose view of
 * the vote accounts stopped, behind a load balancer or on its own).
 */
export interface RpcBackend {
  /** Each account's `lastVote` and `rootSlot` when frozen, by identity; null: it follows the cluster. */
  frozenVotes: Map<string, { readonly lastVote: number; readonly rootSlot: number }> | null;
}

/** The cluster's consensus: Alpenglow's activation and the faults that stop or narrow voting. */
export interface ConsensusState {
  /** Slot the Alpenglow feature activated at (the feature account exists from then); null: never. */
  activationSlot: number | null;
  /** While in a standstill: the finalized slot it froze at and the last slot the tip reaches. */
  standstill: { readonly finalizedSlot: number; readonly haltSlot: number } | null;
  /** Slots the tip stood still in past standstills, so it resumes where it stopped. */
  heldSlots: number;
  /** Vote accounts (by vote pubkey) excluded by VAT: not eligible this epoch, their votes not counted. */
  readonly vatExcluded: Set<string>;
}

/** Everything the cluster process holds; read by the RPC and control handlers. */
export interface ClusterState {
  readonly config: ClusterConfig;
  readonly startMs: number;
  readonly linked: Map<string, LinkedValidator>;
  /** Gossip table: what `getClusterNodes` shows (lags identity changes by gossipDelayMs). */
  readonly gossip: Map<string, GossipNode>;
  readonly accounts: Map<string, VoteAccountState>;
  readonly judge: Judge;
  readonly behind: Map<string, number>;
  readonly votesCut: Set<string>;
  /** Cut links, as sorted "a|b" pairs of party names ('cluster' or a validator name). */
  readonly cuts: Set<string>;
  /** RPC backends by name; one that was never configured follows the cluster. */
  readonly backends: Map<string, RpcBackend>;
  readonly ticks: { count: number; maxLateMs: number; totalLateMs: number };
  readonly consensus: ConsensusState;
  now(): number;
  slot(): number;
}

/** The party name of the cluster itself in cut/heal. */
export const CLUSTER_PARTY = 'cluster';

/** Sorted pair key of two parties. */
export function cutKey(a: string, b: string): string {
  return [a, b].sort().join('|');
}

/** Whether a validator's link to the cluster is cut. */
export function isCutFromCluster(state: ClusterState, name: string): boolean {
  return state.cuts.has(cutKey(name, CLUSTER_PARTY));
}

/** The slot the cluster switches to Alpenglow at, or null while the feature is not active. */
export function genesisSlot(state: ClusterState): number | null {
  return genesisSlotOf(state.consensus.activationSlot, state.config.migrationSlots);
}

/** The consensus phase at the tip. */
export function phaseOf(state: ClusterState): ConsensusPhase {
  return phaseAt(state.consensus.activationSlot, state.config.migrationSlots, state.slot());
}

/** Whether a vote on `slot` is an Alpenglow vote (the slot is at or past the switch). */
export function isAlpenglowSlot(state: ClusterState, slot: number): boolean {
  const genesis = genesisSlot(state);
  return genesis !== null && slot >= genesis;
}

/**
 * The highest finalized slot: under TowerBFT the root 32 slots behind the tip; in Alpenglow a
 * slot or two behind while the cluster finalizes; frozen in a standstill.
 */
export function finalizedSlot(state: ClusterState): number {
  if (state.consensus.standstill) return state.consensus.standstill.finalizedSlot;
  const tip = state.slot();
  return Math.max(0, tip - (phaseOf(state) === 'alpenglow' ? FINALIZATION_LAG_SLOTS : ROOT_DISTANCE));
}

/** Starts or ends a standstill: finalization and every `lastVote` stop; the tip stops a few slots later. */
export function setStandstill(state: ClusterState, on: boolean): void {
  const consensus = state.consensus;
  if (on && consensus.standstill === null) {
    consensus.standstill = { finalizedSlot: finalizedSlot(state), haltSlot: state.slot() + STANDSTILL_TIP_SLOTS };
  } else if (!on && consensus.standstill !== null) {
    const clock = slotAt(state.config, state.startMs, state.now()) - consensus.heldSlots;
    consensus.heldSlots += Math.max(0, clock - consensus.standstill.haltSlot);
    consensus.standstill = null;
  }
}

/**
 * A validator's vote reached the cluster. A tower vote lands at once; an Alpenglow vote waits
 * for a block to carry its reward certificate. In a standstill, or for a vote account excluded by
 * VAT, nothing is counted.
 */
export function countVote(state: ClusterState, account: VoteAccountState, slot: number, root: number | null): void {
  if (state.consensus.standstill || state.consensus.vatExcluded.has(account.votePubkey)) return;
  if (!isAlpenglowSlot(state, slot)) {
    landVote(state.config, account, slot, root);
    return;
  }
  const last = account.uncertified[account.uncertified.length - 1];
  if (slot > account.lastVote && (last === undefined || slot > last)) account.uncertified.push(slot);
}

function certifyVotes(state: ClusterState, tip: number): void {
  const upTo = tip - state.config.rewardCertLagSlots;
  for (const account of state.accounts.values()) {
    if (state.consensus.vatExcluded.has(account.votePubkey)) continue;
    while ((account.uncertified[0] ?? Infinity) <= upTo) {
      landVote(state.config, account, account.uncertified.shift() as number, null);
      account.hasAlpenglowVotes = true;
    }
  }
  for (const peer of state.config.peers) {
    const account = state.accounts.get(peer.identity);
    if (!account || state.consensus.vatExcluded.has(account.votePubkey)) continue;
    const slot = isAlpenglowSlot(state, tip) ? upTo : tip;
    // Around the switch the peers' last tower vote stays until certificates reach the first Alpenglow slot.
    if (landVote(state.config, account, slot, null) && isAlpenglowSlot(state, slot)) account.hasAlpenglowVotes = true;
  }
}

/** The watched identities whose vote account has landed Alpenglow votes. */
export function alpenglowVotedIdentities(state: ClusterState): string[] {
  return state.config.voting
    .filter((v) => state.accounts.get(v.identity)?.hasAlpenglowVotes === true)
    .map((v) => v.identity);
}

/** Sends each linked validator the newest slot it has "replayed" (tip minus its lag). */
export function distributeSlot(state: ClusterState): void {
  const tip = state.slot();
  // The block at the tip carries its reward certificates before validators replay it.
  if (!state.consensus.standstill) certifyVotes(state, tip);
  const finalized = finalizedSlot(state);
  const genesis = genesisSlot(state);
  const alpenglowVoted = alpenglowVotedIdentities(state);
  for (const [name, linked] of state.linked) {
    if (isCutFromCluster(state, name)) continue;
    const slot = Math.max(linked.sentSlot, tip - (state.behind.get(name) ?? 0));
    if (slot === linked.sentSlot) continue;
    linked.sentSlot = slot;
    const message: ClusterToValidator = {
      t: 'slot',
      slot,
      clusterSlot: tip,
      finalizedSlot: finalized,
      genesisSlot: genesis,
      alpenglowVoted,
    };
    sendLine(linked.socket, message);
  }
}

/** Creates the cluster's state for a config; the first slot starts now. */
export function createClusterState(config: ClusterConfig, now: () => number = Date.now): ClusterState {
  const startMs = now();
  const state: ClusterState = {
    config,
    startMs,
    linked: new Map(),
    gossip: new Map(),
    accounts: createVoteAccounts(config, config.startSlot),
    judge: createJudge({ windowMs: config.doubleVoteWindowMs }),
    behind: new Map(),
    votesCut: new Set(),
    cuts: new Set(),
    backends: new Map(),
    ticks: { count: 0, maxLateMs: 0, totalLateMs: 0 },
    consensus: {
      activationSlot: config.alpenglowActivationSlot,
      standstill: null,
      heldSlots: 0,
      vatExcluded: new Set(),
    },
    now,
    slot: () => {
      const clock = slotAt(config, startMs, now()) - state.consensus.heldSlots;
      return state.consensus.standstill === null ? clock : Math.min(clock, state.consensus.standstill.haltSlot);
    },
  };
  return state;
}
