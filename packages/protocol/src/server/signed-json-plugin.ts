/**
 * The shell both signed JSON servers share (the agent's API and the manager's control API):
 * JSON bodies only, each kept as its exact text for the signature; the HMAC and replay check
 * before a body is even parsed, so an unauthenticated caller neither learns anything about the
 * schemas nor makes the server walk what it sent;
 * a request that names another node refused before anything else looks at it; every answer
 * to an authenticated request signed; and every error, fastify's own included, answered in
 * the error envelope.
 */
import type { Clock } from '@failover/core';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseConfigText } from '../config/config-file';
import { createReplayCache } from '../auth/replay-cache';
import {
  AUTH_HEADER,
  DEFAULT_SKEW_MS,
  NODE_HEADER,
  verifyFailureCode,
  verifyRequest,
  type Secret,
} from '../auth/request-auth';
import { RESPONSE_AUTH_HEADER, signResponse } from '../auth/response-auth';
import { errorEnvelope, WIRE_ERROR_CODES, type WireErrorCode } from '../wire/error-envelope';
import type { WrongNodeDetails } from '../wire/agent-api';

/** Largest accepted request body, 16 KiB; the biggest legitimate one is under 2 KiB. */
export const SIGNED_JSON_BODY_LIMIT = 16_384;

/** How requests are authenticated: the shared secret, or nothing (`insecure_no_auth`). */
export type SignedJsonAuth = { readonly mode: 'secret'; readonly secret: Secret } | { readonly mode: 'insecure' };

/** A route served without a signature; a GET route's automatic HEAD route is open with it. */
export interface OpenRoute {
  readonly method: 'GET' | 'POST';
  /** The route's path as declared (`/health`). */
  readonly path: string;
}

/** Options of {@link signedJsonPlugin}. */
export interface SignedJsonPluginOptions {
  readonly auth: SignedJsonAuth;
  /**
   * The node this server is: a signed route answers only requests that name it in
   * `x-failover-node` (412 `FAILOVER_WRONG_NODE` otherwise), and every answer names it.
   */
  readonly node: string;
  /** Time for the skew check and the envelopes' timestamps. */
  readonly clock: Clock;
  /** Routes that need no signature. @default none */
  readonly openRoutes?: readonly OpenRoute[];
  /** Client addresses allowed on signed routes (`allowed_ips`); empty allows every address. @default [] */
  readonly allowedIps?: readonly string[];
  /** Accepted clock difference of signed requests. @default DEFAULT_SKEW_MS (30 s) */
  readonly skewMs?: number;
  /** Largest accepted body in bytes. @default SIGNED_JSON_BODY_LIMIT */
  readonly bodyLimit?: number;
  /** Names the server whose log an internal error points to: `internal error; see the <name> log`. */
  readonly serverName: string;
}

/** What the plugin verified of a signed request. */
export interface VerifiedAuth {
  /** The request's nonce; its answer's MAC is bound to it. */
  readonly nonce: string;
  /** The request's signed time, Unix ms. */
  readonly timestamp: number;
  /** Until when (Unix ms) the request's signature is accepted, so its nonce must be remembered. */
  readonly expiresAt: number;
}

declare module 'fastify' {
  interface FastifyReply {
    /** Answers with the error envelope of `code` and its HTTP status (added by `signedJsonPlugin`). */
    sendError(code: WireErrorCode, message: string, details?: unknown): FastifyReply;
  }
  interface FastifyRequest {
    /**
     * The verified signature of a signed route's request (added by `signedJsonPlugin`); null
     * on open routes and with `insecure_no_auth`.
     */
    failoverAuth: VerifiedAuth | null;
  }
}

/** Methods a route of ours can have; a path that has any of them answers the others 405. */
const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

