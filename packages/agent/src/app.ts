import type { Clock } from '@failover/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AGENT_BODY_LIMIT,
  AGENT_ROUTES,
  CARRIED_FILE_MAX_BYTES,
  ErrorEnvelopeSchema,
  systemClock,
  type CarriedTower,
  type FinalTower,
  type HookRefusedDetails,
  type Secret,
  type TowerStaleDetails,
  type VoteHistoryStaleDetails,
} from '@failover/protocol';
import { signedJsonPlugin } from '@failover/protocol/server';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AgentFence } from './agent-fence';
import type { CommandResult } from './command-runner';
import type { PrePromoteCheck } from './pre-promote-check';
import { holdsIdentity, type RoleRunner } from './role-runner';
import { createAgentMetrics } from './metrics';
import { buildStatus, type StatusSources } from './status-report';
import type { CarriedFiles, FinalFiles, TowerKeeper } from './tower-keeper';
import type { RpcResult } from '@failover/protocol';
import type { ValidatorSampler } from './validator-sampler';
import type { ProcessWatch } from './process-watch';
import { AGENT_VERSION } from './version';

/** How requests are authenticated. */
export type AppAuth = { readonly mode: 'secret'; readonly secret: Secret } | { readonly mode: 'insecure' };

/** Everything the agent's HTTP API serves from; built by `createAgent` or by a test. */
export interface AgentAppOptions {
  readonly role: RoleRunner;
  /** `check_promote`: runs the `pre_promote` hook and changes nothing. */
  readonly checkPromote: (request: { readonly reason: string; readonly term: number }) => Promise<PrePromoteCheck>;
  readonly keeper: TowerKeeper;
  /** The background probe of the validator that `/status` and `/peer-status` answer from. */
  readonly sampler: ValidatorSampler;
  /**
   * A role change confirms the validator's identity through a sample of the sampler's, taken
   * after the switch, so the latest sample already shows the change when it is answered.
   * @default false: a second sample is taken before the answer
   */
  readonly changesConfirmedBySample?: boolean;
  /** Sees the validator exit between probes; `POST /watch` waits on it. */
  readonly processWatch: ProcessWatch;
  /** Why a demotion's final tower backup is still pending, for `/status`; null when none is. */
  readonly pendingFinalBackup?: () => string | null;
  /** The validator's current identity (local RPC or `identity_check_command`). */
  readonly currentIdentity: () => Promise<RpcResult<string>>;
  readonly auth: AppAuth;
  /** The name this agent answers to; a request for another node is refused (412 `FAILOVER_WRONG_NODE`). */
  readonly node: string;
  /** Judges the term (and, after a restart, the nonce) of every role- or tower-changing request before it is obeyed. */
  readonly fence: AgentFence;
  /** `allowed_ips`; empty allows every address (authentication still applies). */
  readonly allowedIps: readonly string[];
  readonly dryRun: boolean;
  /** Runs `agent_stop_command` when configured; otherwise `/shutdown` calls `exit`. */
  readonly stopCommand?: () => Promise<CommandResult>;
  /** Graceful exit of the agent process, called after the `/shutdown` answer is sent. */
  readonly exit: (reason: string) => void;
  /** fastify's logger; the notifier's winston logger in production. @default no logging */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Time of the signature check and of every timestamp the API answers with. @default systemClock */
  readonly clock?: Clock;
  /** Whether `/metrics` adds the process and Node.js metrics (the bin does). @default false */
  readonly processMetrics?: boolean;
}

// Well under the shortest request_timeout a manager is tuned to (1 s), with the role change or
// the /status answer it is added to.
const FRESH_SAMPLE_WAIT_MS = 200;

/**
 * Builds the agent's fastify app without listening (fastify's testing guide: `inject()` in
 * tests, `listen()` only in `main`). Every route but `GET /health`, `/active`, `/passive` and `/metrics` is authenticated with
 * the protocol's HMAC scheme, and must name this node, before its body is even validated, so
 * an unauthenticated caller learns nothing about the schemas. A role- or tower-changing
 * request (`/failover`, `/shutdown`) is obeyed only once the fence has admitted its term.
 */
