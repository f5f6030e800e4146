/**
 * A typed client of the agent API v1. Each call names the node it is for and is signed (when
 * a secret is given), bounded by its own timeout, and its answer's signature and schema are
 * checked. Failures are values that say what happened, because the manager decides
 * differently on each: `unreachable` (nothing listens, no route, DNS), `timeout` (connected or
 * not, no answer in time: the agent may be hung), `rejected` (the agent answered 4xx/5xx),
 * `invalid-response` (an answer that is not what v1 promises), `forged-response` (an answer
 * without the agent's signature: someone on the path wrote it).
 *
 * The node: the configured one, or else the one the agent names in its first signed answer.
 * Not knowing it yet, the client names none; the agent refuses such a request (412) without
 * acting and names itself in its signed answer; the client keeps that name for its life and
 * sends the request again. A later answer from another node is never taken as a new name.
 */
import type { Clock } from '@failover/core';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AUTH_HEADER, NODE_HEADER, createNonce, signRequest } from '../auth/request-auth';
import type { Secret } from '../auth/request-auth';
import { RESPONSE_AUTH_HEADER, verifyResponse } from '../auth/response-auth';
import { AgentClientOptionsError } from '../errors';
import { readCappedText } from './read-body';
import { systemClock } from '../system-clock';
import { ErrorEnvelopeSchema } from '../wire/error-envelope';
import type { CarriedTower } from '../wire/agent-api';
import { AGENT_ROUTES } from '../wire/routes';
import type { AgentRouteName } from '../wire/routes';
import { NODE_NAME_PATTERN, type FailoverAction } from '../wire/agent-api';

/** Options of {@link createAgentClient}. */
export interface AgentClientOptions {
  /** Agent base URL, e.g. `http://10.0.0.1:8080` (a trailing slash is fine). */
  readonly baseUrl: string;
  /** Shared secret; without it requests go unsigned (only for `insecure_no_auth` setups). */
  readonly secret?: Secret;
  /** Time limit of each call, including reading the body. */
  readonly timeoutMs: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Time of signatures and wire timestamps. @default systemClock */
  readonly clock?: Clock;
  /**
   * The node the agent at `baseUrl` is (its `node_name`). @default learned from the agent's
   * first signed answer, and kept for the client's life
   */
  readonly node?: string;
  /**
   * The sender's term and id, stamped on every role- or tower-changing request (`/failover`,
   * `/shutdown`) and on `/status`, so that an agent obeys only the highest term and can tell
   * two senders apart. @default none: changing requests go without, and agents refuse them
   */
  readonly fence?: () => { readonly term: number; readonly sender: string };
}

/**
 * Largest answer body read from an agent, 1 MiB; its largest answer (`/status`) is under 2 KiB.
 * A longer body is cut off there and reported as `invalid-response`.
 */
export const AGENT_RESPONSE_BODY_LIMIT = 1_048_576;

/** Per-call options. */
export interface CallOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
  /** Aborts the call early (e.g. on shutdown); reported as `timeout`. */
  readonly signal?: AbortSignal;
}

/** Why a call failed. */
export type AgentCallError =
  | { readonly kind: 'unreachable'; readonly url: string; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout'; readonly url: string; readonly timeoutMs: number; readonly message: string }
  | {
      readonly kind: 'rejected';
      readonly url: string;
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly details?: unknown;
    }
  | { readonly kind: 'invalid-response'; readonly url: string; readonly status: number; readonly message: string }
  /** The answer lacks the agent's signature, or it does not verify: not the agent's answer. */
  | { readonly kind: 'forged-response'; readonly url: string; readonly status: number; readonly message: string };

/** The outcome of a call: the validated response, or why there is none. */
export type AgentCallResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AgentCallError };

type Response<N extends AgentRouteName> = Static<(typeof AGENT_ROUTES)[N]['response']>;

/** A client of one agent. Wire timestamps are filled in from `now`. */
export interface AgentClient {
  /** `POST /status`; `lastReceivedTimestamp` echoes the last answer's `timestamp`. */
  status(
    request?: { lastReceivedTimestamp?: number },
    options?: CallOptions,
  ): Promise<AgentCallResult<Response<'status'>>>;
  /**
   * `POST /watch`: answers once the validator process is found running or not other than
   * `processRunning` says, or after `waitMs`. The call's time limit is `waitMs` plus the
   * client's `timeoutMs` unless `options.timeoutMs` says otherwise.
   */
  watch(
    request: { processRunning: boolean; waitMs: number },
    options?: CallOptions,
  ): Promise<AgentCallResult<Response<'watch'>>>;
  /** `POST /peer-status`, from the other agent's watchdog. */
  peerStatus(
    request: { fromValidator: string },
    options?: CallOptions,
  ): Promise<AgentCallResult<Response<'peerStatus'>>>;
  /** `POST /failover`. A `success: false` answer is a value, not an error: read `message`. */
  failover(
    request: {
      action: FailoverAction;
      reason: string;
      skipIdentity?: boolean;
      minTowerSlot?: number;
      minVoteHistorySlot?: number;
      prePromoteChecked?: boolean;
      /** `become_active`: a demoted node's `final_tower`, sent as `carried_tower`. */
      carriedTower?: CarriedTower;
    },
    options?: CallOptions,
  ): Promise<AgentCallResult<Response<'failover'>>>;
  /** `POST /shutdown`. */
  shutdown(request: { reason: string }, options?: CallOptions): Promise<AgentCallResult<Response<'shutdown'>>>;
  /** `GET /identity`. */
  identity(options?: CallOptions): Promise<AgentCallResult<Response<'identity'>>>;
  /** `GET /health`; also accepts the Go agent's plain-text `OK`. */
  health(options?: CallOptions): Promise<AgentCallResult<Response<'health'>>>;
  /** The node this client addresses: the configured one, the one learned, or undefined before either. */
  node(): string | undefined;
}

