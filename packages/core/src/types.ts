/**
 * The domain vocabulary shared by the manager, the agent and the wire protocol.
 *
 * Everything here is camelCase and uses milliseconds since the Unix epoch for instants; the
 * protocol package maps the snake_case wire (the Go tool's field names) onto these types in
 * one place, so nothing else ever sees a wire shape.
 */
import type { AlpenglowGenesis, ConsensusView } from './consensus-phase';

/** The two validators a manager watches, named as in `manager-config.json`. */
export type NodeId = 'validator1' | 'validator2';

/** Both node ids, in configuration order. */
export const NODE_IDS: readonly NodeId[] = ['validator1', 'validator2'];

/** The other node of the pair. */
export function otherNode(node: NodeId): NodeId {
  return node === 'validator1' ? 'validator2' : 'validator1';
}

/**
 * What an agent says about itself. `activating` and `deactivating` are the moments between
 * the first and the last command of a role change, when the staked identity may be on
 * either side of the switch. `unconfirmed`: a promotion failed and so did its undo, so the
 * validator may hold the staked identity (a holder, for S1) but was never seen running it
 * (not a voter, for L1); only `active` is a confirmed holder.
 */
export type Role = 'active' | 'passive' | 'activating' | 'deactivating' | 'unconfirmed' | 'unknown';

/** The agent's last tower backup, as reported in its status. */
export interface TowerInfo {
  /** Highest slot voted on in the backed-up tower. */
  readonly lastVoteSlot: number;
  /** Hex sha256 of the tower file bytes. */
  readonly sha256: string;
  /** When the backup was written. */
  readonly backedUpAt: number;
}

/** The agent's last Alpenglow vote-history backup, as reported in its status. */
export interface VoteHistoryInfo {
  /** The newest slot the backed-up vote history records a vote in. */
  readonly newestSlot: number;
  /** Hex sha256 of the file bytes. */
  readonly sha256: string;
  /** When the backup was written. */
  readonly backedUpAt: number;
}

/** The agent's `/status` answer (camelCase twin of the wire body). */
export interface NodeStatus {
  /** A process with the configured name is running. */
  readonly processRunning: boolean;
  /** Seconds since the validator process started; 0 when it is not running. */
  readonly processUptimeSec: number;
  /**
   * The agent's process check (wire `process_healthy`): the validator process runs and is not
   * restarting in a loop. Says nothing about the RPC or the slot.
   */
  readonly processHealthy: boolean;
  /** The validator's own processed slot. */
  readonly validatorSlot: number;
  /** The network slot as the agent sees it. */
  readonly networkSlot: number;
  /** `networkSlot - validatorSlot`, as computed by the agent. */
  readonly slotDiff: number;
  /**
   * The validator's local RPC answered `getHealth` with ok (wire `is_healthy`). A Go tool
   * agent sends its overall verdict in the same field; read as RPC health, its "unhealthy"
   * still makes the node unhealthy, the safe direction.
   */
  readonly rpcHealthy: boolean;
  /** The agent believes its validator holds the staked identity. */
  readonly isActive: boolean;
  /** When the last tower backup succeeded; null when never. */
  readonly lastTowerBackup: number | null;
  /**
   * When the agent saw its validator process exit (wire `process_exited_at`): present only
   * while no validator process has run since, and only when the agent saw the process run and
   * then stop (not when it was down from the agent's start). A Go tool agent never sends it.
   */
  readonly processExitedAt?: number;
  /** The identity the validator answers `getIdentity` with. */
  readonly identityPubkey?: string;
  /** The agent's role machine state. */
  readonly role?: Role;
  /** The last tower backup. */
  readonly tower?: TowerInfo;
  /** The last vote-history backup; absent while none was taken (a TowerBFT cluster has none). */
  readonly voteHistory?: VoteHistoryInfo;
  /**
   * The Alpenglow genesis the validator's own RPC answers `getAgGenesisCert` with: null when
   * it has not migrated (or its RPC predates Alpenglow); absent when the agent could not tell
   * or does not report it.
   */
  readonly alpenglowGenesis?: AlpenglowGenesis | null;
  /** Agent software version. */
  readonly agentVersion?: string;
  /** What the agent could not find out, e.g. a timed-out RPC call. */
  readonly error?: string;
  /** When the agent produced this answer. */
  readonly timestamp: number;
}

