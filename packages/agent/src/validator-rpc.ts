/** Why a JSON-RPC call produced no value. */
export type RpcFailureKind = 'timeout' | 'unreachable' | 'rpc-error' | 'bad-response';

/** The outcome of one JSON-RPC call: a value, or why there is none. */
export type RpcResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: RpcFailureKind; readonly error: string };

/** One entry of `getClusterNodes`, the fields the agent reads. */
export interface ClusterNodeInfo {
  readonly pubkey: string;
  /** `ip:port` of the gossip socket, or null when the node advertises none. */
  readonly gossip: string | null;
}

/** The validator's own RPC on the same machine. */
export interface LocalRpc {
  getHealth(): Promise<RpcResult<true>>;
  getSlot(): Promise<RpcResult<number>>;
  getIdentity(): Promise<RpcResult<string>>;
  getVersion(): Promise<RpcResult<string>>;
}

/** The cluster's RPC: where gossip places the staked identity at start-up, and whether the cluster answers at all. */
export interface ClusterRpc {
  getClusterNodes(): Promise<RpcResult<ClusterNodeInfo[]>>;
  getSlot(): Promise<RpcResult<number>>;
}

/** Options of the RPC clients. */
export interface RpcOptions {
  readonly url: string;
  /**
   * Hard deadline per call; `/status` must answer even when the validator's RPC hangs, which
   * it does during start-up and under load. @default 2_000
   */
  readonly timeoutMs?: number;
}

type Validate<T> = (result: unknown) => T | undefined;

async function call<T>(options: RpcOptions, method: string, params: unknown[], validate: Validate<T>): Promise<RpcResult<T>> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.json();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { ok: false, kind: 'timeout', error: `${method} on ${options.url}: no answer within ${timeoutMs} ms` };
    }
    if (name === 'SyntaxError') return { ok: false, kind: 'bad-response', error: `${method} on ${options.url}: response is not JSON` };
    return { ok: false, kind: 'unreachable', error: `${method} on ${options.url}: ${describeFetchError(error)}` };
  }
  if (typeof body !== 'object' || body === null) {
    return { ok: false, kind: 'bad-response', error: `${method} on ${options.url}: HTTP ${response.status} with no JSON-RPC body` };
  }
  const envelope = body as { result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (envelope.error) {
    return { ok: false, kind: 'rpc-error', error: `${method}: ${String(envelope.error.message)} (code ${String(envelope.error.code)})` };
  }
  const value = validate(envelope.result);
  if (value === undefined) {
    return { ok: false, kind: 'bad-response', error: `${method} on ${options.url}: unexpected result ${JSON.stringify(envelope.result)?.slice(0, 200)}` };
  }
  return { ok: true, value };
}

function describeFetchError(error: unknown): string {
  // undici hides the socket error (ECONNREFUSED…) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const slot: Validate<number> = (r) => (typeof r === 'number' && Number.isSafeInteger(r) && r >= 0 ? r : undefined);

/** Creates the client of the validator's local RPC. */
export function createLocalRpc(options: RpcOptions): LocalRpc {
  return {
    // agave answers "ok", or the error -32005 "Node is behind by N slots" (rpc/src/rpc.rs).
    getHealth: () => call(options, 'getHealth', [], (r) => (r === 'ok' ? (true as const) : undefined)),
    // processed: the validator's own tip, the figure that shows it keeping up.
    getSlot: () => call(options, 'getSlot', [{ commitment: 'processed' }], slot),
    getIdentity: () =>
      call(options, 'getIdentity', [], (r) => {
        const identity = (r as { identity?: unknown } | null)?.identity;
        return typeof identity === 'string' && identity.length > 0 ? identity : undefined;
      }),
    getVersion: () =>
      call(options, 'getVersion', [], (r) => {
        const version = (r as { 'solana-core'?: unknown } | null)?.['solana-core'];
        return typeof version === 'string' ? version : undefined;
      }),
  };
}

/** Creates the client of the cluster RPC. */
export function createClusterRpc(options: RpcOptions): ClusterRpc {
  return {
    getSlot: () => call(options, 'getSlot', [], slot),
    getClusterNodes: () =>
      call(options, 'getClusterNodes', [], (r) => {
        if (!Array.isArray(r)) return undefined;
        const nodes: ClusterNodeInfo[] = [];
        for (const entry of r as Array<{ pubkey?: unknown; gossip?: unknown }>) {
          if (typeof entry?.pubkey !== 'string') return undefined;
          nodes.push({ pubkey: entry.pubkey, gossip: typeof entry.gossip === 'string' ? entry.gossip : null });
        }
        return nodes;
      }),
  };
}
