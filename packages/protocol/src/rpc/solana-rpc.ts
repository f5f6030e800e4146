/**
 * The Solana JSON-RPC client of both apps: the agent reads its validator's local RPC
 * (`local_rpc`) and, for its start-up role and reachability, the cluster's (`cluster_rpc`);
 * the manager reads the cluster's slot, vote account, gossip table and leader schedule.
 *
 * Every call has one deadline (`timeoutMs`) and ends in an {@link RpcResult}: the value,
 * checked as strictly as each reader needs, or why there is none. Nothing throws.
 *
 * Endpoints: the client takes a list of URLs and chooses by this rule.
 * - A call starts at the preferred endpoint: the one that last answered, at first the first
 *   listed.
 * - A transport failure (nothing listens, the connection breaks, no answer before the
 *   deadline, a body that is not a JSON-RPC response, an HTTP error status without a JSON-RPC
 *   error) moves the same call on to the next endpoint in the list, within the call's one
 *   deadline, and the next call starts there.
 * - A JSON-RPC response is an answer and ends the call: a result, or an error object (the node
 *   is behind, -32005; it lacks the method, -32601). A result of the wrong shape is reported
 *   as `malformed` from that endpoint; it does not move on either.
 * - Each endpoint is tried at most once per call; when all fail, the result names each failure.
 * Results name the endpoint that answered. `pin()` gives a client whose calls all go to the
 * endpoint preferred at that moment, for readings that must come from one node.
 */
import { alpenglowGenesisOf, decodeFeatureAccount, fromClusterNodes } from '@failover/core';
import type { AlpenglowGenesis, FeatureReading, GossipNode } from '@failover/core';
import { createJsonRpcTransport, isRecord, type JsonRpcTransport } from './json-rpc-transport';
import type { RpcResult } from './rpc-result';

/** How settled a slot must be for the node to count it (Solana's commitment levels). */
export type Commitment = 'processed' | 'confirmed' | 'finalized';

/** One vote account as `getVoteAccounts` reports it. */
export interface VoteAccountInfo {
  readonly votePubkey: string;
  readonly nodePubkey: string;
  readonly lastVote: number;
  /** 0 when the node reports none. */
  readonly rootSlot: number;
  /** The RPC moves an account to `delinquent` when its last vote is 128+ slots behind. */
  readonly delinquent: boolean;
  /** Lamports; 0 when the node reports none. */
  readonly activatedStake: number;
  /** `epochVoteAccount`: false when the account may not vote this epoch (Alpenglow's VAT); absent when not reported. */
  readonly epochVoteAccount?: boolean;
}

/** The processed and finalized slots, read in one request from one endpoint. */
export interface ConsensusSlots {
  readonly processed: number;
  readonly finalized: number;
}

/** The cluster slot and one vote account, read in one request from one endpoint. */
export interface SlotAndVoteAccount {
  readonly slot: number;
  /** `undefined` when the endpoint does not know the account at all. */
  readonly vote: VoteAccountInfo | undefined;
}

/** Where the cluster is inside the current epoch, from `getEpochInfo`. */
export interface EpochInfo {
  readonly epoch: number;
  readonly absoluteSlot: number;
  readonly slotIndex: number;
  readonly slotsInEpoch: number;
}

