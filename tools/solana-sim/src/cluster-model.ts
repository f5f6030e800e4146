/**
 * The cluster's state: slot clock, vote accounts, leader schedule and the gossip node table.
 * Time is passed in by the cluster process, so the rules here are plain functions of state.
 */

/** A staked identity with a vote account. */
export interface VotingIdentityConfig {
  readonly identity: string;
  readonly votePubkey: string;
  readonly stakeLamports: number;
}

/** A synthetic staked peer: votes every slot inside the cluster, appears in gossip. */
export interface PeerConfig extends VotingIdentityConfig {
  readonly ip: string;
}

/** What the cluster process is started with (all public keys, no secrets). */
export interface ClusterConfig {
  readonly slotMs: number;
  readonly startSlot: number;
  readonly slotsPerEpoch: number;
  readonly leaderIntervalSlots: number;
  readonly gossipDelayMs: number;
  readonly doubleVoteWindowMs: number;
  readonly voting: readonly VotingIdentityConfig[];
  readonly peers: readonly PeerConfig[];
  readonly rpcIdentity: string;
  readonly version: string;
  readonly featureSet: number;
  readonly shredVersion: number;
  /** Slot the Alpenglow feature activates at; null: not activated (until `alpenglowActivate`). */
  readonly alpenglowActivationSlot: number | null;
  /** Slots from activation to the switch to Alpenglow. */
  readonly migrationSlots: number;
  /** In Alpenglow, a vote moves `lastVote` when a block carries its reward certificate, this many slots later. */
  readonly rewardCertLagSlots: number;
}

/** A validator process's entry in gossip. */
export interface GossipNode {
  readonly name: string;
  readonly ip: string;
  identity: string;
  readonly rpcPort: number | null;
  readonly gossipPort: number;
  readonly tpuPort: number;
  readonly version: string;
}

/** A vote account as the cluster holds it. */
export interface VoteAccountState {
  readonly votePubkey: string;
  readonly nodePubkey: string;
  readonly stakeLamports: number;
  lastVote: number;
  rootSlot: number;
  readonly credits: Map<number, number>;
  /** Alpenglow votes received and not yet carried by a reward certificate, oldest first. */
  readonly uncertified: number[];
  /** Whether an Alpenglow vote of this account has landed (agave then requires the vote history file). */
  hasAlpenglowVotes: boolean;
}

/** agave rpc: a vote account more than this many slots behind the tip is delinquent. */
export const DELINQUENT_SLOT_DISTANCE = 128;
/** agave's tower: a vote becomes root after 32 confirmations (MAX_LOCKOUT_HISTORY). */
export const ROOT_DISTANCE = 32;
/** Leader slots come in groups of NUM_CONSECUTIVE_LEADER_SLOTS = 4. */
export const LEADER_GROUP = 4;
/** Credits per landed vote under timely vote credits (the maximum per slot). */
const CREDITS_PER_VOTE = 16;

/** The slot at a wall time, for a cluster whose first slot began at `startMs`. */
export function slotAt(config: ClusterConfig, startMs: number, nowMs: number): number {
  return config.startSlot + Math.max(0, Math.floor((nowMs - startMs) / config.slotMs));
}

/** The epoch a slot belongs to and its index inside it (fixed-size epochs, no warm-up). */
export function epochOf(config: ClusterConfig, slot: number): { epoch: number; slotIndex: number } {
  return { epoch: Math.floor(slot / config.slotsPerEpoch), slotIndex: slot % config.slotsPerEpoch };
}

/**
 * Leader schedule of one epoch, as getLeaderSchedule returns it (slot indices relative to the
 * epoch's first slot). The first watched identity leads the last group of 4 slots of every
 * `leaderIntervalSlots`, so a cluster that starts at an epoch boundary has a long idle window
 * first — `wait-for-restart-window --min-idle-time 2` (300 slots) succeeds at once. Peers share
 * every other group, round robin.
 */
