import { isValidPubkey, type Clock, type Logger, type Role } from '@failover/core';
import { systemClock, type AgentConfig } from '@failover/protocol';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import path from 'node:path';
import { secretsToRedact, warnAboutAuth, type AgentAuth } from './agent-auth';
import { buildApp } from './app';
import { createCommandRunner } from './command-runner';
import { createFinalBackupRetry } from './final-backup-retry';
import { AgentIdentityError, AgentTowerPathError } from './errors';
import { detectLocalIp } from './local-ip';
import { createPeerAsker, noPeer } from './peer-client';
import { createProcessProbe, type ValidatorProbe } from './process-probe';
import { detectStartRole, type StartRole } from './role-detection';
import { createRoleRunner, holdsIdentity, type RoleRunner } from './role-runner';
import { createStepExecutor } from './role-steps';
import { createSymlinkReader } from './identity-symlink';
import { createTowerKeeper, type TowerKeeper } from './tower-keeper';
import { createTowerWatcher } from './tower-watcher';
import { createCommandTowerStore, createDirectoryTowerStore, createEtcdTowerStore, type TowerStore } from './tower-store';
import { createClusterRpc, createLocalRpc, type RpcResult } from './validator-rpc';
import { createValidatorSampler, type ValidatorSampler } from './validator-sampler';

/** Options of {@link createAgent}. */
export interface CreateAgentOptions {
  /** The loaded, frozen config (`loadAgentConfig`). */
  readonly config: AgentConfig;
  /** The authentication, loaded once at start (`loadAgentAuth`). */
  readonly auth: AgentAuth;
  /** The logger for fastify and every part (the notifier's logger in production). */
  readonly logger: FastifyBaseLogger;
  /** Called when `/shutdown` asks the agent to exit (without `agent_stop_command`). */
  readonly exit: (reason: string) => void;
  /** @default the real clock */
  readonly clock?: Clock;
  /** Environment of the configured commands. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where to find processes. @default '/proc' */
  readonly procRoot?: string;
  /** Local RPC deadline of identity checks and start-up. @default 2_000 */
  readonly rpcTimeoutMs?: number;
  /** Between two background probes of the validator that `/status` answers from. @default 400 */
  readonly statusProbeIntervalMs?: number;
  /** Deadline of each background probe; a probe later than this makes the RPC unhealthy. @default 1_000 */
  readonly statusProbeDeadlineMs?: number;
  /** Watchdog tick. @default min(1 s, manager_timeout / 4) */
  readonly watchdogIntervalMs?: number;
  /** Pause between identity confirmations. @default 250 */
  readonly confirmBackoffMs?: number;
}

/** A wired agent, not yet listening. */
export interface Agent {
  readonly app: FastifyInstance;
  readonly role: RoleRunner;
  readonly keeper: TowerKeeper;
  readonly probe: ValidatorProbe;
  /** The background probe `/status` answers from. */
  readonly sampler: ValidatorSampler;
  /** The role at start-up and what decided it. */
  readonly startRole: StartRole;
  /** Starts the watchdog. */
  start(): void;
  /** Stops the watchdog, waits for a running role change, closes the app and the store. */
  close(): Promise<void>;
}

/**
 * Wires an agent from its config: secret, stores, probes, the role machine and the HTTP app.
 * Refuses to build one that could not be safe (no authentication chosen, no staked identity,
 * no tower location), with an error that says what to set.
 */
