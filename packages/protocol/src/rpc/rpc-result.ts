/**
 * What a Solana JSON-RPC call gives back: a value, or why there is none. A missing answer is
 * a value the caller must look at, never an exception and never a healthy reading.
 */

/**
 * Why a call produced no value: `timeout` (no answer within the call's deadline),
 * `unreachable` (no connection, or it broke), `rpc_error` (the node answered with a JSON-RPC
 * error, or an HTTP error status), `malformed` (an answer that is not JSON-RPC, or a result
 * of the wrong shape).
 */
export type RpcFailureReason = 'timeout' | 'unreachable' | 'rpc_error' | 'malformed';

/** A call that produced no value. */
export interface RpcFailure {
  readonly ok: false;
  readonly reason: RpcFailureReason;
  /**
   * Names the method and the endpoint, e.g. `getSlot on http://127.0.0.1:8899: no answer
   * within 2000 ms`; when several endpoints were tried, their failures in order, `; `-joined.
   */
  readonly message: string;
  /** The endpoint of the last failure (the only one, unless the call moved on). */
  readonly endpoint: string;
  /**
   * The JSON-RPC error code when the node answered with an error object, e.g. -32005 (node
   * behind or unhealthy) or -32601 (method not found).
   */
  readonly code?: number;
}

/** The outcome of one call: the checked value and the endpoint that gave it, or why there is none. */
export type RpcResult<T> = { readonly ok: true; readonly value: T; readonly endpoint: string } | RpcFailure;