/**
 * Refusals an agent gives before it has authenticated the request (a bad signature, an
 * address not allowed, a body it cannot read): it cannot sign them. They are taken unsigned,
 * as `rejected`, and never teach the node.
 */
const UNSIGNED_REFUSALS = new Set([400, 401, 403, 404, 405, 413, 415]);

const NODE_NAME = new RegExp(NODE_NAME_PATTERN);

/** One attempt's outcome: the result, or the node just learned from a 412 to a request that named none. */
type Attempt<T> = { readonly result: AgentCallResult<T> } | { readonly retryAs: string };

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function schemaProblems(schema: TSchema, value: unknown): string {
  return [...Value.Errors(schema, value)]
    .slice(0, 5)
    .map((error) => `${error.path || '/'}: ${error.message}`)
    .join('; ');
}

/** Creates a client of the agent at `baseUrl`. */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new AgentClientOptionsError('baseUrl', `"${options.baseUrl}" is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new AgentClientOptionsError('baseUrl', `must be http or https, got ${base.protocol}`);
  }
  if (!(options.timeoutMs > 0))
    throw new AgentClientOptionsError('timeoutMs', 'must be a positive number of milliseconds');
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const prefix = base.href.replace(/\/$/, '');

  let node = options.node;

  async function call<N extends AgentRouteName>(
    name: N,
    body: object | undefined,
    callOptions: CallOptions = {},
  ): Promise<AgentCallResult<Response<N>>> {
    const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callOptions.signal === undefined ? timeout : AbortSignal.any([timeout, callOptions.signal]);
    // A request that named no node is refused without effect; the second names the node learned.
    for (let named = node; ;) {
      const outcome = await attempt(name, body, named, { signal, timeout, timeoutMs });
      if ('result' in outcome) return outcome.result;
      named = outcome.retryAs;
    }
  }

  async function attempt<N extends AgentRouteName>(
    name: N,
    body: object | undefined,
    named: string | undefined,
    limits: { readonly signal: AbortSignal; readonly timeout: AbortSignal; readonly timeoutMs: number },
  ): Promise<Attempt<Response<N>>> {
    const route = AGENT_ROUTES[name];
    const method = route.methods[0];
    const url = `${prefix}${route.path}`;
    const { signal, timeout, timeoutMs } = limits;
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const nonce = createNonce();
    if (route.auth && named !== undefined) headers[NODE_HEADER] = named;
    if (options.secret !== undefined && route.auth) {
      headers[AUTH_HEADER] = signRequest({
        secret: options.secret,
        method,
        path: new URL(url).pathname,
        node: named ?? '',
        body: text,
        now: clock.now(),
        nonce,
      });
    }
    let status: number;
    let responseText: string;
    let contentType: string;
    let answeredBy: string | undefined;
    let signature: string | undefined;
    try {
      const response = await doFetch(url, { method, headers, ...(body === undefined ? {} : { body: text }), signal });
      status = response.status;
      contentType = response.headers.get('content-type') ?? '';
      answeredBy = response.headers.get(NODE_HEADER) ?? undefined;
      signature = response.headers.get(RESPONSE_AUTH_HEADER) ?? undefined;
      const read = await readCappedText(response, AGENT_RESPONSE_BODY_LIMIT);
      if (read === undefined) {
        const who = named === undefined ? url : `${url} (node ${named})`;
        const message = `the HTTP ${status} answer from ${who} is larger than ${AGENT_RESPONSE_BODY_LIMIT} bytes; stopped reading it there`;
        return { result: { ok: false, error: { kind: 'invalid-response', url, status, message } } };
      }
      responseText = read;
    } catch (error) {
      if (signal.aborted) {
        const message = timeout.aborted ? `no answer from ${url} within ${timeoutMs} ms` : `call to ${url} was aborted`;
        return { result: { ok: false, error: { kind: 'timeout', url, timeoutMs, message } } };
      }
      // ECONNREFUSED, EHOSTUNREACH, ENOTFOUND, ECONNRESET, TLS failures: no answer came back.
      const code = errorCode(error) ?? 'UNKNOWN';
      return {
        result: { ok: false, error: { kind: 'unreachable', url, code, message: `cannot reach ${url} (${code})` } },
      };
    }
    if (route.auth) {
      const unsigned = options.secret !== undefined && signature === undefined && UNSIGNED_REFUSALS.has(status);
      if (options.secret !== undefined && !unsigned) {
        const verdict = verifyResponse({
          secret: options.secret,
          header: signature,
          status,
          nonce,
          node: answeredBy ?? '',
          body: responseText,
        });
        if (!verdict.ok) {
          const why = verdict.reason === 'missing' ? 'carries no signature' : 'has a signature that does not verify';
          return {
            result: {
              ok: false,
              error: { kind: 'forged-response', url, status, message: `the HTTP ${status} answer from ${url} ${why}` },
            },
          };
        }
      }
      // Unsigned answers (insecure_no_auth) are all there is to learn from; a refusal the agent
      // could not sign never teaches anything.
      if (!unsigned && answeredBy !== undefined && NODE_NAME.test(answeredBy)) {
        if (node === undefined) node = answeredBy;
        if (named === undefined && status === 412 && answeredBy === node) return { retryAs: node };
        if (answeredBy !== node && status !== 412) {
          const message = `${url} answered as node ${answeredBy}, not ${node}`;
          return { result: { ok: false, error: { kind: 'invalid-response', url, status, message } } };
        }
      }
    }
    return { result: judgeAnswer(name, url, status, contentType, responseText) };
  }

  function judgeAnswer<N extends AgentRouteName>(
    name: N,
    url: string,
    status: number,
    contentType: string,
    responseText: string,
  ): AgentCallResult<Response<N>> {
    const route = AGENT_ROUTES[name];
    let json: unknown;
    try {
      json = JSON.parse(responseText);
    } catch {
      if (name === 'health' && status === 200 && responseText.trim() === 'OK') {
        return { ok: true, value: { status: 'ok' } as Response<N> };
      }
      json = undefined;
    }
    if (status >= 400) {
      if (Value.Check(ErrorEnvelopeSchema, json)) {
        const { code, message, details } = json.error;
        return {
          ok: false,
          error: { kind: 'rejected', url, status, code, message, ...(details === undefined ? {} : { details }) },
        };
      }
      const excerpt = responseText.slice(0, 200).trim();
      return {
        ok: false,
        error: {
          kind: 'rejected',
          url,
          status,
          code: 'FAILOVER_HTTP_ERROR',
          message: `HTTP ${status}${excerpt === '' ? '' : `: ${excerpt}`}`,
        },
      };
    }
    if (json === undefined) {
      return {
        ok: false,
        error: {
          kind: 'invalid-response',
          url,
          status,
          message: `HTTP ${status} with a body that is not JSON (${contentType || 'no content type'})`,
        },
      };
    }
    if (!Value.Check(route.response, json)) {
      return {
        ok: false,
        error: {
          kind: 'invalid-response',
          url,
          status,
          message: `answer does not match API v1: ${schemaProblems(route.response, json)}`,
        },
      };
    }
    return { ok: true, value: json as Response<N> };
  }

  const seconds = (): number => Math.floor(clock.now() / 1000);
  const term = (): { term?: number; sender?: string } => {
    const claim = options.fence?.();
    return claim === undefined ? {} : { term: claim.term, sender: claim.sender };
  };

  return {
    status: (request = {}, callOptions) =>
      call(
        'status',
        {
          timestamp: seconds(),
          ...(request.lastReceivedTimestamp === undefined
            ? {}
            : { last_received_timestamp: request.lastReceivedTimestamp }),
          ...term(),
        },
        callOptions,
      ),
    watch: (request, callOptions) =>
      call(
        'watch',
        { timestamp: seconds(), process_running: request.processRunning, wait_ms: request.waitMs },
        { timeoutMs: request.waitMs + options.timeoutMs, ...callOptions },
      ),
    peerStatus: (request, callOptions) =>
      call('peerStatus', { from_validator: request.fromValidator, timestamp: seconds() }, callOptions),
    failover: (request, callOptions) =>
      call(
        'failover',
        {
          action: request.action,
          reason: request.reason,
          ...(request.skipIdentity === undefined ? {} : { skip_identity: request.skipIdentity }),
          ...(request.minTowerSlot === undefined ? {} : { min_tower_slot: request.minTowerSlot }),
          ...(request.minVoteHistorySlot === undefined ? {} : { min_vote_history_slot: request.minVoteHistorySlot }),
          ...(request.prePromoteChecked === undefined ? {} : { pre_promote_checked: request.prePromoteChecked }),
          ...(request.carriedTower === undefined ? {} : { carried_tower: request.carriedTower }),
          timestamp: seconds(),
          ...term(),
        },
        callOptions,
      ),
    shutdown: (request, callOptions) =>
      call('shutdown', { reason: request.reason, timestamp: seconds(), ...term() }, callOptions),
    identity: (callOptions) => call('identity', undefined, callOptions),
    health: (callOptions) => call('health', undefined, callOptions),
    node: () => node,
  };
}
