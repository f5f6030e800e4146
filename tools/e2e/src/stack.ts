/**
 * The whole system on one machine, as operators run it: a simulated cluster with two
 * validators, one `failover-agent` process per validator (its built bin, a real
 * `validator-config.json`, listening on the validator's own loopback IP), and the
 * `failover-manager` process with a real `manager-config.json`. Used by the demo, the fault
 * campaign and the benchmarks. `stop()` kills everything; so does the exit of the process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchControlStatus, type ControlTarget } from '@failover/manager';
import { createAgentClient, type AgentClient, type ControlStatus } from '@failover/protocol';
import { startCluster, type SimCluster, type SimValidator } from '@failover/solana-sim';
import {
  freePort,
  startEtcd,
  startFakeTelegram,
  waitFor,
  type EtcdCluster,
  type FakeTelegram,
} from '@failover/testkit';
import { ManagedProcess } from './managed-process';
import { ManagerLog } from './manager-log';
import { startRestartService, type RestartService } from './restart-service';
import { startStackSecureIdentity, type StackSecureIdentity } from './stack-secure';
import { startStackLinks, type StackLinks } from './stack-links';
import { GuardedProcess } from './guarded-process';
import { agentConfig, managerConfig, type TowerStoreChoice } from './stack-config';

const REPO = path.resolve(__dirname, '../../..');
/** The built bins, as `npx failover-agent` would run them. */
export const AGENT_BIN = path.join(REPO, 'packages/agent/bin/failover-agent.js');
/** The built bins, as `npx failover-manager` would run them. */
export const MANAGER_BIN = path.join(REPO, 'packages/manager/bin/failover-manager.js');

/** Options of {@link startStack}. Durations in ms. */
export interface StackOptions {
  /** Slot duration of the simulated cluster; @default 400 */
  readonly slotMs?: number;
  /** Where towers are backed up; @default 'directory' */
  readonly towerStore?: 'directory' | 'etcd';
  /** etcd for `towerStore: 'etcd'`; @default an etcd of `etcdMembers` started (and stopped) by the stack */
  readonly etcd?: EtcdCluster;
  /** Members of the etcd the stack starts for `towerStore: 'etcd'`; @default 1 */
  readonly etcdMembers?: 1 | 3;
  /**
   * Route every link (manager → agent, agent → peer, agent → etcd, agent → cluster RPC)
   * through a cuttable proxy, `stack.links`, for network faults; @default false
   */
  readonly links?: boolean;
  /** Manager `heartbeat_interval` (and `slot_check_interval`); @default max(100, slotMs) */
  readonly heartbeatMs?: number;
  /** Manager `misses_before_failover`; @default 3 */
  readonly misses?: number;
  /** Manager `request_timeout`; @default max(500, heartbeatMs): a first request after start can take longer than a fast heartbeat */
  readonly requestTimeoutMs?: number;
  /** Manager `startup_grace_period`; @default 1000 */
  readonly graceMs?: number;
  /** Manager `failover_cooldown`; @default 30000 */
  readonly cooldownMs?: number;
  /** Manager `slot_diff_threshold`; @default 50 */
  readonly slotThreshold?: number;
  /** Manager `stale_vote_slot_threshold`; @default max(16, 4 s worth of slots) */
  readonly staleVoteSlots?: number;
  /** Agents' `manager_timeout` (the watchdog) and `startup_grace_period` (its first arming); @default 10000 */
  readonly agentManagerTimeoutMs?: number;
  /**
   * Agents' `isolation_timeout`. As operators must, the stack keeps it inside the manager's
   * proof window (`staleVoteSlots` × `slotMs`), with room for the step-down itself; the
   * agent's 20 s default would outlast a window scaled to fast slots, and an isolated active
   * would come back voting next to the one promoted past it (chaos finding F1).
   * @default max(1000, half the proof window)
   */
  readonly isolationTimeoutMs?: number;
  /**
   * Manager `guard_bound`. The stack's agents run without systemd, so no host guard acts for
   * them; the rule that takes the identity off a cut-off active within a bound is their
   * `isolation_timeout`. @default isolationTimeoutMs
   */
  readonly guardBoundMs?: number;
  /**
   * Runs each agent as `failover-agent.service` does: under a watchdog, with the host guard as
   * `ExecStopPost=` (`GuardedProcess`); `guardBoundMs` then defaults to what the unit's times
   * give (docs/agent.md): max(watchdog, stop timeout) + stop timeout.
   */
  readonly hostGuard?: StackHostGuard;
  /**
   * Secure identity mode: a real sshd on each validator's IP (`stack.secure`), and the
   * manager pushes the staked keypair over SSH on promotion; @default false
   */
  readonly secureMode?: boolean;
  /** Notify through a fake Telegram Bot API (`stack.telegram`); @default false */
  readonly telegram?: boolean;
  /** `dry_run` of agents and manager; @default false */
  readonly dryRun?: boolean;
  /** Start the manager with the stack; @default true (else call `stack.manager.start()`) */
  readonly startManager?: boolean;
  /** Last word on each agent's config file. */
  readonly editAgentConfig?: (config: Record<string, unknown>, validator: SimValidator) => Record<string, unknown>;
  /** Last word on the manager's config file. */
  readonly editManagerConfig?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** Keep the working directory (configs, logs) after stop(); @default false */
  readonly keepDir?: boolean;
  /**
   * Process names of v1 and v2 (at most 15 characters, the kernel's limit). Stacks that run at
   * the same time on one host need distinct names, or each agent finds the other stack's
   * validator. @default ['agave-TAG-v1', 'agave-TAG-v2'] with TAG 6 hex digits drawn per stack
   */
  readonly processNames?: readonly [string, string];
}

