/**
 * JSON-RPC 2.0 over HTTP POST to an ordered list of endpoints, with one deadline per call and
 * the choice rule that `createSolanaRpc` documents: a call starts at the preferred endpoint
 * (the one that last answered, at first the first listed), and a transport failure moves it
 * on to the next endpoint within the same deadline. A JSON-RPC response, a result or an
 * error object, is the endpoint's answer and ends the call.
 */
import { readCappedText } from '../client/read-body';
import type { RpcFailure, RpcFailureReason, RpcResult } from './rpc-result';

/**
 * Largest JSON-RPC answer body read, 32 MiB: mainnet's `getClusterNodes`, the largest answer
 * asked for, is a few MiB. A longer body is cut off there and the answer is `malformed`.
 */
export const RPC_RESPONSE_BODY_LIMIT = 33_554_432;

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
   * Several calls in one JSON-RPC batch, one HTTP request, so that one endpoint (and behind a
   * load balancer, one backend) answers them all; the raw results in the order of `calls`. An
   * error object in any answer is the failure of the whole batch.
   */
  batch(calls: readonly BatchCall[]): Promise<RpcResult<readonly unknown[]>>;
  /**
   * A transport whose calls all go to `endpoint` (default: the one preferred now), never
   * moving on; what they learn still moves the preference of this one.
   */
  pin(endpoint?: string): JsonRpcTransport;
  /** The same endpoints and preference, with another deadline per call. */
  withDeadline(timeoutMs: number): JsonRpcTransport;
}

/** One call of a {@link JsonRpcTransport.batch}. */
export interface BatchCall {
  readonly method: string;
  readonly params: readonly unknown[];
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
    label: string,
    payload: unknown,
    signal: AbortSignal,
    timeoutMs: number,
    interpret: Interpret,
  ): Promise<Exchange> {
    const fail: Answer['fail'] = (reason, detail, code) => ({
      ok: false,
      reason,
      message: `${label} on ${endpoint}: ${detail}`,
      endpoint,
      ...(code === undefined ? {} : { code }),
    });
    let status: number;
    let statusOk: boolean;
    let text: string | undefined;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal,
      });
      status = response.status;
      statusOk = response.ok;
      text = await readCappedText(response, RPC_RESPONSE_BODY_LIMIT);
    } catch (error) {
      if (signal.aborted || isAbort(error))
        return { answered: false, result: fail('timeout', `no answer within ${timeoutMs} ms`) };
      return { answered: false, result: fail('unreachable', `unreachable (${describeFetchError(error)})`) };
    }
    if (text === undefined) {
      const detail = `HTTP ${status} with a body larger than ${RPC_RESPONSE_BODY_LIMIT} bytes; stopped reading it there`;
      return { answered: false, result: fail('malformed', detail) };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { answered: false, result: fail('malformed', `HTTP ${status} with a body that is not JSON`) };
    }
    return interpret({ body, status, statusOk, endpoint, fail });
  }

  function over(order: () => Endpoints, timeoutMs: number): JsonRpcTransport {
    /** Sends `payload` to the endpoints in order until one answers, within one deadline. */
    async function send<T>(label: string, payload: unknown, interpret: Interpret): Promise<RpcResult<T>> {
      const signal = AbortSignal.timeout(timeoutMs);
      const attempt = async (
        endpoint: string,
        later: readonly string[],
        earlier: string | undefined,
      ): Promise<RpcResult<T>> => {
        const tried = await exchange(endpoint, label, payload, signal, timeoutMs, interpret);
        if (tried.answered) {
          answered(endpoint);
          return tried.result as RpcResult<T>;
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
    }
    return {
      call(method, params) {
        return send(method, { jsonrpc: '2.0', id: nextId++, method, params }, single);
      },
      batch(calls) {
        const ids = calls.map(() => nextId++);
        const payload = calls.map((c, i) => ({ jsonrpc: '2.0', id: ids[i], method: c.method, params: c.params }));
        return send(calls.map((c) => c.method).join('+'), payload, (answer) => batched(answer, ids));
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

/** What an endpoint sent back, and how to report a failure of it. */
interface Answer {
  readonly body: unknown;
  readonly status: number;
  readonly statusOk: boolean;
  readonly endpoint: string;
  readonly fail: (reason: RpcFailureReason, detail: string, code?: number) => RpcFailure;
}

/** Reads a parsed body as the answer to one request. */
type Interpret = (answer: Answer) => Exchange;

/** One JSON-RPC response: a result or an error object is the endpoint's answer. */
function single({ body, status, statusOk, endpoint, fail }: Answer): Exchange {
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

/** A batch response: one response per id, in any order; the results in the order of `ids`. */
function batched(answer: Answer, ids: readonly number[]): Exchange {
  const { body, status, endpoint, fail } = answer;
  if (!Array.isArray(body)) {
    // A node that refuses batches answers with one error object.
    const one = single(answer);
    return one.answered && one.result.ok
      ? { answered: false, result: fail('malformed', `HTTP ${status} with one response to a batch`) }
      : one;
  }
  const values: unknown[] = [];
  for (const id of ids) {
    const found = body.find((entry) => isRecord(entry) && entry.id === id);
    if (found === undefined)
      return { answered: false, result: fail('malformed', `HTTP ${status} without the response of request ${id}`) };
    const one = single({ ...answer, body: found });
    if (!one.result.ok) return one;
    values.push(one.result.value);
  }
  return { answered: true, result: { ok: true, value: values, endpoint } };
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
