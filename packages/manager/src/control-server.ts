/**
 * The control API behind `failover-manager status`, `switchover`, `pause` and `resume`. It listens on loopback
 * only (the config schema refuses anything else), accepts only `application/json` bodies (a
 * browser page cannot send those cross-origin without a preflight, which this server never
 * answers), and checks the shared secret with the same HMAC as the agents.
 */
import { PassThrough } from 'node:stream';
import type { Registry } from 'prom-client';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock, FailoverEvent, NodeId, PauseAnswer } from '@failover/core';
import { describeAction } from '@failover/core';
import { causeText, refusalText } from '@failover/notifier';
import {
  CONTROL_API_NODE,
  CONTROL_PATHS,
  ControlStatusRequestSchema,
  ControlStatusSchema,
  ErrorEnvelopeSchema,
  PauseAnswerSchema,
  PauseRequestSchema,
  ResumeRequestSchema,
  SwitchoverRequestSchema,
} from '@failover/protocol';
import type {
  ClusterRpc,
  ControlElection,
  PauseAnswerBody,
  SwitchoverLine,
  SwitchoverRequest,
} from '@failover/protocol';
import { signedJsonPlugin } from '@failover/protocol/server';
import type { FailoverProgress, Monitor } from './monitor';
import { toControlPause, toControlStatus } from './status-view';
import { waitForSwitchoverWindow } from './switchover-window';

/** Options of {@link buildControlServer}. */
export interface ControlServerOptions {
  readonly monitor: Monitor;
  /** The shared secret; undefined only with `insecure_no_auth`. */
  readonly secret: Uint8Array | undefined;
  readonly clock: Clock;
  /** fastify's logger; the notifier's logger in production. @default no logging */
  readonly loggerInstance?: FastifyBaseLogger;
  readonly endpoints: Readonly<Record<NodeId, string>>;
  readonly dryRun: boolean;
  readonly rpc: ClusterRpc;
  readonly stakedIdentityPubkey: string | undefined;
  /** `wait_for_leader_gap_slots`, used when a request does not say. */
  readonly defaultLeaderGapSlots: number;
  /** How long a switchover may wait for its window. @default 120000 */
  readonly maxWindowWaitMs?: number;
  /** This manager's term, sender id and why it stood down, for the status answer. @default not reported */
  readonly fence?: () => { readonly term: number; readonly sender: string; readonly deposed: string | null };
  /** Highly available managers: why this one does not command (it follows), null while it leads. @default always leads */
  readonly following?: () => string | null;
  /** Highly available managers: who leads and who follows, for the status answer. @default not reported */
  readonly election?: () => ControlElection;
  /** Served at `GET /metrics` without a signature. @default no `/metrics` */
  readonly metrics?: Registry;
}

const FINAL: Partial<Record<FailoverEvent['type'], 'completed' | 'rolled-back' | 'failed'>> = {
  'failover-complete': 'completed',
  'rolled-back': 'rolled-back',
  'failover-failed': 'failed',
};