/** Every Solana JSON-RPC call the agent and the manager make; each has its own deadline. */
export interface SolanaRpc {
  /** `getHealth`: `true` when the node answers "ok"; a node behind answers the error -32005. */
  getHealth(): Promise<RpcResult<true>>;
  /** `getSlot` at `commitment` (default: the client's). */
  getSlot(commitment?: Commitment): Promise<RpcResult<number>>;
  /** `getIdentity`: the identity pubkey the node runs with now. */
  getIdentity(): Promise<RpcResult<string>>;
  /** `getVersion`: the `solana-core` version string. */
  getVersion(): Promise<RpcResult<string>>;
  /** `getEpochInfo` at the client's commitment. */
  getEpochInfo(): Promise<RpcResult<EpochInfo>>;
  /** `getVoteAccounts` for one account; `undefined` when the cluster does not know it at all. */
  getVoteAccount(votePubkey: string): Promise<RpcResult<VoteAccountInfo | undefined>>;
  /**
   * `getSlot` and `getVoteAccounts` for one account in one JSON-RPC batch, so one endpoint,
   * and behind a load balancer one backend, answers both: a slot and a vote from two backends
   * that see the chain differently would make a gap that is not there.
   */
  getSlotAndVoteAccount(votePubkey: string): Promise<RpcResult<SlotAndVoteAccount>>;
  /** `getClusterNodes`, parsed by core into the same shape as `solana gossip` lines; nodes without a gossip address are left out. */
  getClusterNodes(): Promise<RpcResult<readonly GossipNode[]>>;
  /**
   * `getAgGenesisCert`: the block of the node's Alpenglow genesis certificate, or null before
   * the switch. An RPC that predates Alpenglow answers the error -32601 (`code` of the failure).
   */
  getAgGenesisCert(): Promise<RpcResult<AlpenglowGenesis | null>>;
  /** `getAccountInfo` of a feature gate's account, decoded: absent, pending, or activated at a slot. */
  getFeature(featureId: string): Promise<RpcResult<FeatureReading>>;
  /** `getSlot` processed and finalized in one JSON-RPC batch, so one endpoint answers both. */
  getConsensusSlots(): Promise<RpcResult<ConsensusSlots>>;
  /** Absolute leader slots of `identity` in the current epoch, ascending; the schedule comes from the endpoint that gave the epoch. */
  getLeaderSlots(identity: string): Promise<RpcResult<readonly number[]>>;
  /**
   * A client whose calls all go to the endpoint preferred now and never move on, for readings
   * that must come from one node; what they learn still moves this client's preference.
   */
  pin(): SolanaRpc;
  /**
   * A client over the same endpoints and preference whose calls have another deadline, for a
   * caller that must answer sooner than the rest (the agent's status probe).
   */
  withDeadline(timeoutMs: number): SolanaRpc;
}

/** The calls the agent makes to its validator's own RPC; tests pass small fakes of it. */
export type LocalRpc = Pick<SolanaRpc, 'getHealth' | 'getSlot' | 'getIdentity' | 'getVersion'>;

/** The calls the manager makes to the cluster's RPC; tests pass small fakes of it. */
export type ClusterRpc = Pick<
  SolanaRpc,
  'getSlot' | 'getEpochInfo' | 'getVoteAccount' | 'getSlotAndVoteAccount' | 'getClusterNodes' | 'getLeaderSlots'
>;

/** The calls the manager makes to read the consensus phase (`consensus-phase.ts` in core). */
export type ConsensusRpc = Pick<SolanaRpc, 'getAgGenesisCert' | 'getFeature' | 'getConsensusSlots'>;

