import type net from 'node:net';
import type { ClusterConfig, GossipNode, VoteAccountState } from './cluster-model';
import { createVoteAccounts, landVote, slotAt } from './cluster-model';
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

/** Sends each linked validator the newest slot it has "replayed" (tip minus its lag). */
export function distributeSlot(state: ClusterState): void {
  const tip = state.slot();
  for (const [name, linked] of state.linked) {
    if (isCutFromCluster(state, name)) continue;
    const slot = Math.max(linked.sentSlot, tip - (state.behind.get(name) ?? 0));
    if (slot === linked.sentSlot) continue;
    linked.sentSlot = slot;
    const message: ClusterToValidator = { t: 'slot', slot, clusterSlot: tip };
    sendLine(linked.socket, message);
  }
  for (const peer of state.config.peers) {
    const account = state.accounts.get(peer.identity);
    if (account) landVote(state.config, account, tip, null);
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
    now,
    slot: () => slotAt(config, startMs, now()),
  };
  return state;
}
