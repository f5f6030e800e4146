/**
 * The control API behind `failover-manager status` and `switchover`. It listens on loopback
 * only (the config schema refuses anything else), accepts only `application/json` bodies (a
 * browser page cannot send those cross-origin without a preflight, which this server never
 * answers), and checks the shared secret with the same HMAC as the agents.
 */
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock, FailoverEvent, Logger, NodeId } from '@failover/core';
import { describeAction } from '@failover/core';
import {
  AUTH_HEADER,
  createReplayCache,
  DEFAULT_SKEW_MS,
  errorEnvelope,
  ErrorEnvelopeSchema,
  verifyFailureCode,
  verifyRequest,
  WIRE_ERROR_CODES,
} from '@failover/protocol';
import type { WireErrorCode } from '@failover/protocol';
import type { ClusterRpc } from './cluster-rpc';
import { CONTROL_PATHS, ControlStatusRequestSchema, ControlStatusSchema, SwitchoverRequestSchema, type SwitchoverLine, type SwitchoverRequest } from './control-schema';
import type { FailoverProgress, Monitor } from './monitor';
import { describeBlockCause, toControlStatus } from './status-view';
import { waitForSwitchoverWindow } from './switchover-window';

/** Options of {@link buildControlServer}. */
export interface ControlServerOptions {
  readonly monitor: Monitor;
  /** The shared secret; undefined only with `insecure_no_auth`. */
  readonly secret: Uint8Array | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly endpoints: Readonly<Record<NodeId, string>>;
  readonly dryRun: boolean;
  readonly rpc: ClusterRpc;
  readonly stakedIdentityPubkey: string | undefined;
  /** `wait_for_leader_gap_slots`, used when a request does not say. */
  readonly defaultLeaderGapSlots: number;
  /** How long a switchover may wait for its window. @default 120000 */
  readonly maxWindowWaitMs?: number;
}

const FINAL: Partial<Record<FailoverEvent['type'], 'completed' | 'rolled-back' | 'failed'>> = {
  'failover-complete': 'completed',
  'rolled-back': 'rolled-back',
  'failover-failed': 'failed',
};