async function signedJson(app: FastifyInstance, options: SignedJsonPluginOptions): Promise<void> {
  const { clock } = options;
  const bodyLimit = options.bodyLimit ?? SIGNED_JSON_BODY_LIMIT;
  const allowedIps = (options.allowedIps ?? []).map(normalizeIp);
  const replayCache = createReplayCache();
  // Each body's exact text, which the signature covers; parsed only once the request is authenticated.
  const bodies = new WeakMap<FastifyRequest, string>();
  // Requests whose signature held (or that passed without one under insecure_no_auth): only
  // their answers are signed, since only they prove who asked.
  const authenticated = new WeakSet<FastifyRequest>();

  app.decorateRequest('failoverAuth', null);

  app.decorateReply(
    'sendError',
    function sendError(this: FastifyReply, code: WireErrorCode, message: string, details?: unknown): FastifyReply {
      return this.code(WIRE_ERROR_CODES[code].status).send(errorEnvelope(code, message, clock.now(), details));
    },
  );

  // JSON is the only body type; any other is refused 415 before anything else looks at it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    bodies.set(request, body as string);
    done(null, undefined);
  });

  /** Parses the body into `request.body`; false, with the 400 sent, when it is not JSON. */
  const parseBody = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const raw = bodies.get(request);
    if (raw === undefined || raw.trim() === '') return true;
    // The protocol's parser says where the syntax breaks without quoting the body back.
    const parsed = parseConfigText(raw, 'body');
    if (parsed.ok) {
      request.body = parsed.raw;
      return true;
    }
    await reply.sendError('FAILOVER_BAD_REQUEST', parsed.problems.map((p) => p.message).join('; '));
    return false;
  };

  const isOpen = (request: FastifyRequest): boolean =>
    (options.openRoutes ?? []).some(
      (route) =>
        route.path === request.routeOptions.url &&
        (route.method === request.method || (route.method === 'GET' && request.method === 'HEAD')),
    );

  app.addHook('preValidation', async (request, reply) => {
    // Unknown paths and methods answer 404/405 to anyone: the API's paths are documented.
    if (request.is404) return;
    if (isOpen(request)) {
      await parseBody(request, reply);
      return;
    }
    const ip = normalizeIp(request.ip);
    if (allowedIps.length > 0 && !allowedIps.includes(ip)) {
      await reply.sendError('FAILOVER_IP_NOT_ALLOWED', `client ${ip} is not in allowed_ips`);
      return;
    }
    const body = bodies.get(request);
    const named = firstHeader(request.headers[NODE_HEADER]);
    const skewMs = options.skewMs ?? DEFAULT_SKEW_MS;
    if (options.auth.mode === 'secret') {
      const verdict = verifyRequest({
        secret: options.auth.secret,
        header: firstHeader(request.headers[AUTH_HEADER]),
        method: request.method,
        path: request.url,
        node: named ?? '',
        body: body ?? '',
        now: clock.now(),
        skewMs,
        replayCache,
      });
      if (!verdict.ok) {
        const code = verifyFailureCode(verdict.reason);
        request.log.warn({ ip, code, path: request.url }, 'refused an unauthenticated request');
        await reply.sendError(code, WIRE_ERROR_CODES[code].meaning);
        return;
      }
      request.failoverAuth = {
        nonce: verdict.nonce,
        timestamp: verdict.timestamp,
        expiresAt: verdict.timestamp + skewMs,
      };
    }
    authenticated.add(request);
    if (named !== options.node) {
      // A client that does not know the node yet names none and learns it from this answer.
      if (named === undefined || named === '') request.log.debug({ ip, path: request.url }, 'request names no node');
      else request.log.warn({ ip, path: request.url, node: named }, 'refused a request for another node');
      const details: WrongNodeDetails = { node_name: options.node, requested_node: named || null };
      await reply.sendError(
        'FAILOVER_WRONG_NODE',
        named ? `this is ${options.node}, not ${named}` : `the request names no node; this is ${options.node}`,
        details,
      );
      return;
    }
    await parseBody(request, reply);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!authenticated.has(request)) return payload;
    void reply.header(NODE_HEADER, options.node);
    const nonce = request.failoverAuth?.nonce;
    // A streamed answer (the control API's switchover) cannot be signed before it is sent.
    if (options.auth.mode !== 'secret' || nonce === undefined) return payload;
    if (payload !== null && payload !== undefined && typeof payload !== 'string' && !Buffer.isBuffer(payload))
      return payload;
    const signature = signResponse({
      secret: options.auth.secret,
      status: reply.statusCode,
      nonce,
      node: options.node,
      body: payload ?? '',
    });
    void reply.header(RESPONSE_AUTH_HEADER, signature);
    return payload;
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.validation) {
      const details = error.validation.map((v) => ({
        path: `${error.validationContext ?? 'body'}${v.instancePath}`,
        message: v.message,
      }));
      return reply.sendError('FAILOVER_BAD_REQUEST', error.message, details);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.sendError('FAILOVER_PAYLOAD_TOO_LARGE', `body exceeds ${bodyLimit} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.sendError('FAILOVER_UNSUPPORTED_MEDIA_TYPE', 'body must be application/json');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.sendError('FAILOVER_BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return reply.sendError('FAILOVER_INTERNAL', `internal error; see the ${options.serverName} log`);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0)
      return reply.sendError(
        'FAILOVER_METHOD_NOT_ALLOWED',
        `${path} does not accept ${request.method}; use ${allowed.join(' or ')}`,
      );
    return reply.sendError('FAILOVER_NOT_FOUND', `no endpoint ${request.method} ${path}`);
  });
}

/**
 * Serves signed JSON: register it (`await app.register(signedJsonPlugin, options)`) before
 * the routes. It skips fastify's encapsulation, as `fastify-plugin` would, so its parser,
 * hooks and handlers apply to every route of the instance it is registered on. Routes are
 * signed unless listed in `openRoutes`; answer an error from a route with `reply.sendError`.
 * Build the instance with `ajv: { customOptions: { coerceTypes: false } }`: values are taken
 * as sent, and a string where a number belongs is a 400, not a guess.
 */
export const signedJsonPlugin: FastifyPluginAsync<SignedJsonPluginOptions> = Object.assign(signedJson, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'failover-signed-json',
});

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1` for allowed_ips. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