/** Options of {@link createSolanaRpc}. */
export interface SolanaRpcOptions {
  /** JSON-RPC URLs, in order of preference; the module's doc states the choice rule. */
  readonly endpoints: readonly [string, ...string[]];
  /** The one deadline of a call, over every endpoint it tries, body included. */
  readonly timeoutMs: number;
  /** Commitment of slot, epoch, vote and schedule queries unless a call names one. @default 'processed' */
  readonly commitment?: Commitment;
  /** Injected for tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** A check of a raw `result`: the value, or what is wrong with it. */
type Check<T> = (
  result: unknown,
) => { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Creates the client over `options.endpoints`; see the module's doc for which endpoint a call goes to. */
export function createSolanaRpc(options: SolanaRpcOptions): SolanaRpc {
  const commitment = options.commitment ?? 'processed';
  return clientOver(createJsonRpcTransport(options), commitment);
}

function clientOver(transport: JsonRpcTransport, commitment: Commitment): SolanaRpc {
  async function call<T>(
    rpc: JsonRpcTransport,
    method: string,
    params: readonly unknown[],
    check: Check<T>,
  ): Promise<RpcResult<T>> {
    const r = await rpc.call(method, params);
    if (!r.ok) return r;
    const checked = check(r.value);
    if (checked.ok) return { ok: true, value: checked.value, endpoint: r.endpoint };
    return {
      ok: false,
      reason: 'malformed',
      message: `${method} on ${r.endpoint}: ${checked.problem}`,
      endpoint: r.endpoint,
    };
  }

  const getEpochInfo = (): Promise<RpcResult<EpochInfo>> =>
    call(transport, 'getEpochInfo', [{ commitment }], checkEpochInfo);

  return {
    // agave answers "ok", or the error -32005 "Node is behind by N slots" (rpc/src/rpc.rs).
    getHealth: () =>
      call(transport, 'getHealth', [], (r) =>
        r === 'ok' ? ok(true as const) : problem(`answered ${show(r)}, not "ok"`),
      ),

    getSlot: (at = commitment) =>
      call(transport, 'getSlot', [{ commitment: at }], (r) =>
        isSlot(r) ? ok(r) : problem(`answered ${show(r)}, not a slot number`),
      ),

    getIdentity: () =>
      call(transport, 'getIdentity', [], (r) => {
        const identity = isRecord(r) ? r.identity : undefined;
        return typeof identity === 'string' && identity.length > 0
          ? ok(identity)
          : problem(`answered ${show(r)}, without an identity`);
      }),

    getVersion: () =>
      call(transport, 'getVersion', [], (r) => {
        const version = isRecord(r) ? r['solana-core'] : undefined;
        return typeof version === 'string'
          ? ok(version)
          : problem(`answered ${show(r)}, without a solana-core version`);
      }),

    getEpochInfo,

    // keepUnstakedDelinquents: an account that lost its stake still tells us whether it votes.
    getVoteAccount: (votePubkey) =>
      call(transport, 'getVoteAccounts', [{ votePubkey, commitment, keepUnstakedDelinquents: true }], (r) =>
        checkVoteAccounts(r, votePubkey),
      ),

    async getSlotAndVoteAccount(votePubkey) {
      const r = await transport.batch([
        { method: 'getSlot', params: [{ commitment }] },
        { method: 'getVoteAccounts', params: [{ votePubkey, commitment, keepUnstakedDelinquents: true }] },
      ]);
      if (!r.ok) return r;
      const [slot, accounts] = r.value;
      const malformed = (problem: string): RpcResult<SlotAndVoteAccount> => ({
        ok: false,
        reason: 'malformed',
        message: `getSlot+getVoteAccounts on ${r.endpoint}: ${problem}`,
        endpoint: r.endpoint,
      });
      if (!isSlot(slot)) return malformed(`getSlot answered ${show(slot)}, not a slot number`);
      const vote = checkVoteAccounts(accounts, votePubkey);
      if (!vote.ok) return malformed(vote.problem);
      return { ok: true, value: { slot, vote: vote.value }, endpoint: r.endpoint };
    },

    getAgGenesisCert: () => call(transport, 'getAgGenesisCert', [], checkGenesisCert),

    getFeature: (featureId) =>
      call(transport, 'getAccountInfo', [featureId, { encoding: 'base64', commitment }], checkFeatureAccount),

    async getConsensusSlots() {
      const r = await transport.batch([
        { method: 'getSlot', params: [{ commitment: 'processed' }] },
        { method: 'getSlot', params: [{ commitment: 'finalized' }] },
      ]);
      if (!r.ok) return r;
      const [processed, finalized] = r.value;
      if (!isSlot(processed) || !isSlot(finalized))
        return {
          ok: false,
          reason: 'malformed',
          message: `getSlot processed+finalized on ${r.endpoint}: answered ${show(processed)} and ${show(finalized)}, not slot numbers`,
          endpoint: r.endpoint,
        };
      return { ok: true, value: { processed, finalized }, endpoint: r.endpoint };
    },

    getClusterNodes: () =>
      call(transport, 'getClusterNodes', [], (r) => {
        try {
          return ok(fromClusterNodes(r));
        } catch (error) {
          return problem(error instanceof Error ? error.message : String(error));
        }
      }),

    async getLeaderSlots(identity) {
      const epoch = await getEpochInfo();
      if (!epoch.ok) return epoch;
      // The schedule is indexed from the epoch's first slot (agave rpc/src/rpc.rs
      // get_leader_schedule); both must come from one node, or an epoch boundary between two
      // nodes shifts every slot.
      const firstSlot = epoch.value.absoluteSlot - epoch.value.slotIndex;
      return call(transport.pin(epoch.endpoint), 'getLeaderSchedule', [null, { identity, commitment }], (r) =>
        checkLeaderSchedule(r, identity, firstSlot),
      );
    },

    pin: () => clientOver(transport.pin(), commitment),
    withDeadline: (timeoutMs) => clientOver(transport.withDeadline(timeoutMs), commitment),
  };
}

const checkEpochInfo: Check<EpochInfo> = (v) => {
  if (!isRecord(v) || !isSlot(v.epoch) || !isSlot(v.absoluteSlot) || !isSlot(v.slotIndex) || !isSlot(v.slotsInEpoch)) {
    return problem('answered without epoch, absoluteSlot, slotIndex and slotsInEpoch');
  }
  return ok({ epoch: v.epoch, absoluteSlot: v.absoluteSlot, slotIndex: v.slotIndex, slotsInEpoch: v.slotsInEpoch });
};

function checkVoteAccounts(v: unknown, votePubkey: string): ReturnType<Check<VoteAccountInfo | undefined>> {
  if (!isRecord(v) || !Array.isArray(v.current) || !Array.isArray(v.delinquent))
    return problem('answered without current and delinquent lists');
  for (const [list, delinquent] of [
    [v.current, false],
    [v.delinquent, true],
  ] as const) {
    for (const entry of list) {
      if (isRecord(entry) && entry.votePubkey === votePubkey) {
        if (!isSlot(entry.lastVote) || typeof entry.nodePubkey !== 'string')
          return problem(`entry for ${votePubkey} has no lastVote or nodePubkey`);
        return ok({
          votePubkey,
          nodePubkey: entry.nodePubkey,
          lastVote: entry.lastVote,
          rootSlot: isSlot(entry.rootSlot) ? entry.rootSlot : 0,
          delinquent,
          activatedStake: typeof entry.activatedStake === 'number' ? entry.activatedStake : 0,
          ...(typeof entry.epochVoteAccount === 'boolean' ? { epochVoteAccount: entry.epochVoteAccount } : {}),
        });
      }
    }
  }
  return ok(undefined);
}

// agave's JSON of its genesis certificate: {block: {slot, block_id: [32 numbers]}, signature: {...}}.
const checkGenesisCert: Check<AlpenglowGenesis | null> = (v) => {
  if (v === null) return ok(null);
  const block = isRecord(v) ? v.block : undefined;
  const slot = isRecord(block) ? block.slot : undefined;
  const id = isRecord(block) ? block.block_id : undefined;
  if (!isSlot(slot) || !Array.isArray(id) || id.length !== 32 || !id.every((b) => isSlot(b) && b <= 255))
    return problem(`answered ${show(v)}, not null or a certificate with block.slot and a 32-byte block.block_id`);
  return ok(alpenglowGenesisOf(slot, id));
};

const checkFeatureAccount: Check<FeatureReading> = (v) => {
  if (!isRecord(v) || !('value' in v)) return problem(`answered ${show(v)}, without a value`);
  if (v.value === null) return ok({ kind: 'absent' });
  const data = isRecord(v.value) ? v.value.data : undefined;
  if (!Array.isArray(data) || typeof data[0] !== 'string' || data[1] !== 'base64')
    return problem(`answered ${show(v.value)}, without base64 data`);
  const feature = decodeFeatureAccount(Buffer.from(data[0], 'base64'));
  return typeof feature === 'string' ? problem(feature) : ok(feature);
};

function checkLeaderSchedule(v: unknown, identity: string, firstSlot: number): ReturnType<Check<readonly number[]>> {
  if (v === null) return ok([]);
  if (!isRecord(v)) return problem('answered with something other than an object');
  const indexes = v[identity];
  if (indexes === undefined) return ok([]);
  if (!Array.isArray(indexes) || !indexes.every(isSlot))
    return problem(`entry for ${identity} is not a list of slot indexes`);
  return ok(indexes.map((i) => firstSlot + i).sort((a, b) => a - b));
}

function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

function problem(text: string): { readonly ok: false; readonly problem: string } {
  return { ok: false, problem: text };
}

/** A slot, epoch or index: a safe integer ≥ 0. */
function isSlot(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A result, shortened for a message. */
function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 200);
}