/** Builds the control API without listening; `listen` is the caller's. */
export async function buildControlServer(options: ControlServerOptions): Promise<FastifyInstance> {
  const { clock } = options;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    // The CLI's few calls are not worth a line each; refusals and errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Types are as sent: "123" is not a number here, and a bad type is a 400, not a guess.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(signedJsonPlugin, {
    auth: options.secret === undefined ? { mode: 'insecure' } : { mode: 'secret', secret: options.secret },
    node: CONTROL_API_NODE,
    clock,
    serverName: 'manager',
    ...(options.metrics === undefined ? {} : { openRoutes: [{ method: 'GET', path: CONTROL_PATHS.metrics }] }),
  });

  const { metrics } = options;
  if (metrics !== undefined)
    app.get(CONTROL_PATHS.metrics, async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    );

  app.post(
    CONTROL_PATHS.status,
    {
      schema: {
        body: ControlStatusRequestSchema,
        response: { 200: ControlStatusSchema, 400: ErrorEnvelopeSchema, 401: ErrorEnvelopeSchema },
      },
    },
    async () => ({
      ...toControlStatus(options.monitor.snapshot(), options.endpoints, options.dryRun, clock.now()),
      ...options.fence?.(),
      ...(options.election === undefined ? {} : { election: options.election() }),
    }),
  );

  app.post(CONTROL_PATHS.switchover, { schema: { body: SwitchoverRequestSchema } }, async (request, reply) => {
    const stream = new PassThrough();
    const write = (line: SwitchoverLine): void => {
      stream.write(`${JSON.stringify(line)}\n`);
    };
    request.log.warn({ reason: request.body.reason }, 'planned switchover requested');
    void reply.type('application/x-ndjson').send(stream);
    void runSwitchover(request.body, write).finally(() => stream.end());
    return reply;
  });

  const pauseSchema = {
    response: { 200: PauseAnswerSchema, 400: ErrorEnvelopeSchema, 401: ErrorEnvelopeSchema },
  } as const;
  // A follower refuses as it refuses a switchover: only the leader's journal holds the pause.
  const notLeader = (): PauseAnswerBody | null => {
    const following = options.following?.() ?? null;
    return following === null
      ? null
      : { outcome: 'refused', refusal: 'not-leader', detail: `${following}; ask the leader` };
  };
  app.post(CONTROL_PATHS.pause, { schema: { body: PauseRequestSchema, ...pauseSchema } }, async (request) => {
    const refused = notLeader();
    if (refused !== null) return refused;
    request.log.warn({ reason: request.body.reason, for_ms: request.body.for_ms }, 'pause requested');
    return toPauseBody(await options.monitor.requestPause(request.body.reason, request.body.for_ms ?? null));
  });
  app.post(CONTROL_PATHS.resume, { schema: { body: ResumeRequestSchema, ...pauseSchema } }, async (request) => {
    const refused = notLeader();
    if (refused !== null) return refused;
    request.log.warn({ reason: request.body.reason }, 'resume requested');
    return toPauseBody(await options.monitor.requestResume(request.body.reason ?? null));
  });

  async function runSwitchover(body: SwitchoverRequest, write: (line: SwitchoverLine) => void): Promise<void> {
    const following = options.following?.() ?? null;
    if (following !== null) {
      write({ type: 'refused', at: clock.now(), refusal: 'not-leader', detail: `${following}; ask the leader` });
      return;
    }
    const gapSlots = body.wait_for_leader_gap_slots ?? options.defaultLeaderGapSlots;
    write({
      type: 'waiting',
      at: clock.now(),
      detail:
        gapSlots > 0 ? `for a slot boundary with no leader slot in the next ${gapSlots} slots` : 'for a slot boundary',
    });
    const window = await waitForSwitchoverWindow({
      rpc: options.rpc,
      clock,
      identity: options.stakedIdentityPubkey ?? '',
      gapSlots: options.stakedIdentityPubkey === undefined ? 0 : gapSlots,
      maxWaitMs: options.maxWindowWaitMs ?? 120_000,
      pollMs: 20,
    });
    if (window.status !== 'ready') {
      write({ type: 'refused', at: clock.now(), refusal: window.status, detail: window.detail });
      return;
    }
    write({ type: 'window', at: clock.now(), slot: window.slot, waited_ms: window.waitedMs });

    // Progress of the accepted plan follows synchronously from the request, so the listener
    // is in place first and only keeps lines once the answer is known.
    const buffered: FailoverProgress[] = [];
    let accepted: boolean | undefined;
    let finished: (outcome: SwitchoverLine) => void = () => undefined;
    const done = new Promise<SwitchoverLine>((resolve) => (finished = resolve));
    const startedAt = clock.now();
    const forward = (progress: FailoverProgress): void => {
      if (progress.type === 'event') {
        const outcome = FINAL[progress.event.type];
        if (outcome !== undefined) {
          const event = progress.event;
          const detail =
            event.type === 'failover-failed' || event.type === 'rolled-back'
              ? `${event.failedStep}: ${event.detail}`
              : undefined;
          const aborted = event.type === 'failover-failed' && event.outcome === 'aborted';
          finished({
            type: 'done',
            at: event.at,
            outcome: aborted ? 'aborted' : outcome,
            total_ms: event.at - startedAt,
            ...(detail === undefined ? {} : { detail }),
          });
        }
        return;
      }
      if (progress.type === 'step-started')
        write({
          type: 'step-started',
          at: progress.at,
          step: progress.step,
          attempt: progress.attempt,
          compensating: progress.compensating,
        });
      else
        write({
          type: 'step-finished',
          at: progress.at,
          step: progress.step,
          ok: progress.ok,
          ms: progress.ms,
          ...(progress.detail === undefined ? {} : { detail: progress.detail }),
        });
    };
    const unsubscribe = options.monitor.onProgress((progress) =>
      accepted === true ? forward(progress) : buffered.push(progress),
    );
    try {
      const answer = await options.monitor.requestSwitchover(body.reason, body.to ?? null);
      if (!answer.accepted) {
        const refusal = answer.refusal;
        write({ type: 'refused', at: clock.now(), refusal: refusal.kind, detail: refusalText(refusal) });
        return;
      }
      write({
        type: 'accepted',
        at: clock.now(),
        from: answer.plan.from,
        to: answer.plan.to,
        steps: answer.plan.steps.map((s) => describeAction(s.action)),
      });
      accepted = true;
      for (const progress of buffered.splice(0)) forward(progress);
      write(await done);
    } finally {
      unsubscribe();
    }
  }

  return app;
}

/** The machine's answer to a pause or resume as the control API sends it. */
function toPauseBody(answer: PauseAnswer): PauseAnswerBody {
  if (!answer.accepted) {
    const { refusal } = answer;
    return {
      outcome: 'refused',
      refusal: refusal.kind,
      detail: refusal.kind === 'not-paused' ? 'the manager is not paused' : causeText(refusal),
    };
  }
  if (answer.pause !== null)
    return {
      outcome: 'paused',
      pause: toControlPause(answer.pause),
      replaced: answer.ended === null ? null : toControlPause(answer.ended),
    };
  if (answer.ended === null) throw new RangeError('a resume that ended no pause was accepted');
  return { outcome: 'resumed', ended: toControlPause(answer.ended) };
}