export async function createAgent(options: CreateAgentOptions): Promise<Agent> {
  const { config } = options;
  const log: Logger = options.logger;
  const clock = options.clock ?? systemClock;

  const { auth } = options;
  warnAboutAuth(auth, log);
  const identity = config.validatorIdentity;
  if (identity === undefined || !isValidPubkey(identity)) throw new AgentIdentityError(identity);
  const towerFile = config.towerFilePath ?? (config.ledgerPath ? path.join(config.ledgerPath, `tower-1_9-${identity}.bin`) : undefined);
  if (towerFile === undefined) throw new AgentTowerPathError();
  const change = config.commands.identityChange;
  if (change !== undefined && !change.includes('--require-tower')) {
    // The Go README's example omits it; without it agave takes the identity even when the
    // restored tower is missing or unreadable, and votes from an empty tower (S2).
    log.warn({ command: 'identity_change_command' }, 'identity_change_command has no --require-tower; add it so the validator refuses the staked identity without the restored tower');
  }
  if (config.dryRun) log.warn({ dry_run: true }, 'dry-run: commands are logged as "would execute", no tower is written or removed; set dry_run: false to act');

  const secrets = secretsToRedact(auth);
  const placeholders: Record<string, string> = { validator_identity: identity, local_rpc: config.localRpc, tower_file: towerFile };
  if (config.ledgerPath) placeholders.ledger = config.ledgerPath;
  const runner = createCommandRunner({ placeholders, dryRun: config.dryRun, timeoutMs: config.commandTimeoutMs, secrets, logger: log, ...(options.env ? { env: options.env } : {}) });

  const store = createStore(config, identity, towerFile, runner);
  const source = `${hostname()} ${config.listenAddr}`;
  // The role runner is built later (its steps need the keeper); a fence can only come from a
  // backup, and backups run only once the agent has started.
  let fencedListener: (detail: string) => void = () => undefined;
  const keeper = createTowerKeeper({ towerFile, identity, store, source, dryRun: config.dryRun, logger: log, clock, onFenced: (detail) => fencedListener(detail) });

  const localRpc = createLocalRpc({ url: config.localRpc, timeoutMs: options.rpcTimeoutMs ?? 2_000 });
  const currentIdentity = (): Promise<RpcResult<string>> => {
    const check = config.commands.identityCheck;
    if (check === undefined) return localRpc.getIdentity();
    return runner.run('identity_check_command', check, { readOnly: true }).then((result) => {
      const pubkey = result.stdout.split(/\s+/).find(isValidPubkey);
      if (result.ok && pubkey !== undefined) return { ok: true, value: pubkey };
      return { ok: false, kind: 'bad-response', error: `identity_check_command printed no pubkey (exit ${result.exitCode})` };
    });
  };

  const localIp = config.localIp ?? detectLocalIp();
  const gossipCommand = config.commands.gossipCheck;
  const clusterRpc = config.clusterRpc ? createClusterRpc({ url: config.clusterRpc, timeoutMs: options.rpcTimeoutMs ?? 2_000 }) : undefined;
  const startRole = await detectStartRole({
    stakedIdentity: identity,
    isActiveOnStart: config.isActiveOnStart,
    localIdentity: currentIdentity,
    ...(gossipCommand ? { gossipCheck: () => runner.run('gossip_check_command', gossipCommand, { readOnly: true }) } : {}),
    ...(clusterRpc ? { clusterNodes: () => clusterRpc.getClusterNodes() } : {}),
    ...(localIp ? { localIp } : {}),
    logger: log,
  });
  const version = await localRpc.getVersion();
  log.info(
    { decided_by: startRole.decidedBy, detail: startRole.detail, validator_version: version.ok ? version.value : `unknown (${version.error})` },
    `starting as ${startRole.role}`,
  );

  const managerTimeoutMs = config.managerTimeoutMs;
  const probe = createProcessProbe({ processName: config.processName, ...(options.procRoot ? { procRoot: options.procRoot } : {}), clock });
  const askPeer = config.peerEndpoint
    ? createPeerAsker({ endpoint: config.peerEndpoint, secret: auth.mode === 'secret' ? auth.secret : undefined, self: config.listenAddr, clock })
    : noPeer;
  // Ticks often enough that an isolated node steps down within an eighth of its
  // isolation_timeout of the limit, and a paused agent is told from a slow tick.
  const isolationTickMs = config.isolationTimeoutMs > 0 ? Math.floor(config.isolationTimeoutMs / 8) : Infinity;
  const watchdogIntervalMs = options.watchdogIntervalMs ?? Math.max(10, Math.min(1_000, Math.floor(managerTimeoutMs / 4), isolationTickMs));
  // Built before the role runner, which its steps need; it reads the role only once running.
  let roleNow: () => Role = () => 'unknown';
  const finalBackupRetry = createFinalBackupRetry({ keeper, role: () => roleNow(), clock, logger: log });
  const role = createRoleRunner({
    initialRole: startRole.role,
    clock,
    machine: {
      managerTimeoutMs,
      startupGraceMs: config.startupGracePeriodMs,
      peerCheckIntervalMs: Math.min(10_000, managerTimeoutMs),
      stepTimeouts: { commandMs: config.commandTimeoutMs },
      isolationTimeoutMs: config.isolationTimeoutMs,
      tickIntervalMs: watchdogIntervalMs,
    },
    executeStep: createStepExecutor({
      commands: config.commands,
      runner,
      keeper,
      stakedIdentity: identity,
      currentIdentity,
      probe,
      symlinkPubkey: createSymlinkReader(config.identitySymlinkPath),
      finalBackupRetry,
      dryRun: config.dryRun,
      clock,
      logger: log,
      ...(options.confirmBackoffMs === undefined ? {} : { confirmBackoffMs: options.confirmBackoffMs }),
    }),
    askPeer,
    checkIdentity: async () => {
      const identity = await currentIdentity();
      if (!identity.ok) return { identity: 'unknown', detail: identity.error };
      return { identity: identity.value === config.validatorIdentity ? 'staked' : 'unstaked', detail: identity.value };
    },
    // Any answer counts: the question is whether this node is cut off, not who is active.
    probeReachability: async () => {
      const [peer, cluster] = await Promise.all([askPeer(), clusterRpc ? clusterRpc.getSlot() : Promise.resolve({ ok: false })]);
      return { peer: peer.answer !== 'unreachable', cluster: cluster.ok };
    },
    logger: log,
    watchdogIntervalMs,
  });
  fencedListener = (detail) => role.towerFenced(detail);
  roleNow = () => role.role();

  const watcher = createTowerWatcher({ towerFile, isActive: () => holdsIdentity(role.role()), backup: () => keeper.backupNext(), clock, logger: log });
  const sampler = createValidatorSampler({
    probe,
    localRpc: createLocalRpc({ url: config.localRpc, timeoutMs: options.statusProbeDeadlineMs ?? 1_000 }),
    clock,
    ...(options.statusProbeIntervalMs === undefined ? {} : { intervalMs: options.statusProbeIntervalMs }),
    ...(options.statusProbeDeadlineMs === undefined ? {} : { deadlineMs: options.statusProbeDeadlineMs }),
  });
  const stopTemplate = config.commands.agentStop;
  const app = await buildApp({
    role,
    keeper,
    sampler,
    pendingFinalBackup: () => finalBackupRetry.pending(),
    currentIdentity,
    auth,
    allowedIps: config.allowedIps,
    dryRun: config.dryRun,
    ...(stopTemplate ? { stopCommand: () => runner.run('agent_stop_command', stopTemplate) } : {}),
    exit: options.exit,
    loggerInstance: options.logger,
    clock,
  });

  // The first probe is in before anything can ask /status.
  await sampler.start();
  return {
    app,
    role,
    keeper,
    probe,
    sampler,
    startRole,
    start() {
      role.start();
      watcher.start();
    },
    async close() {
      await watcher.stop();
      await role.stop();
      await finalBackupRetry.stop();
      await sampler.stop();
      await app.close();
      await store.close();
    },
  };
}

function createStore(config: AgentConfig, identity: string, towerFile: string, runner: ReturnType<typeof createCommandRunner>): TowerStore {
  const setting = config.towerStore;
  switch (setting.kind) {
    case 'directory':
      return createDirectoryTowerStore({ directory: setting.dir, identity });
    case 'etcd':
      return createEtcdTowerStore({ endpoints: setting.endpoints, prefix: setting.prefix, identity });
    case 'command':
      return createCommandTowerStore({ runner, towerFile, backupCommand: setting.backupCommand, restoreCommand: setting.restoreCommand });
  }
}
