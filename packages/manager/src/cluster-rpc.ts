/** The manager's view of the cluster: the few JSON-RPC calls the failover rules need. */
import { fromClusterNodes } from '@failover/core';
import type { GossipNode } from '@failover/core';

/** Why an RPC call produced no answer; the monitor reports it and treats the data as missing. */
export type RpcFailureReason = 'unreachable' | 'timeout' | 'rpc_error' | 'malformed';

/** An RPC answer, or why there is none; a missing answer is never treated as a healthy one. */
export type RpcResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: RpcFailureReason; readonly message: string };

/** One vote account as `getVoteAccounts` reports it. */
export interface VoteAccountInfo {
  readonly votePubkey: string;
  readonly nodePubkey: string;
  readonly lastVote: number;
  readonly rootSlot: number;
  /** The RPC moves an account to `delinquent` when its last vote is 128+ slots behind. */
  readonly delinquent: boolean;
  readonly activatedStake: number;
}

/** Where the cluster is inside the current epoch, from `getEpochInfo`. */
export interface EpochInfo {
  readonly epoch: number;
  readonly absoluteSlot: number;
  readonly slotIndex: number;
  readonly slotsInEpoch: number;
}

/** The cluster RPC calls the manager uses; each call has its own deadline. */
export interface ClusterRpc {
  getSlot(): Promise<RpcResult<number>>;
  getEpochInfo(): Promise<RpcResult<EpochInfo>>;
  /** `undefined` when the cluster does not know the vote account at all. */
  getVoteAccount(votePubkey: string): Promise<RpcResult<VoteAccountInfo | undefined>>;
  /** The gossip table, parsed by core into the same shape as `solana gossip` lines. */
  getClusterNodes(): Promise<RpcResult<readonly GossipNode[]>>;
  /** Absolute leader slots of `identity` in the current epoch, ascending. */
  getLeaderSlots(identity: string): Promise<RpcResult<readonly number[]>>;
}

/** Options of {@link createClusterRpc}. */
export interface ClusterRpcOptions {
  readonly url: string;
  /** Deadline of one call; @default 5000 */
  readonly timeoutMs?: number;
  /** Commitment of slot and vote queries; @default 'processed' */
  readonly commitment?: 'processed' | 'confirmed' | 'finalized';
  /** Injected for tests; @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

type Json = unknown;

/** Builds a JSON-RPC client with a deadline on every call; failures come back as values. */
export function createClusterRpc(options: ClusterRpcOptions): ClusterRpc {
  const timeoutMs = options.timeoutMs ?? 5000;
  const commitment = options.commitment ?? 'processed';
  const doFetch = options.fetch ?? globalThis.fetch;
  let nextId = 1;

  async function call(method: string, params: readonly Json[]): Promise<RpcResult<Json>> {
    const id = nextId++;
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return fail('timeout', `${method} to ${options.url} got no answer within ${timeoutMs} ms`);
      }
      return fail('unreachable', `${method} to ${options.url} failed: ${describe(error)}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      return fail('malformed', `${method} answered HTTP ${response.status} with a body that is not JSON: ${describe(error)}`);
    }
    if (!isRecord(body)) return fail('malformed', `${method} answered with a non-object body`);
    if (isRecord(body.error)) {
      return fail('rpc_error', `${method} failed: ${String(body.error.message ?? JSON.stringify(body.error))}`);
    }
    if (!response.ok) return fail('rpc_error', `${method} answered HTTP ${response.status}`);
    if (!('result' in body)) return fail('malformed', `${method} answered without a result`);
    return { ok: true, value: body.result };
  }

  async function getEpochInfo(): Promise<RpcResult<EpochInfo>> {
    const r = await call('getEpochInfo', [{ commitment }]);
    if (!r.ok) return r;
    const v = r.value;
    if (!isRecord(v) || !isInt(v.epoch) || !isInt(v.absoluteSlot) || !isInt(v.slotIndex) || !isInt(v.slotsInEpoch)) {
      return fail('malformed', 'getEpochInfo answered without epoch, absoluteSlot, slotIndex and slotsInEpoch');
    }
    return ok({ epoch: v.epoch, absoluteSlot: v.absoluteSlot, slotIndex: v.slotIndex, slotsInEpoch: v.slotsInEpoch });
  }

  return {
    async getSlot() {
      const r = await call('getSlot', [{ commitment }]);
      if (!r.ok) return r;
      return isInt(r.value) ? ok(r.value) : fail('malformed', `getSlot answered ${JSON.stringify(r.value)}, not a slot number`);
    },

    getEpochInfo,

    async getVoteAccount(votePubkey) {
      // keepUnstakedDelinquents: an account that lost its stake still tells us whether it votes.
      const r = await call('getVoteAccounts', [{ votePubkey, commitment, keepUnstakedDelinquents: true }]);
      if (!r.ok) return r;
      const v = r.value;
      if (!isRecord(v) || !Array.isArray(v.current) || !Array.isArray(v.delinquent)) {
        return fail('malformed', 'getVoteAccounts answered without current and delinquent lists');
      }
      for (const [list, delinquent] of [[v.current, false], [v.delinquent, true]] as const) {
        for (const entry of list) {
          if (isRecord(entry) && entry.votePubkey === votePubkey) {
            if (!isInt(entry.lastVote) || typeof entry.nodePubkey !== 'string') {
              return fail('malformed', `getVoteAccounts entry for ${votePubkey} has no lastVote or nodePubkey`);
            }
            return ok({
              votePubkey,
              nodePubkey: entry.nodePubkey,
              lastVote: entry.lastVote,
              rootSlot: isInt(entry.rootSlot) ? entry.rootSlot : 0,
              delinquent,
              activatedStake: typeof entry.activatedStake === 'number' ? entry.activatedStake : 0,
            });
          }
        }
      }
      return ok(undefined);
    },

    async getClusterNodes() {
      const r = await call('getClusterNodes', []);
      if (!r.ok) return r;
      try {
        return ok(fromClusterNodes(r.value));
      } catch (error) {
        return fail('malformed', `getClusterNodes: ${describe(error)}`);
      }
    },

    async getLeaderSlots(identity) {
      const epoch = await getEpochInfo();
      if (!epoch.ok) return epoch;
      // The schedule is indexed from the epoch's first slot (agave rpc/src/rpc.rs get_leader_schedule).
      const r = await call('getLeaderSchedule', [null, { identity, commitment }]);
      if (!r.ok) return r;
      if (r.value === null) return ok([]);
      if (!isRecord(r.value)) return fail('malformed', 'getLeaderSchedule answered with something other than an object');
      const indexes = r.value[identity];
      if (indexes === undefined) return ok([]);
      if (!Array.isArray(indexes) || !indexes.every(isInt)) {
        return fail('malformed', `getLeaderSchedule entry for ${identity} is not a list of slot indexes`);
      }
      const firstSlot = epoch.value.absoluteSlot - epoch.value.slotIndex;
      return ok(indexes.map((i) => firstSlot + i).sort((a, b) => a - b));
    },
  };
}

function ok<T>(value: T): RpcResult<T> {
  return { ok: true, value };
}

function fail(reason: RpcFailureReason, message: string): { ok: false; reason: RpcFailureReason; message: string } {
  return { ok: false, reason, message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}