/** Builds the control API without listening; `listen` is the caller's. */
export async function buildControlServer(options: ControlServerOptions): Promise<FastifyInstance> {
  const { clock } = options;
  const replayCache = createReplayCache();
  const rawBodies = new WeakMap<FastifyRequest, string>();
  const app = Fastify({ logger: false, bodyLimit: 16_384, ajv: { customOptions: { coerceTypes: false } } }).withTypeProvider<TypeBoxTypeProvider>();
  const fail = (reply: FastifyReply, code: WireErrorCode, message: string, details?: unknown): FastifyReply =>
    reply.code(WIRE_ERROR_CODES[code].status).send(errorEnvelope(code, message, clock.now(), details));

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    rawBodies.set(request, body as string);
    try {
      done(null, (body as string).trim() === '' ? {} : (JSON.parse(body as string) as unknown));
    } catch {
      done(null, undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json(\s*;|$)/i.test(type)) await fail(reply, 'FAILOVER_UNSUPPORTED_MEDIA_TYPE', 'requests must be application/json');
  });

  app.addHook('preValidation', async (request, reply) => {
    if (options.secret !== undefined) {
      const header = request.headers[AUTH_HEADER];
      const verdict = verifyRequest({
        secret: options.secret,
        header: Array.isArray(header) ? header[0] : header,
        method: request.method,
        path: request.url,
        body: rawBodies.get(request) ?? '',
        now: clock.now(),
        skewMs: DEFAULT_SKEW_MS,
        replayCache,
      });
      if (!verdict.ok) {
        const code = verifyFailureCode(verdict.reason);
        options.log.warn({}, `control API refused a request to ${request.url}: ${code}`);
        await fail(reply, code, WIRE_ERROR_CODES[code].meaning);
        return;
      }
    }
    if (request.body === undefined) await fail(reply, 'FAILOVER_BAD_REQUEST', 'body is not valid JSON');
  });

  app.setErrorHandler(async (error: Error & { code?: string; validation?: unknown[] }, _request, reply) => {
    if (error.validation) return fail(reply, 'FAILOVER_BAD_REQUEST', error.message, error.validation);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 'FAILOVER_PAYLOAD_TOO_LARGE', 'body exceeds 16384 bytes');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 'FAILOVER_UNSUPPORTED_MEDIA_TYPE', 'requests must be application/json');
    options.log.error({}, `control API error: ${error.message}`);
    return fail(reply, 'FAILOVER_INTERNAL', 'internal error; see the manager log');
  });
  app.setNotFoundHandler(async (request, reply) => fail(reply, 'FAILOVER_NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0]}`));

  app.post(CONTROL_PATHS.status, { schema: { body: ControlStatusRequestSchema, response: { 200: ControlStatusSchema, 400: ErrorEnvelopeSchema, 401: ErrorEnvelopeSchema } } }, async () =>
    toControlStatus(options.monitor.snapshot(), options.endpoints, options.dryRun, clock.now()),
  );

  app.post(CONTROL_PATHS.switchover, { schema: { body: SwitchoverRequestSchema } }, async (request, reply) => {
    const stream = new PassThrough();
    const write = (line: SwitchoverLine): void => {
      stream.write(`${JSON.stringify(line)}\n`);
    };
    void reply.type('application/x-ndjson').send(stream);
    void runSwitchover(request.body as SwitchoverRequest, write).finally(() => stream.end());
    return reply;
  });

  async function runSwitchover(body: { reason: string; to?: NodeId; wait_for_leader_gap_slots?: number }, write: (line: SwitchoverLine) => void): Promise<void> {
    const gapSlots = body.wait_for_leader_gap_slots ?? options.defaultLeaderGapSlots;
    options.log.warn({}, `planned switchover requested: ${body.reason}`);
    write({ type: 'waiting', at: clock.now(), detail: gapSlots > 0 ? `for a slot boundary with no leader slot in the next ${gapSlots} slots` : 'for a slot boundary' });
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
          const detail = event.type === 'failover-failed' || event.type === 'rolled-back' ? `${event.failedStep}: ${event.detail}` : undefined;
          const aborted = event.type === 'failover-failed' && event.outcome === 'aborted';
          finished({ type: 'done', at: event.at, outcome: aborted ? 'aborted' : outcome, total_ms: event.at - startedAt, ...(detail === undefined ? {} : { detail }) });
        }
        return;
      }
      if (progress.type === 'step-started') write({ type: 'step-started', at: progress.at, step: progress.step, attempt: progress.attempt, compensating: progress.compensating });
      else write({ type: 'step-finished', at: progress.at, step: progress.step, ok: progress.ok, ms: progress.ms, ...(progress.detail === undefined ? {} : { detail: progress.detail }) });
    };
    const unsubscribe = options.monitor.onProgress((progress) => (accepted === true ? forward(progress) : buffered.push(progress)));
    try {
      const answer = await options.monitor.requestSwitchover(body.reason, body.to ?? null);
      if (!answer.accepted) {
        const refusal = answer.refusal;
        const detail = refusal.kind === 'busy' ? 'a failover is already running' : refusal.kind === 'no-observation' ? 'no heartbeat has been observed yet' : refusal.kind === 'already-active' ? `${refusal.node} already holds the identity` : describeBlockCause(refusal);
        write({ type: 'refused', at: clock.now(), refusal: refusal.kind, detail });
        return;
      }
      write({ type: 'accepted', at: clock.now(), from: answer.plan.from, to: answer.plan.to, steps: answer.plan.steps.map((s) => describeAction(s.action)) });
      accepted = true;
      for (const progress of buffered.splice(0)) forward(progress);
      write(await done);
    } finally {
      unsubscribe();
    }
  }

  return app;
}
