import type { Clock } from '@failover/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AGENT_ROUTES,
  AUTH_HEADER,
  DEFAULT_SKEW_MS,
  ErrorEnvelopeSchema,
  WIRE_ERROR_CODES,
  createReplayCache,
  errorEnvelope,
  parseConfigText,
  systemClock,
  verifyFailureCode,
  verifyRequest,
  type Secret,
  type TowerStaleDetails,
  type WireErrorCode,
} from '@failover/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CommandResult } from './command-runner';
import { holdsIdentity, type RoleRunner } from './role-runner';
import { buildStatus } from './status-report';
import type { TowerKeeper } from './tower-keeper';
import type { RpcResult } from './validator-rpc';
import type { ValidatorSampler } from './validator-sampler';
import { AGENT_VERSION } from './version';

/** How requests are authenticated. */
export type AppAuth = { readonly mode: 'secret'; readonly secret: Secret } | { readonly mode: 'insecure' };

/** Everything the agent's HTTP API serves from; built by `createAgent` or by a test. */
export interface AgentAppOptions {
  readonly role: RoleRunner;
  readonly keeper: TowerKeeper;
  /** The background probe of the validator that `/status` and `/peer-status` answer from. */
  readonly sampler: ValidatorSampler;
  /** Why a demotion's final tower backup is still pending, for `/status`; null when none is. */
  readonly pendingFinalBackup?: () => string | null;
  /** The validator's current identity (local RPC or `identity_check_command`). */
  readonly currentIdentity: () => Promise<RpcResult<string>>;
  readonly auth: AppAuth;
  /** `allowed_ips`; empty allows every address (authentication still applies). */
  readonly allowedIps: readonly string[];
  readonly dryRun: boolean;
  /** Runs `agent_stop_command` when configured; otherwise `/shutdown` calls `exit`. */
  readonly stopCommand?: () => Promise<CommandResult>;
  /** Graceful exit of the agent process, called after the `/shutdown` answer is sent. */
  readonly exit: (reason: string) => void;
  /** fastify's logger; the notifier's winston logger in production. @default no logging */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Largest accepted body; the biggest legitimate one is under 2 KiB. @default 16_384 */
  readonly bodyLimit?: number;
  /** Accepted clock difference of signed requests. @default DEFAULT_SKEW_MS (30 s) */
  readonly skewMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    bodyError?: string;
  }
  interface FastifyContextConfig {
    /** The route requires the HMAC header (every route but `GET /health`). */
    auth?: boolean;
  }
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

// Well under the shortest request_timeout a manager is tuned to (1 s) with the role change itself.
const FRESH_SAMPLE_WAIT_MS = 200;

/**
 * Builds the agent's fastify app without listening (fastify's testing guide: `inject()` in
 * tests, `listen()` only in `main`). Every route but `GET /health` is authenticated with
 * the protocol's HMAC scheme before its body is even validated, so an unauthenticated caller
 * learns nothing about the schemas.
 */
