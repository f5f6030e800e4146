/**
 * The shell both signed JSON servers share (the agent's API and the manager's control API):
 * JSON bodies only, each kept as its exact text for the signature; the HMAC and replay check
 * before a body is validated, so an unauthenticated caller learns nothing about the schemas;
 * and every error, fastify's own included, answered in the error envelope.
 */
import type { Clock } from '@failover/core';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseConfigText } from '../config/config-file';
import { createReplayCache } from '../auth/replay-cache';
import { AUTH_HEADER, DEFAULT_SKEW_MS, verifyFailureCode, verifyRequest, type Secret } from '../auth/request-auth';
import { errorEnvelope, WIRE_ERROR_CODES, type WireErrorCode } from '../wire/error-envelope';

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

declare module 'fastify' {
  interface FastifyReply {
    /** Answers with the error envelope of `code` and its HTTP status (added by `signedJsonPlugin`). */
    sendError(code: WireErrorCode, message: string, details?: unknown): FastifyReply;
  }
}

/** Methods a route of ours can have; a path that has any of them answers the others 405. */
const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

interface ParsedBody {
  /** The exact text the signature covers. */
  readonly raw: string;
  /** Why the text is not JSON; answered only once the request is authenticated. */
  readonly error?: string;
}

async function signedJson(app: FastifyInstance, options: SignedJsonPluginOptions): Promise<void> {
  const { clock } = options;
  const bodyLimit = options.bodyLimit ?? SIGNED_JSON_BODY_LIMIT;
  const allowedIps = (options.allowedIps ?? []).map(normalizeIp);
  const replayCache = createReplayCache();
  const bodies = new WeakMap<FastifyRequest, ParsedBody>();

  app.decorateReply(
    'sendError',
    function sendError(this: FastifyReply, code: WireErrorCode, message: string, details?: unknown): FastifyReply {
      return this.code(WIRE_ERROR_CODES[code].status).send(errorEnvelope(code, message, clock.now(), details));
    },
  );

  // JSON is the only body type; any other is refused 415 before anything else looks at it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const raw = body as string;
    if (raw.trim() === '') {
      bodies.set(request, { raw });
      return done(null, undefined);
    }
    // The protocol's parser says where the syntax breaks without quoting the body back.
    const parsed = parseConfigText(raw, 'body');
    if (parsed.ok) {
      bodies.set(request, { raw });
      return done(null, parsed.raw);
    }
    bodies.set(request, { raw, error: parsed.problems.map((p) => p.message).join('; ') });
    done(null, undefined);
  });

  const isOpen = (request: FastifyRequest): boolean =>
    (options.openRoutes ?? []).some(
      (route) =>
        route.path === request.routeOptions.url &&
        (route.method === request.method || (route.method === 'GET' && request.method === 'HEAD')),
    );

  app.addHook('preValidation', async (request, reply) => {
    // Unknown paths and methods answer 404/405 to anyone: the API's paths are documented.
    if (request.is404 || isOpen(request)) return;
    const ip = normalizeIp(request.ip);
    if (allowedIps.length > 0 && !allowedIps.includes(ip)) {
      await reply.sendError('FAILOVER_IP_NOT_ALLOWED', `client ${ip} is not in allowed_ips`);
      return;
    }
    const body = bodies.get(request);
    if (options.auth.mode === 'secret') {
      const header = request.headers[AUTH_HEADER];
      const verdict = verifyRequest({
        secret: options.auth.secret,
        header: Array.isArray(header) ? header[0] : header,
        method: request.method,
        path: request.url,
        body: body?.raw ?? '',
        now: clock.now(),
        skewMs: options.skewMs ?? DEFAULT_SKEW_MS,
        replayCache,
      });
      if (!verdict.ok) {
        const code = verifyFailureCode(verdict.reason);
        request.log.warn({ ip, code, path: request.url }, 'refused an unauthenticated request');
        await reply.sendError(code, WIRE_ERROR_CODES[code].meaning);
        return;
      }
    }
    if (body?.error !== undefined) await reply.sendError('FAILOVER_BAD_REQUEST', body.error);
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

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1` for allowed_ips. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