export async function buildApp(options: AgentAppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    // Types are as sent: "123" is not a number here, and a bad type is a 400, not a guess.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(signedJsonPlugin, {
    auth: options.auth,
    node: options.node,
    clock,
    openRoutes: Object.values(AGENT_ROUTES)
      .filter((route) => !route.auth)
      .flatMap((route) => route.methods.map((method) => ({ method, path: route.path }))),
    allowedIps: options.allowedIps,
    serverName: 'agent',
    bodyLimit: AGENT_BODY_LIMIT,
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (options.dryRun) void reply.header('x-failover-dry-run', 'true');
    return payload;
  });

  const errors = {
    400: ErrorEnvelopeSchema,
    401: ErrorEnvelopeSchema,
    403: ErrorEnvelopeSchema,
    409: ErrorEnvelopeSchema,
    412: ErrorEnvelopeSchema,
    422: ErrorEnvelopeSchema,
    500: ErrorEnvelopeSchema,
  };
  const seconds = (): number => Math.floor(now() / 1000);

  /**
   * Admits a changing request or answers its refusal; true when it may be obeyed. The body's
   * term and sender are required by the route's schema, so a request without them never
   * gets here (400).
   */
  const admit = async (
    request: FastifyRequest,
    reply: FastifyReply,
    body: { term: number; sender: string },
  ): Promise<boolean> => {
    const claim = { term: body.term, sender: body.sender };
    options.fence.note(claim);
    const auth = request.failoverAuth;
    const admission = await options.fence.admit({
      claim,
      ...(auth === null ? {} : { nonce: { value: auth.nonce, expiresAt: auth.expiresAt } }),
    });
    if (admission.admitted) return true;
    if (admission.code === 'FAILOVER_STALE_TERM')
      await reply.sendError(admission.code, admission.message, admission.details);
    else await reply.sendError(admission.code, admission.message);
    return false;
  };

  // Routes polled all day (the manager's heartbeat and watch, monitors, load balancers) log their
  // requests from warn up: two info lines per poll drowned the log and cost a tenth of the
  // agent's CPU under load. A refused or failed one is still logged.
  const polled = { logLevel: 'warn' } as const;

  app.get(
    AGENT_ROUTES.health.path,
    { ...polled, schema: { response: { 200: AGENT_ROUTES.health.response } } },
    async () => ({
      status: 'ok' as const,
      agent_version: AGENT_VERSION,
    }),
  );

  // Role checks for load balancers and monitors (Patroni's /primary and /replica): the status
  // code is the answer. Active means holding the identity, as the manager counts it (S1);
  // passive means a settled passive, not one in the middle of a change.
  const roleChecks = {
    active: () => holdsIdentity(options.role.role()),
    passive: () => options.role.role() === 'passive',
  };
  for (const [name, holds] of Object.entries(roleChecks) as Array<['active' | 'passive', () => boolean]>) {
    const route = AGENT_ROUTES[name];
    app.get(
      route.path,
      { ...polled, schema: { response: { 200: route.response, 503: route.response } } },
      async (_request, reply) => {
        const ok = holds();
        return reply.code(ok ? 200 : 503).send({ role_check: name, ok });
      },
    );
  }

  const statusSources: StatusSources = {
    sampler: options.sampler,
    exitedAt: () => options.processWatch.current().exitedAt,
    keeper: options.keeper,
    role: options.role.role,
    alert: options.role.alert,
    ...(options.pendingFinalBackup ? { pendingFinalBackup: options.pendingFinalBackup } : {}),
    dryRun: options.dryRun,
    agentVersion: AGENT_VERSION,
    fencing: () => ({
      node: options.node,
      highest: options.fence.highest(),
      senders: options.fence.recentSenders(),
    }),
    clock,
  };
  const status = async (request: FastifyRequest<{ Body: { term?: number; sender?: string } | undefined }>) => {
    const { term, sender } = request.body ?? {};
    if (term !== undefined && sender !== undefined) {
      options.fence.note({ term, sender });
      await options.fence.adopt({ term, sender });
    }
    options.role.heartbeat();
    // Backup on each manager ping while active, in the background: /status answers at once.
    if (holdsIdentity(options.role.role())) void options.keeper.backupIfChanged();
    // An unhealthy reading is confirmed by a fresh probe before it is reported: a manager that
    // polls faster than the probe interval would count one reading as several misses. Not while
    // a probe is overdue: that one waits on a validator that does not answer.
    const { sample, overdue } = options.sampler.view();
    if (sample !== null && overdue === null && !sample.health.ok) await options.sampler.refresh(FRESH_SAMPLE_WAIT_MS);
    return buildStatus(statusSources);
  };
  const metrics = createAgentMetrics(statusSources, { processMetrics: options.processMetrics ?? false });
  app.get(AGENT_ROUTES.metrics.path, polled, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );

  app.post(
    AGENT_ROUTES.status.path,
    {
      ...polled,
      schema: { body: AGENT_ROUTES.status.body, response: { 200: AGENT_ROUTES.status.response, ...errors } },
    },
    status,
  );
  app.get(
    AGENT_ROUTES.status.path,
    { ...polled, schema: { response: { 200: AGENT_ROUTES.status.response, ...errors } } },
    status,
  );

  // The manager's long poll: answered the moment the validator process is found otherwise than
  // the manager last heard, so that an exit reaches it without waiting for a heartbeat.
  app.post(
    AGENT_ROUTES.watch.path,
    { ...polled, schema: { body: AGENT_ROUTES.watch.body, response: { 200: AGENT_ROUTES.watch.response, ...errors } } },
    async (request) => {
      const seen = await options.processWatch.wait(request.body.process_running, request.body.wait_ms);
      return {
        // A probe that could not tell yet leaves the manager's belief as it was.
        process_running: seen.running ?? request.body.process_running,
        ...(seen.exitedAt === null ? {} : { process_exited_at: seen.exitedAt }),
        timestamp: seconds(),
      };
    },
  );

  app.post(
    AGENT_ROUTES.peerStatus.path,
    {
      ...polled,
      schema: { body: AGENT_ROUTES.peerStatus.body, response: { 200: AGENT_ROUTES.peerStatus.response, ...errors } },
    },
    async () => {
      const process = options.sampler.view().sample?.process;
      return {
        is_alive: true,
        is_active: options.role.role() !== 'passive',
        process_running: process?.ok === true && process.snapshot.running,
        timestamp: seconds(),
      };
    },
  );

  app.post(
    AGENT_ROUTES.failover.path,
    { schema: { body: AGENT_ROUTES.failover.body, response: { 200: AGENT_ROUTES.failover.response, ...errors } } },
    async (request, reply) => {
      options.role.heartbeat();
      const {
        action,
        reason,
        skip_identity: skipIdentity,
        min_tower_slot: minTowerSlot,
        min_vote_history_slot: minVoteHistorySlot,
        pre_promote_checked: prePromoteChecked,
        carried_tower: carriedTower,
        term,
        sender,
      } = request.body;
      request.log.info(
        {
          action,
          reason,
          skip_identity: skipIdentity ?? false,
          min_tower_slot: minTowerSlot,
          min_vote_history_slot: minVoteHistorySlot,
          pre_promote_checked: prePromoteChecked,
          ...(carriedTower === undefined ? {} : { carried_tower_from: carriedTower.from }),
          term,
          sender,
        },
        'failover requested',
      );
      if (!(await admit(request, reply, request.body))) return reply;
      if (action === 'check_promote') {
        const checked = await options.checkPromote({ reason, term });
        if (checked.result === 'busy') return reply.sendError('FAILOVER_BUSY', checked.message);
        if (checked.result === 'refused') return refuseForHook(reply, checked.message, checked.detail);
        return {
          success: true,
          message: [checked.message, ...checked.warnings.map((w) => `warning: ${w}`)].join('; '),
          ...(checked.warnings.length > 0 ? { warnings: [...checked.warnings] } : {}),
          dry_run: options.dryRun,
          timestamp: seconds(),
        };
      }
      // The floors are for taking the identity; a demotion has nothing to restore.
      const promoting = action === 'become_active';
      // Only this demotion's own final backup is carried; an older one may lack later votes.
      const finalBefore = options.keeper.finalTower();
      const requestedAt = clock.now();
      const answer = await options.role.request(
        action,
        skipIdentity ?? false,
        promoting ? minTowerSlot : undefined,
        promoting ? minVoteHistorySlot : undefined,
        { reason, term, prePromoteChecked: promoting && prePromoteChecked === true },
        promoting && carriedTower !== undefined ? carriedFiles(carriedTower) : undefined,
      );
      if (answer.result === 'busy') return reply.sendError('FAILOVER_BUSY', answer.message);
      if (answer.result === 'tower-stale' && answer.file === 'vote-history') {
        const details: VoteHistoryStaleDetails = {
          min_vote_history_slot: answer.minTowerSlot,
          vote_history_newest_slot: answer.towerLastVoteSlot,
        };
        return reply.sendError('FAILOVER_VOTE_HISTORY_STALE', answer.message, details);
      }
      // Only a pre_promote that must succeed stops a change at a hook: a veto, not a failure.
      if (answer.result === 'failed' && answer.step === 'hook')
        return refuseForHook(reply, answer.message, answer.detail);
      if (answer.result === 'tower-stale') {
        const details: TowerStaleDetails = {
          min_tower_slot: answer.minTowerSlot,
          tower_last_vote_slot: answer.towerLastVoteSlot,
        };
        return reply.sendError('FAILOVER_TOWER_STALE', answer.message, details);
      }
      // The manager verifies a role change through /status right after this answer; without a
      // fresh sample it would see the validator as it was up to one probe interval ago and
      // wait a poll for nothing. A change that completed took one to confirm the identity,
      // after the switch (the latest is that one or a later one); otherwise one is taken here,
      // bounded so a frozen validator cannot hold the answer back.
      const latest = options.sampler.view().sample;
      const confirmedBySample =
        options.changesConfirmedBySample === true &&
        !options.dryRun &&
        answer.result === 'ok' &&
        latest !== null &&
        latest.startedAt >= requestedAt;
      if (!confirmedBySample) await options.sampler.refresh(FRESH_SAMPLE_WAIT_MS);
      const message =
        answer.result === 'ok'
          ? [answer.message, ...answer.warnings.map((w) => `warning: ${w}`)].join('; ')
          : `${answer.message}: ${answer.detail}`;
      const finalFiles = options.keeper.finalTower();
      const finalTower =
        action === 'become_passive' && answer.result === 'ok' && finalFiles !== null && finalFiles !== finalBefore
          ? finalTowerOf(finalFiles, (detail) => request.log.warn({}, detail))
          : null;
      return {
        success: answer.result === 'ok',
        message,
        ...(answer.result === 'ok' && answer.warnings.length > 0 ? { warnings: [...answer.warnings] } : {}),
        ...(finalTower === null ? {} : { final_tower: finalTower }),
        dry_run: options.dryRun,
        timestamp: seconds(),
      };
    },
  );

  const refuseForHook = (reply: FastifyReply, message: string, reason: string): FastifyReply => {
    const details: HookRefusedDetails = { hook: 'pre_promote', reason };
    return reply.sendError('FAILOVER_HOOK_REFUSED', `${message}: ${reason}`, details);
  };

  app.post(
    AGENT_ROUTES.shutdown.path,
    { schema: { body: AGENT_ROUTES.shutdown.body, response: { 200: AGENT_ROUTES.shutdown.response, ...errors } } },
    async (request, reply) => {
      const { reason, term, sender } = request.body;
      request.log.warn({ reason, term, sender }, 'shutdown requested');
      if (!(await admit(request, reply, request.body))) return reply;
      reply.raw.once('finish', () => {
        if (options.stopCommand) void options.stopCommand();
        else options.exit(`shutdown requested: ${reason}`);
      });
      const how = options.stopCommand ? 'running agent_stop_command' : 'stopping';
      return {
        success: true,
        message: `${how}${options.dryRun ? ' (dry-run: the command is only logged)' : ''}`,
        timestamp: seconds(),
      };
    },
  );

  app.get(
    AGENT_ROUTES.identity.path,
    { schema: { response: { 200: AGENT_ROUTES.identity.response, ...errors } } },
    async () => {
      const identity = await options.currentIdentity();
      return identity.ok
        ? { identity_pubkey: identity.value, timestamp: seconds() }
        : { identity_pubkey: '', error: identity.message, timestamp: seconds() };
    },
  );

  await app.ready();
  return app;
}

/** A `carried_tower` as the restore weighs it. */
function carriedFiles(carried: CarriedTower): CarriedFiles {
  const { from } = carried;
  return {
    tower: { bytes: Buffer.from(carried.tower, 'base64'), from },
    ...(carried.vote_history === undefined
      ? {}
      : { voteHistory: { bytes: Buffer.from(carried.vote_history, 'base64'), from } }),
  };
}

/**
 * The `final_tower` of a demotion's answer: what its final backup stored, for the manager to
 * carry to the next holder. None when a file is larger than a request may carry; the next holder
 * then restores from the store alone.
 */
function finalTowerOf(files: FinalFiles, tooLarge: (detail: string) => void): FinalTower | null {
  const { tower, voteHistory } = files;
  const largest = Math.max(tower.length, voteHistory?.length ?? 0);
  if (largest > CARRIED_FILE_MAX_BYTES) {
    tooLarge(
      `the final backup holds a file of ${largest} bytes, more than the ${CARRIED_FILE_MAX_BYTES} a promotion may carry; the next holder restores from the tower store alone`,
    );
    return null;
  }
  return {
    tower: tower.toString('base64'),
    ...(voteHistory === null ? {} : { vote_history: voteHistory.toString('base64') }),
  };
}