export async function buildApp(options: AgentAppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const replayCache = createReplayCache();
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 16_384,
    // Types are as sent: "123" is not a number here, and a bad type is a 400, not a guess.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const fail = (reply: FastifyReply, code: WireErrorCode, message: string, details?: unknown): FastifyReply =>
    reply.code(WIRE_ERROR_CODES[code].status).send(errorEnvelope(code, message, now(), details));

  // The signature covers the exact body bytes, so the raw text is kept; a JSON syntax error
  // is held back until the request is authenticated.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    // The protocol's parser says where the syntax breaks without quoting the body back.
    const parsed = parseConfigText(text, 'body');
    if (parsed.ok) return done(null, parsed.raw);
    request.bodyError = parsed.problems.map((p) => p.message).join('; ');
    done(null, undefined);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (options.dryRun) void reply.header('x-failover-dry-run', 'true');
    return payload;
  });

  app.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.config.auth !== true) return;
    await guard(request, reply);
  });

  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ip = normalizeIp(request.ip);
    if (options.allowedIps.length > 0 && !options.allowedIps.map(normalizeIp).includes(ip)) {
      await fail(reply, 'FAILOVER_IP_NOT_ALLOWED', `client ${ip} is not in allowed_ips`);
      return;
    }
    if (options.auth.mode === 'secret') {
      const header = request.headers[AUTH_HEADER];
      const verdict = verifyRequest({
        secret: options.auth.secret,
        header: Array.isArray(header) ? header[0] : header,
        method: request.method,
        path: request.url,
        body: request.rawBody ?? '',
        now: now(),
        skewMs: options.skewMs ?? DEFAULT_SKEW_MS,
        replayCache,
      });
      if (!verdict.ok) {
        const code = verifyFailureCode(verdict.reason);
        request.log.warn({ ip, code, path: request.url }, 'refused an unauthenticated request');
        await fail(reply, code, WIRE_ERROR_CODES[code].meaning);
        return;
      }
    }
    if (request.bodyError !== undefined) await fail(reply, 'FAILOVER_BAD_REQUEST', request.bodyError);
  };

  app.setErrorHandler(async (error: Error & { code?: string; statusCode?: number; validation?: unknown[]; validationContext?: string }, request, reply) => {
    if (error.validation) {
      const details = (error.validation as Array<{ instancePath?: string; message?: string }>).map((v) => ({ path: `${error.validationContext ?? 'body'}${v.instancePath ?? ''}`, message: v.message }));
      return fail(reply, 'FAILOVER_BAD_REQUEST', error.message, details);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return fail(reply, 'FAILOVER_PAYLOAD_TOO_LARGE', `body exceeds ${options.bodyLimit ?? 16_384} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return fail(reply, 'FAILOVER_UNSUPPORTED_MEDIA_TYPE', 'body must be application/json');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return fail(reply, 'FAILOVER_BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return fail(reply, 'FAILOVER_INTERNAL', 'internal error; see the agent log');
  });
  app.setNotFoundHandler(async (request, reply) => fail(reply, 'FAILOVER_NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0]}`));

  const errors = { 400: ErrorEnvelopeSchema, 401: ErrorEnvelopeSchema, 403: ErrorEnvelopeSchema, 409: ErrorEnvelopeSchema, 422: ErrorEnvelopeSchema, 500: ErrorEnvelopeSchema };
  const seconds = (): number => Math.floor(now() / 1000);

  app.get(AGENT_ROUTES.health.path, { schema: { response: { 200: AGENT_ROUTES.health.response } } }, async () => ({
    status: 'ok' as const,
    agent_version: AGENT_VERSION,
  }));

  const status = async () => {
    options.role.heartbeat();
    // Backup on each manager ping while active, in the background: /status answers at once.
    if (holdsIdentity(options.role.role())) void options.keeper.backupIfChanged();
    return buildStatus({
      sampler: options.sampler,
      keeper: options.keeper,
      role: options.role.role,
      alert: options.role.alert,
      ...(options.pendingFinalBackup ? { pendingFinalBackup: options.pendingFinalBackup } : {}),
      dryRun: options.dryRun,
      agentVersion: AGENT_VERSION,
      clock,
    });
  };
  app.post(AGENT_ROUTES.status.path, { config: { auth: true }, schema: { body: AGENT_ROUTES.status.body, response: { 200: AGENT_ROUTES.status.response, ...errors } } }, status);
  app.get(AGENT_ROUTES.status.path, { config: { auth: true }, schema: { response: { 200: AGENT_ROUTES.status.response, ...errors } } }, status);

  app.post(
    AGENT_ROUTES.peerStatus.path,
    { config: { auth: true }, schema: { body: AGENT_ROUTES.peerStatus.body, response: { 200: AGENT_ROUTES.peerStatus.response, ...errors } } },
    async () => {
      const process = options.sampler.view().sample?.process;
      return { is_alive: true, is_active: options.role.role() !== 'passive', process_running: process?.ok === true && process.snapshot.running, timestamp: seconds() };
    },
  );

  app.post(
    AGENT_ROUTES.failover.path,
    { config: { auth: true }, schema: { body: AGENT_ROUTES.failover.body, response: { 200: AGENT_ROUTES.failover.response, ...errors } } },
    async (request, reply) => {
      options.role.heartbeat();
      const { action, reason, skip_identity: skipIdentity, min_tower_slot: minTowerSlot } = request.body;
      request.log.info({ action, reason, skip_identity: skipIdentity ?? false, min_tower_slot: minTowerSlot }, 'failover requested');
      // min_tower_slot is a floor for taking the identity; a demotion has nothing to restore.
      const answer = await options.role.request(action, skipIdentity ?? false, action === 'become_active' ? minTowerSlot : undefined);
      if (answer.result === 'busy') return fail(reply, 'FAILOVER_BUSY', answer.message);
      if (answer.result === 'tower-stale') {
        const details: TowerStaleDetails = { min_tower_slot: answer.minTowerSlot, tower_last_vote_slot: answer.towerLastVoteSlot };
        return fail(reply, 'FAILOVER_TOWER_STALE', answer.message, details);
      }
      // The manager verifies a role change through /status right after this answer; without a
      // fresh sample it would see the validator as it was up to one probe interval ago and
      // wait a poll for nothing. Bounded so a frozen validator cannot hold the answer back.
      await options.sampler.refresh(FRESH_SAMPLE_WAIT_MS);
      const message =
        answer.result === 'ok'
          ? [answer.message, ...answer.warnings.map((w) => `warning: ${w}`)].join('; ')
          : `${answer.message}: ${answer.detail}`;
      return { success: answer.result === 'ok', message, dry_run: options.dryRun, timestamp: seconds() };
    },
  );

  app.post(
    AGENT_ROUTES.shutdown.path,
    { config: { auth: true }, schema: { body: AGENT_ROUTES.shutdown.body, response: { 200: AGENT_ROUTES.shutdown.response, ...errors } } },
    async (request, reply) => {
      const { reason } = request.body;
      request.log.warn({ reason }, 'shutdown requested');
      reply.raw.once('finish', () => {
        if (options.stopCommand) void options.stopCommand();
        else options.exit(`shutdown requested: ${reason}`);
      });
      const how = options.stopCommand ? 'running agent_stop_command' : 'stopping';
      return { success: true, message: `${how}${options.dryRun ? ' (dry-run: the command is only logged)' : ''}`, timestamp: seconds() };
    },
  );

  app.get(AGENT_ROUTES.identity.path, { config: { auth: true }, schema: { response: { 200: AGENT_ROUTES.identity.response, ...errors } } }, async () => {
    const identity = await options.currentIdentity();
    return identity.ok ? { identity_pubkey: identity.value, timestamp: seconds() } : { identity_pubkey: '', error: identity.error, timestamp: seconds() };
  });

  for (const route of Object.values(AGENT_ROUTES)) {
    const others = ALL_METHODS.filter((m) => !(route.methods as readonly string[]).includes(m));
    app.route({
      method: others,
      url: route.path,
      handler: async (request, reply) => fail(reply, 'FAILOVER_METHOD_NOT_ALLOWED', `${route.path} does not accept ${request.method}; use ${route.methods.join(' or ')}`),
    });
  }

  await app.ready();
  return app;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1` for allowed_ips. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
