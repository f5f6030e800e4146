/**
 * The whole system on one machine for the manager's integration tests: the simulated
 * cluster with two validators, a real etcd for towers, two real agents (the built
 * `failover-agent` bin, as operators run it), the fake Telegram Bot API, and the manager
 * started in-process from a config file object, or as a process of its own that a test may
 * kill. Every manager gets the rig's own `state_dir`. `stop()` tears everything down, also
 * after a failed test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '@failover/notifier';
import { resolveManagerConfigFile, secretOf } from '@failover/protocol';
import { startCluster, type SimCluster, type SimValidator } from '@failover/solana-sim';
import {
  freePort,
  startCuttableProxy,
  startEtcd,
  startFakeTelegram,
  waitFor,
  type CuttableProxy,
  type EtcdCluster,
  type FakeTelegram,
} from '@failover/testkit';
import type { ControlTarget } from '../../src/control-client';
import { loadManagerAuth, startManager, type ManagerHandle } from '../../src/start-manager';

// The agent as an operator installs it: the package found by its name, its `failover-agent`
// bin, and the built entry point that bin loads.
const AGENT_PACKAGE_JSON = require.resolve('@failover/agent/package.json');
const AGENT_PACKAGE = JSON.parse(readFileSync(AGENT_PACKAGE_JSON, 'utf8')) as {
  main: string;
  bin: { 'failover-agent': string };
};
const AGENT_BIN = join(dirname(AGENT_PACKAGE_JSON), AGENT_PACKAGE.bin['failover-agent']);
const AGENT_DIST = join(dirname(AGENT_PACKAGE_JSON), AGENT_PACKAGE.main);
// The manager from its sources, resolved through the workspace's source paths: a test that kills
// it runs the code under test, never a stale build.
const MANAGER_BIN = join(__dirname, 'manager-bin.ts');
const SOURCE_PATHS = join(__dirname, '..', '..', '..', '..', 'tsconfig.base.json');

/** The manager run as its own process (`failover-manager --config FILE`). */
export interface ManagerProcess {
  readonly process: ChildProcess;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
}

export interface RigAgent {
  readonly validator: SimValidator;
  /** Where the manager reaches the agent (through the proxy when one was asked for). */
  readonly managerUrl: string;
  readonly url: string;
  readonly process: ChildProcess;
  output: string;
}

export interface Rig {
  readonly dir: string;
  readonly cluster: SimCluster;
  readonly etcd: EtcdCluster;
  readonly telegram: FakeTelegram;
  readonly secretPath: string;
  readonly agents: readonly [RigAgent, RigAgent];
  /** Between the manager and validator1's agent, when `proxyActive` was set. */
  readonly proxy: CuttableProxy | undefined;
  /** Between the manager and validator2's agent, when `proxyPassive` was set. */
  readonly passiveProxy: CuttableProxy | undefined;
  /** The manager's state directory, shared by every manager the rig starts. */
  readonly stateDir: string;
  /** The manager's control API, as `failover-manager status` reaches it. */
  control(): Promise<ControlTarget>;
  /** The manager config file object for this rig; `overrides` replace top-level keys. */
  managerConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Starts the manager in-process; its log lines are kept in `managerLog`. */
  startManager(overrides?: Record<string, unknown>): Promise<ManagerHandle>;
  /** Writes the config to `manager-config.json` and runs the manager as a process of its own. */
  spawnManager(overrides?: Record<string, unknown>): ManagerProcess;
  /** The path of the config file `spawnManager` wrote last; each spawn writes a file of its own. */
  readonly managerConfigPath: string;
  readonly managerLog: string[];
  stop(): Promise<void>;
}

export interface RigOptions {
  readonly slotMs?: number;
  /** Put a cuttable proxy between the manager and validator1's agent. */
  readonly proxyActive?: boolean;
  /** Put a cuttable proxy between the manager and validator2's agent. */
  readonly proxyPassive?: boolean;
  /** Dry-run agents. @default false */
  readonly agentDryRun?: boolean;
  /** Members of the rig's etcd (towers, and the managers' election when a test configures one). @default 1 */
  readonly etcdMembers?: 1 | 3;
  /**
   * A cluster that can switch to Alpenglow (agave 4.3, a migration window of
   * {@link RIG_MIGRATION_SLOTS} slots, matched by the manager's config); it starts on TowerBFT
   * until `cluster.activateAlpenglow()`. @default false
   */
  readonly alpenglow?: boolean;
}

/** The migration window of an `alpenglow` rig: short, so that tests reach the switch in seconds. */
export const RIG_MIGRATION_SLOTS = 20;

