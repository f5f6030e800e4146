/**
 * Request authentication between manager and agents (and agent to agent): HMAC-SHA256 with
 * a shared secret. A request names the node it is for in one header and carries its
 * signature in another:
 *
 *     x-failover-node: <node name>
 *     x-failover-auth: v2 t=<unix ms>,n=<nonce>,s=<hex hmac>
 *
 * The MAC covers `v2`, method, path (with query), timestamp, nonce, the node and the SHA-256
 * of the body, each on its own line, so that no part can be moved to another request, nor
 * the request to another node: all agents share one secret, and the node in the MAC is what
 * keeps a request signed for one agent from being obeyed by the other. A request is accepted
 * within `skewMs` of the verifier's clock and at most once (replay cache). `v1`, which did
 * not cover the node, is refused. The secret is never part of any message or error.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ReplayCache } from './replay-cache';

/** Name of the authentication header. */
export const AUTH_HEADER = 'x-failover-auth';

/**
 * Name of the header that names the node a request is for (and, on an answer, the node that
 * answers). Sent with and without a secret: with `insecure_no_auth` it is the only check
 * that a request reached the node it was meant for.
 */
export const NODE_HEADER = 'x-failover-node';

/** Default accepted clock difference between signer and verifier: 30 s. */
export const DEFAULT_SKEW_MS = 30_000;

const HEADER_FORM = /^v2 t=([0-9]{1,16}),n=([A-Za-z0-9_-]{16,64}),s=([0-9a-f]{64})$/;
const OLD_VERSION = /^v1 t=/;

/**
 * The shared secret that signs requests: the bytes `loadSecretFile` read from
 * `auth_secret_file`. Bytes rather than text, so that a path or any other string cannot be
 * passed where the secret is meant.
 */
export type Secret = Uint8Array;

/** What a signature covers. */
export interface SignedParts {
  readonly secret: Secret;
  /** HTTP method, any case (`POST`). */
  readonly method: string;
  /** Path and query as sent on the request line (`/status`). */
  readonly path: string;
  /** The node the request is for, as in {@link NODE_HEADER}; empty when the sender does not know it yet. */
  readonly node: string;
  /** The exact body bytes; empty for a request without a body. */
  readonly body: string | Uint8Array;
}

/** The SHA-256 of `body`, hex; what a MAC covers of a body. */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function mac(parts: SignedParts, timestamp: number, nonce: string): string {
  const canonical = [
    'v2',
    parts.method.toUpperCase(),
    parts.path,
    String(timestamp),
    nonce,
    parts.node,
    bodyDigest(parts.body),
  ].join('\n');
  return createHmac('sha256', parts.secret).update(canonical).digest('hex');
}

/** A fresh random nonce (32 hex digits); the answer's MAC is bound to it. */
export function createNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Signs a request; returns the value of the {@link AUTH_HEADER} header. */
export function signRequest(parts: SignedParts & { readonly now: number; readonly nonce?: string }): string {
  const nonce = parts.nonce ?? createNonce();
  const timestamp = Math.floor(parts.now);
  return `v2 t=${timestamp},n=${nonce},s=${mac(parts, timestamp, nonce)}`;
}

/** Why a request was refused; each maps to a `FAILOVER_AUTH_*` wire code. */
export type VerifyFailure = 'missing' | 'malformed' | 'old-version' | 'skew' | 'replayed' | 'bad-signature';

/** The verdict on a request: accepted with its nonce and time (the answer's MAC is bound to the nonce), or why not. */
export type VerifyResult =
  | { readonly ok: true; readonly nonce: string; readonly timestamp: number }
  | { readonly ok: false; readonly reason: VerifyFailure };

/** Inputs of {@link verifyRequest}. */
export interface VerifyInput extends SignedParts {
  /** The {@link AUTH_HEADER} value as received; `undefined` when absent. */
  readonly header: string | undefined;
  /** Verifier's time, Unix ms. */
  readonly now: number;
  /** @default 30000 */
  readonly skewMs?: number;
  /** Where used nonces are remembered. */
  readonly replayCache: ReplayCache;
}

/**
 * Verifies a signed request against the node it names (`node`); whether that is the
 * verifier's own node is the caller's check. The signature is checked (in constant time)
 * before the nonce is remembered, so unsigned junk cannot fill the replay cache.
 */
export function verifyRequest(input: VerifyInput): VerifyResult {
  if (input.header === undefined || input.header === '') return { ok: false, reason: 'missing' };
  const value = input.header.trim();
  const match = HEADER_FORM.exec(value);
  if (match === null) return { ok: false, reason: OLD_VERSION.test(value) ? 'old-version' : 'malformed' };
  const timestamp = Number(match[1]);
  const nonce = match[2] ?? '';
  const skewMs = input.skewMs ?? DEFAULT_SKEW_MS;
  if (Math.abs(input.now - timestamp) > skewMs) return { ok: false, reason: 'skew' };
  const expected = Buffer.from(mac(input, timestamp, nonce), 'hex');
  const given = Buffer.from(match[3] ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad-signature' };
  if (!input.replayCache.remember(nonce, timestamp + skewMs, input.now)) return { ok: false, reason: 'replayed' };
  return { ok: true, nonce, timestamp };
}

/** The wire error code for a verification failure. */
export function verifyFailureCode(
  reason: VerifyFailure,
):
  | 'FAILOVER_AUTH_MISSING'
  | 'FAILOVER_AUTH_MALFORMED'
  | 'FAILOVER_AUTH_OLD_VERSION'
  | 'FAILOVER_AUTH_SKEW'
  | 'FAILOVER_AUTH_REPLAYED'
  | 'FAILOVER_AUTH_BAD_SIGNATURE' {
  switch (reason) {
    case 'missing':
      return 'FAILOVER_AUTH_MISSING';
    case 'malformed':
      return 'FAILOVER_AUTH_MALFORMED';
    case 'old-version':
      return 'FAILOVER_AUTH_OLD_VERSION';
    case 'skew':
      return 'FAILOVER_AUTH_SKEW';
    case 'replayed':
      return 'FAILOVER_AUTH_REPLAYED';
    case 'bad-signature':
      return 'FAILOVER_AUTH_BAD_SIGNATURE';
  }
}
