import type { IncomingMessage, ServerResponse } from 'node:http';

/** A JSON-RPC error the handler returns on purpose (method's own error, e.g. node unhealthy). */
export class RpcFailure extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** Answers one call: a result value (or a promise of one), or throws RpcFailure. */
export type RpcHandler = (method: string, params: unknown[]) => unknown;

interface Reply {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function answer(handler: RpcHandler, call: unknown): Promise<Reply> {
  const request = call as { id?: unknown; method?: unknown; params?: unknown; jsonrpc?: unknown };
  const id = request?.id ?? null;
  if (
    typeof request !== 'object' ||
    request === null ||
    request.jsonrpc !== '2.0' ||
    typeof request.method !== 'string'
  ) {
    return { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid request' } };
  }
  const params = Array.isArray(request.params) ? request.params : request.params === undefined ? [] : [request.params];
  try {
    return { jsonrpc: '2.0', id, result: await handler(request.method, params) };
  } catch (err) {
    if (err instanceof RpcFailure) {
      const error =
        err.data === undefined
          ? { code: err.rpcCode, message: err.message }
          : { code: err.rpcCode, message: err.message, data: err.data };
      return { jsonrpc: '2.0', id, error };
    }
    return { jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error: ${(err as Error).message}` } };
  }
}

/** An RPC failure for a malformed parameter, worded as jsonrpc-core does. */
export function invalidParams(detail: string): RpcFailure {
  return new RpcFailure(-32602, `Invalid params: ${detail}`);
}

/** The JSON-RPC "Method not found" failure, as agave's jsonrpc-core words it. */
export function methodNotFound(): RpcFailure {
  return new RpcFailure(-32601, 'Method not found');
}

/** Reads a request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves JSON-RPC 2.0 (single calls and batches) over an HTTP POST, as Solana RPC does. */
export async function serveJsonRpc(handler: RpcHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const reply =
    body === undefined
      ? { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }
      : Array.isArray(body)
        ? await Promise.all(body.map((call) => answer(handler, call)))
        : await answer(handler, body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(reply));
}

/** Calls a JSON-RPC method over HTTP; resolves to the result or rejects with RpcFailure. */
export async function callJsonRpc(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5000,
): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const reply = (await response.json()) as Reply;
  if (reply.error) throw new RpcFailure(reply.error.code, reply.error.message, reply.error.data);
  return reply.result;
}

/** The commitment named in a config object parameter (`{ commitment }`), if any. */
export function commitmentOf(params: unknown[], index: number): string | undefined {
  const config = params[index];
  if (config && typeof config === 'object' && 'commitment' in config) {
    return String((config as { commitment: unknown }).commitment);
  }
  return undefined;
}

/**
 * The slot seen at a commitment level, from the processed tip. Real RPC defaults to finalized;
 * confirmed trails by a slot; finalized is `finalized` when the caller knows it (Alpenglow, a
 * standstill), else the 32 slots a tower vote needs to root.
 */
export function slotAtCommitment(processed: number, commitment: string | undefined, finalized?: number): number {
  switch (commitment ?? 'finalized') {
    case 'processed':
    case 'recent':
    case 'single':
      return processed;
    case 'confirmed':
    case 'singleGossip':
      return Math.max(0, processed - 1);
    case 'finalized':
    case 'max':
    case 'root':
      return finalized ?? Math.max(0, processed - 32);
    default:
      throw new RpcFailure(-32602, `Invalid params: unknown variant \`${commitment}\``);
  }
}