/** One agent of the stack. */
export interface StackAgent {
  readonly name: string;
  readonly validator: SimValidator;
  /** `http://<validator ip>:<port>`. */
  readonly url: string;
  readonly configPath: string;
  /** The `failover-agent` process (kill, SIGSTOP, restart for faults); under its unit with `hostGuard`. */
  readonly process: ManagedProcess | GuardedProcess;
  /**
   * A signed client. Mind that an authenticated `/status` counts as a manager heartbeat for
   * the agent's watchdog: watch the stack through `manager.status()` instead.
   */
  readonly client: AgentClient;
}

/** The unit's times for agents run under the host guard. */
export interface StackHostGuard {
  /** `WatchdogSec=`. */
  readonly watchdogMs: number;
  /** The agents' `guard_kill_after`. */
  readonly killAfterMs: number;
}

/** `TimeoutStopSec=`: as the unit, 10 s beyond `guard_kill_after` for the guard's start and the kill. */
export function guardStopTimeoutMs(guard: StackHostGuard): number {
  return guard.killAfterMs + 10_000;
}

/** The manager's `guard_bound` that covers the unit's times, as docs/agent.md gives it. */
export function guardBoundFor(guard: StackHostGuard): number {
  return Math.max(guard.watchdogMs, guardStopTimeoutMs(guard)) + guardStopTimeoutMs(guard);
}

/** The manager of the stack. */
export interface StackManager {
  readonly configPath: string;
  readonly process: ManagedProcess;
  /** Its JSON log lines as they come: notified events, failovers with step timings. */
  readonly log: ManagerLog;
  readonly control: ControlTarget;
  /** `failover-manager status` through the control API. */
  status(): Promise<ControlStatus>;
  /** Starts the process and waits until its control API answers. */
  start(): Promise<void>;
}

/** A running stack; see {@link startStack}. */
export interface Stack {
  /** Working directory: configs, `logs/`, the tower store directory. */
  readonly dir: string;
  readonly logDir: string;
  readonly cluster: SimCluster;
  /** The etcd holding towers, with `towerStore: 'etcd'`. */
  readonly etcd: EtcdCluster | undefined;
  /** The cuttable links, with `links: true`. */
  readonly links: StackLinks | undefined;
  readonly telegram: FakeTelegram | undefined;
  /** Both sshd and the manager's SSH settings, with `secureMode: true`. */
  readonly secure: StackSecureIdentity | undefined;
  readonly secretPath: string;
  readonly agents: readonly [StackAgent, StackAgent];
  agent(name: string): StackAgent;
  readonly manager: StackManager;
  /** Validator restarts served for `validator_restart_command`. */
  readonly restarts: RestartService['restarts'];
  /** Kills every process, stops what the stack started, removes the directory unless kept. */
  stop(): Promise<void>;
}