/** Starts the rig; on any start-up failure everything already started is stopped. */
export async function startRig(options: RigOptions = {}): Promise<Rig> {
  if (!existsSync(AGENT_DIST))
    throw new Error(`the agent is not built (${AGENT_DIST}); run: npx nx run @failover/agent:build`);
  const dir = mkdtempSync(join(tmpdir(), 'failover-rig-'));
  const stops: (() => Promise<void>)[] = [];
  const managers: ManagerHandle[] = [];
  const managerLog: string[] = [];
  let agentsForDump: readonly RigAgent[] = [];
  let telegramForDump: FakeTelegram | undefined;
  const stopAll = async (): Promise<void> => {
    // RIG_DUMP=file keeps what every party said, for diagnosing a failed run.
    const dump = process.env.RIG_DUMP;
    if (dump !== undefined) {
      const telegramLines = telegramForDump?.messages.map((m) => m.text) ?? [];
      writeFileSync(
        dump,
        [...managerLog, '--- telegram', ...telegramLines, '--- agents', ...agentsForDump.map((a) => a.output)].join(
          '\n',
        ),
      );
    }
    for (const manager of managers.splice(0)) await manager.stop('test over').catch(() => undefined);
    for (const stop of stops.reverse().splice(0)) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Both validators run on this one host: with one process name each agent could find the
    // other's validator and report a crashed one as running (and lagging) instead of down.
    const cluster = await startCluster({
      validators: [
        { name: 'v1', processName: 'agave-rig-v1' },
        { name: 'v2', identity: 'unstaked', processName: 'agave-rig-v2' },
      ],
      slotMs: options.slotMs ?? 100,
      ...(options.alpenglow === true ? { version: '4.3.0', migrationSlots: RIG_MIGRATION_SLOTS } : {}),
    });
    stops.push(() => cluster.stop());
    const etcd = await startEtcd({ members: options.etcdMembers ?? 1 });
    stops.push(() => etcd.stop());
    const telegram = await startFakeTelegram();
    telegramForDump = telegram;
    stops.push(() => telegram.stop());
    const secretPath = join(dir, 'secret');
    writeFileSync(secretPath, 'rig-shared-secret-0123456789abcdef', { mode: 0o600 });

    const ports = [await freePort('127.0.0.1'), await freePort('127.0.0.1')] as const;
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const proxy =
      options.proxyActive === true ? await startCuttableProxy({ target: `127.0.0.1:${ports[0]}` }) : undefined;
    if (proxy !== undefined) stops.push(() => proxy.stop());
    const passiveProxy =
      options.proxyPassive === true ? await startCuttableProxy({ target: `127.0.0.1:${ports[1]}` }) : undefined;
    if (passiveProxy !== undefined) stops.push(() => passiveProxy.stop());
    const viaProxy = [proxy, passiveProxy] as const;

    const agents = [0, 1].map((i) => {
      const v = cluster.validators[i]!;
      const ledger = v.ledgerDir;
      const config = {
        listen_addr: `127.0.0.1:${ports[i]}`,
        local_rpc: v.rpcUrl,
        process_name: v.processName,
        peer_endpoint: urls[1 - i],
        is_active_on_start: i === 0,
        manager_timeout: '60s',
        identity_change_command: `agave-validator -l ${ledger} set-identity --require-tower ${v.stakedKeypairPath}`,
        identity_remove_command: `agave-validator -l ${ledger} set-identity ${v.unstakedKeypairPath}`,
        active_identity_symlink_command: `ln -sf ${v.stakedKeypairPath} ${v.identitySymlink}`,
        passive_identity_symlink_command: `ln -sf ${v.unstakedKeypairPath} ${v.identitySymlink}`,
        // Stands in for `systemctl restart solana`: the rig restarts the validator when asked.
        validator_restart_command: `touch ${join(dir, `restart-${v.name}`)}`,
        tower_file_path: `${ledger}/tower-1_9-{validator_identity}.bin`,
        validator_identity: cluster.stakedPubkey,
        local_ip: v.ip,
        cluster_rpc: cluster.rpcUrl,
        ledger_path: ledger,
        dry_run: options.agentDryRun ?? false,
        auth_secret_file: secretPath,
        tower_store: 'etcd',
        etcd_endpoints: etcd.endpoints,
        startup_grace_period: '0s',
        // Never the default /var/lib path: suites run in parallel, and a shared term would couple them.
        state_dir: join(dir, `state-${v.name}`),
      };
      const configPath = join(dir, `agent-${v.name}.json`);
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      const child = spawn(process.execPath, [AGENT_BIN, '--config', configPath], {
        env: { ...process.env, ...cluster.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const agent: RigAgent = {
        validator: v,
        url: urls[i]!,
        managerUrl: viaProxy[i]?.url ?? urls[i]!,
        process: child,
        output: '',
      };
      child.stdout?.on('data', (chunk: Buffer) => (agent.output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (agent.output += chunk.toString()));
      stops.push(() => stopChild(child));
      return agent;
    }) as [RigAgent, RigAgent];
    agentsForDump = agents;
    for (const agent of agents) {
      await waitFor(
        async () => {
          // An agent that exited (its address taken, a config it refused) will never answer.
          if (agent.process.exitCode !== null || agent.process.signalCode !== null)
            throw new Error(
              `agent ${agent.validator.name} exited (${agent.process.exitCode ?? agent.process.signalCode})`,
            );
          return (
            (await fetch(`${agent.url}/health`).then(
              (r) => r.ok,
              () => false,
            )) || undefined
          );
        },
        { timeoutMs: 15_000, description: `agent of ${agent.validator.name} to answer /health` },
      ).catch((error: unknown) => {
        // What the agent printed until the wait ended, not until it began.
        throw new Error(`${String(error)}\n--- agent ${agent.validator.name} output:\n${agent.output}`, {
          cause: error,
        });
      });
    }
    // Restart requests from validator_restart_command, served like systemd would.
    const restarter = setInterval(() => {
      for (const agent of agents) {
        const flag = join(dir, `restart-${agent.validator.name}`);
        if (existsSync(flag)) {
          rmSync(flag, { force: true });
          void agent.validator.restart().catch(() => undefined);
        }
      }
    }, 50);
    stops.push(async () => clearInterval(restarter));

    const controlPort = await freePort('127.0.0.1');
    const stateDir = join(dir, 'manager-state');
    let managerConfigPath = join(dir, 'manager-config.json');
    let spawned = 0;
    const managerConfig = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
      validator1: {
        endpoint: agents[0].managerUrl,
        ip: agents[0].validator.ip,
        ledger_path: agents[0].validator.ledgerDir,
      },
      validator2: {
        endpoint: agents[1].managerUrl,
        ip: agents[1].validator.ip,
        ledger_path: agents[1].validator.ledgerDir,
      },
      cluster_rpc: cluster.rpcUrl,
      heartbeat_interval: '200ms',
      misses_before_failover: 3,
      slot_diff_threshold: 50,
      request_timeout: '500ms',
      slot_check_interval: '400ms',
      startup_grace_period: '0s',
      failover_cooldown: '1m',
      dry_run: false,
      auth_secret_file: secretPath,
      staked_identity_pubkey: cluster.stakedPubkey,
      vote_account_pubkey: cluster.votePubkey,
      stale_vote_slot_threshold: 40,
      // The rig's agents run without the host guard: the bound is the proof window's, not a guard's.
      guard_bound: '2s',
      telegram_bot_token: telegram.token,
      telegram_chat_id: '-1001234',
      telegram_api_root: telegram.apiRoot,
      control_listen: `127.0.0.1:${controlPort}`,
      state_dir: stateDir,
      ...(options.alpenglow === true ? { alpenglow_migration_slots: RIG_MIGRATION_SLOTS } : {}),
      ...overrides,
    });
    const resolveConfig = (overrides: Record<string, unknown> = {}) => {
      const resolved = resolveManagerConfigFile({ raw: managerConfig(overrides), env: {} });
      if (!resolved.ok) throw new Error(`rig manager config: ${JSON.stringify(resolved.problems)}`);
      return resolved.config;
    };

    return {
      dir,
      cluster,
      etcd,
      telegram,
      secretPath,
      agents,
      proxy,
      passiveProxy,
      stateDir,
      managerConfig,
      get managerConfigPath() {
        return managerConfigPath;
      },
      managerLog,
      async control() {
        const secret = secretOf(await loadManagerAuth(resolveConfig()));
        return { host: '127.0.0.1', port: controlPort, secret, timeoutMs: 2_000 };
      },
      async startManager(overrides) {
        const config = resolveConfig(overrides);
        const stream = new PassThrough();
        stream.on('data', (chunk: Buffer) => managerLog.push(chunk.toString().trimEnd()));
        const logger = createLogger({ stream, level: 'debug' });
        const auth = await loadManagerAuth(config);
        const manager = await startManager({ config, auth, logger });
        managers.push(manager);
        return manager;
      },
      spawnManager(overrides) {
        resolveConfig(overrides);
        spawned += 1;
        // A file per spawn: a manager still starting must not read the next one's config.
        managerConfigPath = join(dir, spawned === 1 ? 'manager-config.json' : `manager-config-${spawned}.json`);
        writeFileSync(managerConfigPath, JSON.stringify(managerConfig(overrides), null, 2));
        const child = spawn(process.execPath, ['--import', 'tsx', MANAGER_BIN, '--config', managerConfigPath], {
          env: { ...process.env, TSX_TSCONFIG_PATH: SOURCE_PATHS },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const keep = (chunk: Buffer): void => {
          output += chunk.toString();
        };
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        const exited = new Promise<void>((resolveExit) =>
          child.once('exit', () => {
            managerLog.push(output);
            resolveExit();
          }),
        );
        stops.push(() => stopChild(child));
        return { process: child, output: () => output, exited };
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