export function leaderSchedule(config: ClusterConfig): Record<string, number[]> {
  const schedule: Record<string, number[]> = {};
  const staked = config.voting[0]?.identity;
  const others = config.peers.map((p) => p.identity);
  let turn = 0;
  for (let group = 0; group * LEADER_GROUP < config.slotsPerEpoch; group += 1) {
    const first = group * LEADER_GROUP;
    const isStakedGroup =
      staked !== undefined && (first % config.leaderIntervalSlots) + LEADER_GROUP === config.leaderIntervalSlots;
    const leader = isStakedGroup || others.length === 0 ? staked : others[turn++ % others.length];
    if (leader === undefined) continue;
    const slots = (schedule[leader] ??= []);
    for (let i = first; i < Math.min(first + LEADER_GROUP, config.slotsPerEpoch); i += 1) slots.push(i);
  }
  return schedule;
}

/** Creates the vote accounts of the watched identities and peers, all current at `slot`. */
export function createVoteAccounts(config: ClusterConfig, slot: number): Map<string, VoteAccountState> {
  const accounts = new Map<string, VoteAccountState>();
  for (const v of [...config.voting, ...config.peers]) {
    accounts.set(v.identity, {
      votePubkey: v.votePubkey,
      nodePubkey: v.identity,
      stakeLamports: v.stakeLamports,
      lastVote: slot,
      rootSlot: Math.max(0, slot - ROOT_DISTANCE),
      credits: new Map(),
      uncertified: [],
      hasAlpenglowVotes: false,
    });
  }
  return accounts;
}

/**
 * Lands a vote on its account: the vote program ignores a vote not newer than the last one
 * (agave vote_state: "VoteTooOld"), so only a newer slot moves `lastVote` and earns credits.
 */
export function landVote(config: ClusterConfig, account: VoteAccountState, slot: number, root: number | null): boolean {
  if (slot <= account.lastVote) return false;
  account.lastVote = slot;
  account.rootSlot = root ?? Math.max(account.rootSlot, slot - ROOT_DISTANCE);
  const { epoch } = epochOf(config, slot);
  account.credits.set(epoch, (account.credits.get(epoch) ?? 0) + CREDITS_PER_VOTE);
  return true;
}

/** getVoteAccounts' entry shape for one account (agave rpc RpcVoteAccountInfo). */
export function voteAccountInfo(account: VoteAccountState, epochVoteAccount = true): Record<string, unknown> {
  const epochs = [...account.credits.keys()].sort((a, b) => a - b).slice(-5);
  let total = 0;
  const epochCredits = epochs.map((epoch) => {
    const previous = total;
    total += account.credits.get(epoch) ?? 0;
    return [epoch, total, previous];
  });
  return {
    votePubkey: account.votePubkey,
    nodePubkey: account.nodePubkey,
    activatedStake: account.stakeLamports,
    epochVoteAccount,
    commission: 5,
    lastVote: account.lastVote,
    epochCredits,
    rootSlot: account.rootSlot,
  };
}

/** Whether a vote account is delinquent at `slot` by agave's 128-slot rule. */
export function isDelinquent(account: VoteAccountState, slot: number, distance = DELINQUENT_SLOT_DISTANCE): boolean {
  return account.lastVote + distance < slot;
}

/** getClusterNodes' entry shape for a simulated validator (agave rpc RpcContactInfo). */
export function contactInfo(config: ClusterConfig, node: GossipNode): Record<string, unknown> {
  return {
    pubkey: node.identity,
    gossip: `${node.ip}:${node.gossipPort}`,
    tvu: `${node.ip}:${node.gossipPort + 1}`,
    tpu: `${node.ip}:${node.tpuPort}`,
    tpuQuic: `${node.ip}:${node.tpuPort + 6}`,
    tpuForwards: `${node.ip}:${node.tpuPort + 1}`,
    tpuForwardsQuic: `${node.ip}:${node.tpuPort + 7}`,
    tpuVote: `${node.ip}:${node.tpuPort + 2}`,
    serveRepair: `${node.ip}:${node.gossipPort + 8}`,
    rpc: node.rpcPort === null ? null : `${node.ip}:${node.rpcPort}`,
    pubsub: node.rpcPort === null ? null : `${node.ip}:${node.rpcPort + 1}`,
    version: node.version,
    featureSet: config.featureSet,
    shredVersion: config.shredVersion,
  };
}