/**
 * Starts the stack: cluster, agents (validator `v1` starts staked and active, `v2` passive),
 * then the manager. Resolves once both agents answer `/health` and the manager's control API
 * answers. On any failure everything already started is stopped before the error is thrown.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (const bin of [AGENT_BIN, MANAGER_BIN]) {
    const dist = path.join(path.dirname(bin), '../dist/index.js');
    if (!existsSync(dist)) throw new Error(`${dist} is missing; build first: npx nx run-many -t build`);
  }
  const slotMs = options.slotMs ?? 400;
  const heartbeatMs = options.heartbeatMs ?? Math.max(100, slotMs);
  const staleVoteSlots = options.staleVoteSlots ?? Math.max(16, Math.ceil(4000 / slotMs));
  const isolationTimeoutMs = options.isolationTimeoutMs ?? Math.max(1000, Math.floor((staleVoteSlots * slotMs) / 2));
  const dir = mkdtempSync(path.join(tmpdir(), 'failover-stack-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { mode: 0o700 });
  const cleanups: Array<() => Promise<void> | void> = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Every validator on this host needs its own process name: an agent that matched another
    // one's (the other validator's, or another stack's in a parallel test run) would report a
    // crashed validator as running.
    const tag = randomBytes(3).toString('hex');
    const cluster = await startCluster({
      validators: [
        { name: 'v1', processName: options.processNames?.[0] ?? `agave-${tag}-v1` },
        { name: 'v2', processName: options.processNames?.[1] ?? `agave-${tag}-v2` },
      ],
      slotMs,
    });
    cleanups.push(() => cluster.stop());
    let etcd: EtcdCluster | undefined;
    if ((options.towerStore ?? 'directory') === 'etcd') {
      etcd = options.etcd ?? (await startEtcd({ members: options.etcdMembers ?? 1 }));
      if (options.etcd === undefined) cleanups.push(() => etcd!.stop());
    }
    const telegram = options.telegram ? await startFakeTelegram() : undefined;
    if (telegram) cleanups.push(() => telegram.stop());

    // The agents read the file's text (trimmed) as the HMAC key, so the harness signs with the same text.
    const secretText = randomBytes(32).toString('hex');
    const secretPath = path.join(dir, 'auth-secret');
    writeFileSync(secretPath, `${secretText}\n`, { mode: 0o600 });
    const secret = Buffer.from(secretText, 'utf8');
    const restarter = startRestartService(path.join(dir, 'restart-requests'), cluster.validators);
    cleanups.push(() => restarter.stop());
    const towerStore: TowerStoreChoice = etcd
      ? { kind: 'etcd', endpoints: etcd.endpoints }
      : { kind: 'directory', dir: path.join(dir, 'towers') };

    const validators = [cluster.validator('v1'), cluster.validator('v2')] as const;
    const listens = await Promise.all(validators.map(async (v) => `${v.ip}:${await freePort(v.ip)}`));
    const env = { ...process.env, ...cluster.env };
    let links: StackLinks | undefined;
    if (options.links) {
      links = await startStackLinks({
        agents: validators.map((v, i) => ({ name: v.name, listen: listens[i]! })),
        etcdEndpoints: etcd?.endpoints ?? [],
        clusterRpcUrl: cluster.rpcUrl,
      });
      cleanups.push(() => links!.stop());
    }
    const makeAgent = (v: SimValidator, i: 0 | 1): StackAgent => {
      const config = agentConfig({
        validator: v,
        stakedPubkey: cluster.stakedPubkey,
        listen: listens[i]!,
        peerUrl: links ? links.of(v.name).toPeer.url : `http://${listens[1 - i]}`,
        secretPath,
        stateDir: path.join(dir, 'state', v.name),
        towerStore:
          links && towerStore.kind === 'etcd'
            ? { kind: 'etcd', endpoints: links.of(v.name).toEtcd.map((p) => p.url) }
            : towerStore,
        restartCommand: restarter.commandFor(v),
        isActiveOnStart: i === 0,
        dryRun: options.dryRun ?? false,
        managerTimeoutMs: options.agentManagerTimeoutMs ?? 10_000,
        startupGraceMs: options.agentManagerTimeoutMs ?? 10_000,
        isolationTimeoutMs,
        ...(options.hostGuard ? { guardKillAfterMs: options.hostGuard.killAfterMs } : {}),
      });
      const configPath = path.join(dir, `${v.name}-validator-config.json`);
      writeJson(configPath, options.editAgentConfig ? options.editAgentConfig(config, v) : config);
      const agentEnv = links ? { ...env, SOLANA_SIM_RPC_URL: links.of(v.name).toCluster.url } : env;
      const agentLog = path.join(logDir, `agent-${v.name}.log`);
      const guard = options.hostGuard;
      const agentProcess = guard
        ? new GuardedProcess({
            name: `agent ${v.name}`,
            script: AGENT_BIN,
            configPath,
            env: agentEnv,
            logPath: agentLog,
            watchdogMs: guard.watchdogMs,
            stopTimeoutMs: guardStopTimeoutMs(guard),
          })
        : new ManagedProcess({
            name: `agent ${v.name}`,
            script: AGENT_BIN,
            args: ['--config', configPath],
            env: agentEnv,
            logPath: agentLog,
          });
      cleanups.push(() => agentProcess.stop());
      const url = `http://${listens[i]}`;
      return {
        name: v.name,
        validator: v,
        url,
        configPath,
        process: agentProcess,
        client: createAgentClient({ baseUrl: url, secret, timeoutMs: 2_000 }),
      };
    };
    const agents = [makeAgent(validators[0], 0), makeAgent(validators[1], 1)] as const;
    // The order operators are told to follow: the passive's agent first, then the active's. The
    // active's isolation watchdog runs from its start, and with the passive's agent already
    // answering it is not cut off while the rest of the stack comes up.
    const [active, passive] = agents;
    passive.process.start();
    await waitForAgent(passive);
    active.process.start();
    await waitForAgent(active);

    let secure: StackSecureIdentity | undefined;
    if (options.secureMode) {
      secure = await startStackSecureIdentity({
        validators,
        dir,
        stakedKeypairPath: cluster.stakedKeypairPath,
        agaveShim: path.join(cluster.binDir, 'agave-validator'),
      });
      cleanups.push(() => secure!.stop());
    }
    const controlPort = await freePort('127.0.0.1');
    const config = managerConfig({
      nodes: [
        {
          endpoint: links?.of('v1').fromManager.url ?? agents[0].url,
          ip: validators[0].ip,
          ledgerPath: validators[0].ledgerDir,
        },
        {
          endpoint: links?.of('v2').fromManager.url ?? agents[1].url,
          ip: validators[1].ip,
          ledgerPath: validators[1].ledgerDir,
        },
      ],
      clusterRpc: cluster.rpcUrl,
      stakedPubkey: cluster.stakedPubkey,
      votePubkey: cluster.votePubkey,
      secretPath,
      stateDir: path.join(dir, 'state', 'manager'),
      controlListen: `127.0.0.1:${controlPort}`,
      heartbeatMs,
      misses: options.misses ?? 3,
      requestTimeoutMs: options.requestTimeoutMs ?? Math.max(500, heartbeatMs),
      slotThreshold: options.slotThreshold ?? 50,
      staleVoteSlots,
      guardBoundMs:
        options.guardBoundMs ??
        (options.hostGuard ? Math.max(isolationTimeoutMs, guardBoundFor(options.hostGuard)) : isolationTimeoutMs),
      startupGraceMs: options.graceMs ?? 1000,
      cooldownMs: options.cooldownMs ?? 30_000,
      dryRun: options.dryRun ?? false,
      ...(telegram ? { telegram: { token: telegram.token, chatId: '-1001234567890', apiRoot: telegram.apiRoot } } : {}),
      ...(secure ? { secure: secure.config } : {}),
    });
    const managerConfigPath = path.join(dir, 'manager-config.json');
    writeJson(managerConfigPath, options.editManagerConfig ? options.editManagerConfig(config) : config);
    const log = new ManagerLog();
    const managerProcess = new ManagedProcess({
      name: 'manager',
      script: MANAGER_BIN,
      args: ['--config', managerConfigPath],
      env,
      logPath: path.join(logDir, 'manager.log'),
      onLine: (line) => log.push(line),
    });
    cleanups.push(() => managerProcess.stop());
    const control: ControlTarget = { host: '127.0.0.1', port: controlPort, secret, timeoutMs: 2_000 };
    const manager: StackManager = {
      configPath: managerConfigPath,
      process: managerProcess,
      log,
      control,
      status: () => fetchControlStatus(control),
      async start() {
        managerProcess.start();
        await untilReady(managerProcess, `the manager's control API on 127.0.0.1:${controlPort}`, async () => {
          await manager.status();
          return true;
        });
      },
    };
    if (options.startManager ?? true) await manager.start();

    return {
      dir,
      logDir,
      cluster,
      etcd,
      links,
      telegram,
      secure,
      secretPath,
      agents,
      agent: (name) => {
        const found = agents.find((a) => a.name === name);
        if (!found) throw new Error(`no agent named '${name}' (have v1, v2)`);
        return found;
      },
      manager,
      restarts: restarter.restarts,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForAgent(agent: StackAgent): Promise<void> {
  await untilReady(
    agent.process,
    `agent ${agent.name} to answer GET ${agent.url}/health`,
    async () => (await agent.client.health()).ok,
  );
}

/** Polls `ready` until it holds; fails at once, naming the log, when the process exits instead. */
async function untilReady(
  child: ManagedProcess | GuardedProcess,
  description: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  // A bound on start-up, not a speed claim: on a loaded host a cold Node.js start of a bin and
  // its first probe of the validator take well over 15 s.
  const outcome = await waitFor(async () => (!child.isRunning() ? 'exited' : (await ready()) || undefined), {
    description,
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  if (outcome === 'exited')
    throw new Error(
      `${child.name} exited (${JSON.stringify(child.lastExit)}) before ${description}; see ${child.logPath}`,
    );
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}