/** Why a node could not be observed: the typed client's failure kinds. */
export type UnreachableReason = 'timeout' | 'refused' | 'rejected' | 'error';

/** One node seen from the manager in one tick. */
export type NodeObservation =
  | { readonly reachable: true; readonly status: NodeStatus; readonly latencyMs: number }
  | { readonly reachable: false; readonly reason: UnreachableReason; readonly detail: string };

/** A slot read from the cluster RPC, with the instant it was read. */
export interface SlotObservation {
  /** The cluster's current slot. */
  readonly slot: number;
  /** When it was read. */
  readonly observedAt: number;
}

/** The staked identity's vote account as the cluster RPC reports it (`getVoteAccounts`). */
export interface VoteObservation {
  /** The vote account's `lastVote` slot. */
  readonly lastVote: number;
  /** The cluster counts the account as delinquent. */
  readonly delinquent: boolean;
  /**
   * Some endpoint reports the account not eligible to vote this epoch (`epochVoteAccount:
   * false`: Alpenglow's vote admission ticket); absent otherwise.
   */
  readonly excluded?: true;
  /** When it was read. */
  readonly observedAt: number;
}

/**
 * Where gossip places the staked identity. `holder` is the node whose configured IP matches
 * the gossip entry, null when no node matches; `ip` is null when gossip has no entry at all.
 */
export interface GossipObservation {
  /** The matching node, if any. */
  readonly holder: NodeId | null;
  /** The gossip entry's IP, if there is an entry. */
  readonly ip: string | null;
  /** When gossip was read. */
  readonly observedAt: number;
}

/** Everything the manager saw in one tick. Optional parts are null when not observed. */
export interface Observation {
  /** The tick's instant; the manager machine's notion of now. */
  readonly at: number;
  /** Each node's status or why it could not be read. */
  readonly nodes: Readonly<Record<NodeId, NodeObservation>>;
  /** The cluster slot, possibly from an earlier tick (see `observedAt`). */
  readonly clusterSlot: SlotObservation | null;
  /** The staked identity's vote account. */
  readonly vote: VoteObservation | null;
  /** The gossip entry of the staked identity. */
  readonly gossip: GossipObservation | null;
  /** The cluster's consensus phase; absent means TowerBFT, as before phases were read. */
  readonly consensus?: ConsensusView;
}

/** Why a node is not healthy; one entry per broken rule. */
export type HealthReason =
  | { readonly kind: 'unreachable'; readonly reason: UnreachableReason; readonly detail: string }
  /** The validator process is not running; `exitedAt`: the agent saw it exit then. */
  | { readonly kind: 'process-down'; readonly exitedAt?: number }
  | { readonly kind: 'crash-loop'; readonly restarts: number; readonly windowMs: number }
  /** The agent reports its validator process unhealthy (restarting in a loop) before the manager counted the restarts itself. */
  | { readonly kind: 'process-unhealthy' }
  | { readonly kind: 'rpc-unhealthy'; readonly detail: string | null }
  | { readonly kind: 'lagging'; readonly slotsBehind: number; readonly threshold: number }
  /** The agent reports the role `unconfirmed`: it may hold the staked identity, but its validator was never seen running it. */
  | { readonly kind: 'identity-unconfirmed' };

/** Something worth knowing about an assessment that does not make the node unhealthy. */
export type HealthNote =
  { readonly kind: 'stale-network-slot'; readonly ageMs: number } | { readonly kind: 'no-network-slot' };
