/**
 * JSON-RPC 2.0 over HTTP POST to an ordered list of endpoints, with one deadline per call and
 * the choice rule that `createSolanaRpc` documents: a call starts at the preferred endpoint
 * (the one that last answered, at first the first listed), and a transport failure moves it
 * on to the next endpoint within the same deadline. A JSON-RPC response, a result or an
 * error object, is the endpoint's answer and ends the call.
 */
import type { RpcFailure, RpcFailureReason, RpcResult } from './rpc-result';

/** Options of {@link createJsonRpcTransport}. */
export interface JsonRpcTransportOptions {
  /** In order of preference; never empty. */
  readonly endpoints: Endpoints;
  /** The one deadline of a call, over every endpoint it tries, body included. */
  readonly timeoutMs: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Sends JSON-RPC calls; failures come back as values, the raw `result` is the caller's to check. */
export interface JsonRpcTransport {
  /** One call, moving on past endpoints that fail in transport; the raw result of the one that answered. */
  call(method: string, params: readonly unknown[]): Promise<RpcResult<unknown>>;
  /**
   * A transport whose calls all go to `endpoint` (default: the one preferred now), never
   * moving on; what they learn still moves the preference of this one.
   */
  pin(endpoint?: string): JsonRpcTransport;
  /** The same endpoints and preference, with another deadline per call. */
  withDeadline(timeoutMs: number): JsonRpcTransport;
}

/** A non-empty list of endpoint URLs. */
type Endpoints = readonly [string, ...string[]];

/** What one endpoint did with one call: `answered` when it sent a JSON-RPC response (a result or an error object). */
type Exchange =
  | { readonly answered: true; readonly result: RpcResult<unknown> }
  | { readonly answered: false; readonly result: RpcFailure };

/** Creates the transport over `options.endpoints`, preferring the first until another answers. */
export function createJsonRpcTransport(options: JsonRpcTransportOptions): JsonRpcTransport {
  const { endpoints } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  let preferred = 0;
  let nextId = 1;

  const answered = (endpoint: string): void => {
    const index = endpoints.indexOf(endpoint);
    if (index >= 0) preferred = index;
  };
  // Only a failure of the preferred endpoint moves the preference: a call that started before
  // another one moved it must not move it again, past an endpoint nobody has tried.
  const failed = (endpoint: string): void => {
    if (endpoints[preferred] === endpoint) preferred = (preferred + 1) % endpoints.length;
  };

  async function exchange(
    endpoint: string,
    method: string,
    params: readonly unknown[],
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Exchange> {
    const fail = (reason: RpcFailureReason, detail: string, code?: number): RpcFailure => ({
      ok: false,
      reason,
      message: `${method} on ${endpoint}: ${detail}`,
      endpoint,
      ...(code === undefined ? {} : { code }),
    });
    let status: number;
    let statusOk: boolean;
    let text: string;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
        signal,
      });
      status = response.status;
      statusOk = response.ok;
      text = await response.text();
    } catch (error) {
      if (signal.aborted || isAbort(error))
        return { answered: false, result: fail('timeout', `no answer within ${timeoutMs} ms`) };
      return { answered: false, result: fail('unreachable', `unreachable (${describeFetchError(error)})`) };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { answered: false, result: fail('malformed', `HTTP ${status} with a body that is not JSON`) };
    }
    if (!isRecord(body))
      return {
        answered: false,
        result: fail('malformed', `HTTP ${status} with a body that is not a JSON-RPC response`),
      };
    if (isRecord(body.error)) {
      const code = typeof body.error.code === 'number' ? body.error.code : undefined;
      const said = typeof body.error.message === 'string' ? body.error.message : JSON.stringify(body.error);
      return { answered: true, result: fail('rpc_error', code === undefined ? said : `${said} (code ${code})`, code) };
    }
    // A proxy or load balancer in front of the node (429, 502, 503) said no; the node did not.
    if (!statusOk) return { answered: false, result: fail('rpc_error', `HTTP ${status} without a JSON-RPC error`) };
    if (!('result' in body))
      return { answered: false, result: fail('malformed', `HTTP ${status} with neither result nor error`) };
    return { answered: true, result: { ok: true, value: body.result, endpoint } };
  }

  function over(order: () => Endpoints, timeoutMs: number): JsonRpcTransport {
    return {
      async call(method, params) {
        const signal = AbortSignal.timeout(timeoutMs);
        const attempt = async (
          endpoint: string,
          later: readonly string[],
          earlier: string | undefined,
        ): Promise<RpcResult<unknown>> => {
          const tried = await exchange(endpoint, method, params, signal, timeoutMs);
          if (tried.answered) {
            answered(endpoint);
            return tried.result;
          }
          failed(endpoint);
          const failure =
            earlier === undefined ? tried.result : { ...tried.result, message: `${earlier}; ${tried.result.message}` };
          const [next, ...after] = later;
          if (next === undefined || signal.aborted) return failure;
          return attempt(next, after, failure.message);
        };
        const [first, ...rest] = order();
        return attempt(first, rest, undefined);
      },
      pin(endpoint = order()[0]) {
        return over(() => [endpoint], timeoutMs);
      },
      withDeadline(ms) {
        return over(order, ms);
      },
    };
  }

  return over(() => rotate(endpoints, preferred), options.timeoutMs);
}

/** `list` from `start` on, then the ones before it. */
function rotate(list: Endpoints, start: number): Endpoints {
  return [list[start] ?? list[0], ...list.slice(start + 1), ...list.slice(0, start)];
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function describeFetchError(error: unknown): string {
  // undici hides the socket error (ECONNREFUSED…) in `cause`.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
