/**
 * The one error body of every 4xx/5xx answer of the agent and the manager's control API,
 * and the registry of its codes. Codes are stable: a client may match on them; they are
 * never reused for a new meaning, and each is listed in docs/errors.md.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** `{ error: { code, message, details? }, timestamp }`. */
export const ErrorEnvelopeSchema = Type.Object({
  error: Type.Object({
    code: Type.String({ pattern: '^FAILOVER_[A-Z0-9_]+$' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
  timestamp: Type.Integer({ description: 'Unix time in seconds.' }),
});
/** The error body of every 4xx/5xx answer. */
export type ErrorEnvelope = Static<typeof ErrorEnvelopeSchema>;

/** Codes a server puts in the error envelope, with the HTTP status each goes with. */
export const WIRE_ERROR_CODES = {
  FAILOVER_AUTH_MISSING: { status: 401, meaning: 'The request has no x-failover-auth header.' },
  FAILOVER_AUTH_MALFORMED: { status: 401, meaning: 'The x-failover-auth header is not `v2 t=…,n=…,s=…`.' },
  FAILOVER_AUTH_OLD_VERSION: {
    status: 401,
    meaning: 'The x-failover-auth header is v1, which does not cover the node; the sender must be upgraded.',
  },
  FAILOVER_AUTH_SKEW: { status: 401, meaning: "The request's time is outside the allowed clock skew." },
  FAILOVER_AUTH_REPLAYED: { status: 401, meaning: 'The nonce was already used (or the replay cache is full).' },
  FAILOVER_AUTH_BAD_SIGNATURE: {
    status: 401,
    meaning: 'The signature does not match: wrong secret, or method, path or body changed.',
  },
  FAILOVER_IP_NOT_ALLOWED: { status: 403, meaning: 'The client IP is not in allowed_ips.' },
  // Not 421 Misdirected Request: fetch (undici) sends a request answered 421 again by itself,
  // and the second copy is a replay.
  FAILOVER_WRONG_NODE: {
    status: 412,
    meaning: 'The request names another node in x-failover-node, or none; nothing was done.',
  },
  FAILOVER_BAD_REQUEST: {
    status: 400,
    meaning: 'The body is not JSON or does not match the schema; details lists each problem.',
  },
  FAILOVER_NOT_FOUND: { status: 404, meaning: 'No such endpoint.' },
  FAILOVER_METHOD_NOT_ALLOWED: { status: 405, meaning: 'The endpoint exists but not for this method.' },
  FAILOVER_BUSY: { status: 409, meaning: 'Another failover request is being executed; retry after it ends.' },
  FAILOVER_STALE_TERM: {
    status: 409,
    meaning:
      "The request's term is below the highest this agent has obeyed, or equal to it from another sender: a stale or second manager; nothing was done.",
  },
  FAILOVER_TOWER_STALE: {
    status: 422,
    meaning:
      "become_active refused: the newest tower ends below the request's min_tower_slot (the vote account voted later); nothing was changed.",
  },
  FAILOVER_VOTE_HISTORY_STALE: {
    status: 422,
    meaning:
      "become_active refused: the newest Alpenglow vote history ends below the request's min_vote_history_slot (the vote account voted later); the identity was not taken.",
  },
  FAILOVER_HOOK_REFUSED: {
    status: 422,
    meaning:
      'check_promote or become_active refused: the pre_promote hook, which must succeed, failed or timed out; nothing was changed. Not worth retrying: the hook is the operator asking for no promotion now.',
  },
  FAILOVER_PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body exceeds the size limit.' },
  FAILOVER_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is not application/json.' },
  FAILOVER_INTERNAL: { status: 500, meaning: 'An unexpected server error; the server log has the details.' },
  FAILOVER_UNAVAILABLE: { status: 503, meaning: 'The server is starting or stopping and cannot serve this yet.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A code of the wire error registry. */
export type WireErrorCode = keyof typeof WIRE_ERROR_CODES;

/** Builds an error envelope; `now` is Unix milliseconds, written as seconds like every wire timestamp. */
export function errorEnvelope(code: WireErrorCode, message: string, now: number, details?: unknown): ErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }) }, timestamp: Math.floor(now / 1000) };
}
