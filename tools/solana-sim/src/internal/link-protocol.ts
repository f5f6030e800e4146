/**
 * Messages on the validator↔cluster link (one TCP connection per validator process, opened from
 * the validator's own loopback address so the cluster sees where it runs).
 */

/** Validator → cluster: who I am and where my RPC listens. */
export interface HelloMessage {
  readonly t: 'hello';
  readonly name: string;
  readonly ip: string;
  readonly identity: string;
  readonly rpcPort: number;
  readonly gossipPort: number;
  readonly tpuPort: number;
  readonly version: string;
}

/** Validator → cluster: set-identity took effect (gossip follows after the propagation delay). */
export interface IdentityMessage {
  readonly t: 'identity';
  readonly identity: string;
}

/** Validator → cluster: a signed vote, with the tower's root after it. */
export interface VoteMessage {
  readonly t: 'vote';
  readonly identity: string;
  readonly slot: number;
  readonly root: number | null;
}

/** Cluster → validator: the identities that own a vote account (and so may vote). */
export interface WelcomeMessage {
  readonly t: 'welcome';
  readonly voting: readonly string[];
  /** The vote account of each identity in `voting`. */
  readonly votePubkeys: Readonly<Record<string, string>>;
  /** How many vote accounts the cluster has (the signers of its certificates). */
  readonly voteAccounts: number;
  /** Identities whose vote account has landed Alpenglow votes. */
  readonly alpenglowVoted: readonly string[];
}

/** Cluster → validator: the slot this validator has replayed, the cluster's tip and consensus. */
export interface SlotMessage {
  readonly t: 'slot';
  readonly slot: number;
  readonly clusterSlot: number;
  /** The cluster's highest finalized slot. */
  readonly finalizedSlot: number;
  /** The slot of the switch to Alpenglow, once the feature is active; else null. */
  readonly genesisSlot: number | null;
  /** Identities whose vote account has landed Alpenglow votes. */
  readonly alpenglowVoted: readonly string[];
}

/** Anything a validator sends. */
export type ValidatorToCluster = HelloMessage | IdentityMessage | VoteMessage;
/** Anything the cluster sends. */
export type ClusterToValidator = WelcomeMessage | SlotMessage;
