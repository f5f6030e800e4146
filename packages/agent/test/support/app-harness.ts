import type { StepResult } from '@failover/core';
import { AUTH_HEADER, NODE_HEADER, signRequest, systemClock, type LocalRpc, type RpcResult } from '@failover/protocol';
import { tempDir, type TempDir } from '@failover/testkit';
import type { FastifyBaseLogger, FastifyInstance, InjectOptions } from 'fastify';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openAgentFence, type AgentFence } from '../../src/agent-fence';
import { buildApp, type AgentAppOptions } from '../../src/app';
import type { ProcessSnapshot } from '../../src/process-probe';
import { createRoleRunner, type RoleRunner } from '../../src/role-runner';
import {
  combineKeepers,
  createTowerKeeper,
  TOWER_FILE,
  VOTE_HISTORY_FILE,
  type FileKeeper,
  type KeptFile,
  type TowerKeeper,
} from '../../src/tower-keeper';
import { createDirectoryTowerStore } from '../../src/tower-store';
import { createProcessWatch } from '../../src/process-watch';
import { createValidatorSampler } from '../../src/validator-sampler';
import { recordingLogger } from './recording-logger';

export const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
/** The node name of the agent under test. */
export const NODE = 'agent-under-test';
/** The term and sender the harness's manager stamps on changing requests. */
export const TERM = { term: 5, sender: 'manager-0123456789abcdef' } as const;
export const STAKED = 'Stake11111111111111111111111111111111111111';
/** The URL the stubbed validator RPC's results name. */
export const RPC = 'http://127.0.0.1:8899';
/** The harness's background validator probe: every 50 ms. */
export const SAMPLE_INTERVAL_MS = 50;
/**
 * A probe's deadline where a test is about overdue probes. Elsewhere it is {@link RELAXED_DEADLINE_MS}:
 * a set-up that stalls the event loop on a loaded machine (modules compiled on first import)
 * would otherwise make the latest probe overdue and the validator unhealthy in tests about
 * something else.
 */
export const SAMPLE_DEADLINE_MS = 300;
const RELAXED_DEADLINE_MS = 60_000;

/** A gate a test opens when it wants the pending role-change steps to finish. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}
export function gate(): Gate {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly role: RoleRunner;
  readonly keeper: TowerKeeper;
  readonly fence: AgentFence;
  readonly steps: string[];
  /** Reasons `exit` was called with. */
  readonly exits: string[];
  /** Times the stop command ran. */
  readonly stopCommands: number;
  readonly dir: TempDir;
  /** What the validator's RPC answers; with `hang` its calls never return, like a frozen (SIGSTOP) validator's. */
  rpc: { health: RpcResult<true>; slot: RpcResult<number>; identity: RpcResult<string>; hang: boolean };
  /** Calls to the validator's RPC that `hang` holds unanswered right now. */
  hungCalls(): number;
  /** Calls to the validator's getIdentity so far: one per sample, or per identity read. */
  identityCalls(): number;
  stepGate: Gate | undefined;
  /** Sends a signed request for {@link NODE}. */
  signed(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    extra?: Partial<InjectOptions>,
  ): ReturnType<FastifyInstance['inject']>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly initialRole?: 'active' | 'passive';
  readonly dryRun?: boolean;
  readonly allowedIps?: readonly string[];
  readonly auth?: AgentAppOptions['auth'];
  readonly failStep?: string;
  /** Configure `agent_stop_command`. */
  readonly stopCommand?: boolean;
  /** The state directory of the fence; a test restarting the app passes the first one's. @default a temp dir */
  readonly stateDir?: string;
  /** Deadline of each validator probe; {@link SAMPLE_DEADLINE_MS} for tests about overdue probes. @default 60 s */
  readonly sampleDeadlineMs?: number;
  /** From one background probe to the next. @default {@link SAMPLE_INTERVAL_MS} */
  readonly sampleIntervalMs?: number;
  /** What the validator's getHealth answers from the start, before the first probe. @default healthy */
  readonly health?: RpcResult<true>;
  /**
   * The confirm steps read the identity through a sample of the sampler's, as the agent's own
   * steps do without identity_check_command, and the app is told so. @default false
   */
  readonly confirmBySample?: boolean;
  /** fastify's logger, for tests of the request log. @default none */
  readonly logger?: FastifyBaseLogger;
  /** What the validator's identity becomes when a step of this kind runs (a switch). */
  readonly switches?: Readonly<Record<string, string>>;
}

