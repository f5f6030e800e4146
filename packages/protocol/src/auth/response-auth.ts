/**
 * Answers are signed too: whoever sits on the path could otherwise forge a `/status` that says
 * "process not running", or a refusal that makes a manager stand down. A server that has
 * authenticated a request signs its answer in one header:
 *
 *     x-failover-response-auth: v2 s=<hex hmac>
 *
 * The MAC covers `v2 response`, the HTTP status, the request's nonce, the answering node (its
 * `x-failover-node` header) and the SHA-256 of the body. The nonce binds the answer to the one
 * request the client sent, so an answer cannot be replayed to another request, nor one node's
 * answer passed off as the other's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { bodyDigest, type Secret } from './request-auth';

/** Name of the answer's signature header. */
export const RESPONSE_AUTH_HEADER = 'x-failover-response-auth';

const HEADER_FORM = /^v2 s=([0-9a-f]{64})$/;

/** What an answer's signature covers. */
export interface SignedResponse {
  readonly secret: Secret;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The nonce of the request answered. */
  readonly nonce: string;
  /** The answering node, as in its `x-failover-node` header. */
  readonly node: string;
  /** The exact body bytes. */
  readonly body: string | Uint8Array;
}

function mac(parts: SignedResponse): string {
  const canonical = ['v2 response', String(parts.status), parts.nonce, parts.node, bodyDigest(parts.body)].join('\n');
  return createHmac('sha256', parts.secret).update(canonical).digest('hex');
}

/** Signs an answer; returns the value of the {@link RESPONSE_AUTH_HEADER} header. */
export function signResponse(parts: SignedResponse): string {
  return `v2 s=${mac(parts)}`;
}

/** Why an answer's signature was not accepted. */
export type ResponseVerifyFailure = 'missing' | 'malformed' | 'bad-signature';

/** The verdict on an answer. */
export type ResponseVerifyResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: ResponseVerifyFailure };

/** Verifies an answer's signature (in constant time); `header` is undefined when absent. */
export function verifyResponse(parts: SignedResponse & { readonly header: string | undefined }): ResponseVerifyResult {
  if (parts.header === undefined || parts.header === '') return { ok: false, reason: 'missing' };
  const match = HEADER_FORM.exec(parts.header.trim());
  if (match === null) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(parts), 'hex');
  const given = Buffer.from(match[1] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? { ok: true }
    : { ok: false, reason: 'bad-signature' };
}