/** The real app and role runner, with the validator's side (steps, RPC, /proc) stubbed as data. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = tempDir('agent-app');
  const steps: string[] = [];
  /** The cluster slot a reachability probe reads; it advances with every probe. */
  let clusterSlot = 5_000;
  const harness = {
    steps,
    exits: [] as string[],
    stopCommands: 0,
    dir,
    rpc: {
      health: options.health ?? { ok: true, value: true, endpoint: RPC },
      slot: { ok: true, value: 1234, endpoint: RPC },
      identity: { ok: true, value: STAKED, endpoint: RPC },
      hang: false,
    },
    stepGate: undefined as Gate | undefined,
  } as Harness;
  const role = createRoleRunner({
    initialRole: options.initialRole ?? 'passive',
    clock: systemClock,
    machine: { managerTimeoutMs: 60_000 },
    executeStep: async (step): Promise<StepResult> => {
      if (harness.stepGate) await harness.stepGate.opened;
      steps.push(step.action.kind);
      const switched = options.switches?.[step.action.kind];
      if (switched !== undefined) harness.rpc.identity = { ok: true, value: switched, endpoint: RPC };
      const confirming = step.action.kind === 'confirm-unstaked' || step.action.kind === 'confirm-identity';
      if (confirming && options.confirmBySample === true) await sampler.sample();
      return step.action.kind === options.failStep ? { ok: false, detail: `${step.action.kind} broke` } : { ok: true };
    },
    askPeer: async () => ({ answer: 'unreachable', detail: null }),
    checkIdentity: async () => ({ identity: 'unknown', detail: null }),
    probeReachability: async () => ({ peer: false, clusterSlot: (clusterSlot += 1) }),
    logger: recordingLogger(),
  });
  const keeperOf = (file: KeptFile, fileName: string): FileKeeper =>
    createTowerKeeper({
      towerFile: path.join(dir.path, fileName),
      file,
      identity: STAKED,
      store: createDirectoryTowerStore({ directory: path.join(dir.path, 'store'), identity: STAKED, file: file.kind }),
      source: 'test',
      dryRun: false,
      logger: recordingLogger(),
      clock: systemClock,
    });
  const keeper = combineKeepers(
    keeperOf(TOWER_FILE, `tower-1_9-${STAKED}.bin`),
    keeperOf(VOTE_HISTORY_FILE, `vote_history-${STAKED}.bin`),
    systemClock,
  );
  const hung: Array<() => void> = [];
  let identityCalls = 0;
  const answer =
    <T>(pick: () => RpcResult<T>) =>
    (): Promise<RpcResult<T>> =>
      harness.rpc.hang
        ? new Promise((resolve) =>
            hung.push(() => resolve({ ok: false, reason: 'timeout', message: 'stopped', endpoint: RPC })),
          )
        : Promise.resolve(pick());
  const localRpc: LocalRpc = {
    getHealth: answer(() => harness.rpc.health),
    getSlot: answer(() => harness.rpc.slot),
    getIdentity: () => {
      identityCalls++;
      return answer(() => harness.rpc.identity)();
    },
    getVersion: answer(() => ({ ok: true, value: '2.3.0', endpoint: RPC })),
  };
  const running: ProcessSnapshot = {
    running: true,
    pids: [42],
    uptimeSeconds: 600,
    recentRestarts: 0,
    crashLoop: false,
  };
  const processWatch = createProcessWatch({ clock: systemClock, confirm: () => sampler.refresh(1_000) });
  const sampler = createValidatorSampler({
    onSample: (sample) => processWatch.observe(sample),
    probe: { probe: async () => running },
    localRpc,
    clock: systemClock,
    intervalMs: options.sampleIntervalMs ?? SAMPLE_INTERVAL_MS,
    deadlineMs: options.sampleDeadlineMs ?? RELAXED_DEADLINE_MS,
  });
  await sampler.start();
  const stateDir = options.stateDir ?? path.join(dir.path, 'state');
  mkdirSync(stateDir, { recursive: true });
  const fence = await openAgentFence({ stateDir, clock: systemClock, logger: recordingLogger() });
  const app = await buildApp({
    role,
    // The harness's agent has no hooks; the hooks integration test runs check_promote for real.
    checkPromote: async () => ({ result: 'ok', message: 'no pre_promote hook configured', warnings: [] }),
    keeper,
    sampler,
    changesConfirmedBySample: options.confirmBySample === true,
    processWatch,
    currentIdentity: localRpc.getIdentity,
    auth: options.auth ?? { mode: 'secret', secret: SECRET },
    node: NODE,
    fence,
    allowedIps: options.allowedIps ?? [],
    dryRun: options.dryRun ?? false,
    exit: (reason) => harness.exits.push(reason),
    clock: systemClock,
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    ...(options.stopCommand
      ? {
          stopCommand: async () => {
            (harness as { stopCommands: number }).stopCommands++;
            return {
              ok: true,
              exitCode: 0,
              stdout: '',
              stderr: '',
              durationMs: 0,
              timedOut: false,
              dryRun: false,
              command: 'systemctl stop failover-agent',
            };
          },
        }
      : {}),
  });
  Object.assign(harness, {
    app,
    role,
    keeper,
    fence,
    signed(method: 'GET' | 'POST', url: string, body?: unknown, extra: Partial<InjectOptions> = {}) {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const headers: Record<string, string> = {
        [NODE_HEADER]: NODE,
        [AUTH_HEADER]: signRequest({ secret: SECRET, method, path: url, node: NODE, body: payload, now: Date.now() }),
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return app.inject({ method, url, headers, ...(body === undefined ? {} : { payload }), ...extra });
    },
    hungCalls: () => hung.length,
    identityCalls: () => identityCalls,
    async close() {
      harness.stepGate?.open();
      for (const release of hung.splice(0)) release();
      await sampler.stop();
      await processWatch.stop();
      await role.stop();
      await app.close();
      dir.remove();
    },
  });
  return harness;
}

export const now = (): number => Math.floor(Date.now() / 1000);
