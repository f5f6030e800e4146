import { isValidPubkey, type Clock, type Logger } from '@failover/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { warnAboutAuth, type AgentAuth } from './agent-auth';
import { openAgentFence, type AgentFence } from './agent-fence';
import { buildApp } from './app';
import { createPrePromoteCheck } from './pre-promote-check';
import { configPlaceholders, createCommandRunner, type CommandRunner } from './command-runner';
import { AgentIdentityError } from './errors';
import { identityReader } from './identity-reader';
import { createSymlinkReader } from './identity-symlink';
import { createHttpFetch, type HttpFetch } from './internal/http-fetch';
import { detectLocalIp } from './local-ip';
import { resolveNodeName } from './node-name';
import { createPeerAsker, noPeer } from './peer-client';
import { createProcessProbe, type ValidatorProbe } from './process-probe';
import { detectStartRole, type StartRole } from './role-detection';
import { createRoleLink } from './role-link';
import { createRoleRunner, holdsIdentity, type PeerAsker, type RoleRunner } from './role-runner';
import { createStepExecutor } from './role-steps';
import { createTowerParts, type TowerParts } from './tower-parts';
import type { TowerKeeper } from './tower-keeper';
import { createTowerWatcher } from './tower-watcher';
import {
  createSolanaRpc,
  loadEtcdAccess,
  prepareStateDir,
  secretsToRedact,
  systemClock,
  type AgentConfig,
  type ClusterRpc,
  type RpcResult,
  type SolanaRpc,
} from '@failover/protocol';
import { createProcessWatch } from './process-watch';
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
  /** @default systemClock */
  readonly clock?: Clock;
  /** Environment of the configured commands, and where the default state directory is read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where to find processes. @default '/proc' */
  readonly procRoot?: string;
  /** Deadline of each local and cluster RPC call. @default 2_000 */
  readonly rpcTimeoutMs?: number;
  /** Between two background probes of the validator that `/status` answers from. @default 400 */
  readonly statusProbeIntervalMs?: number;
  /** A background probe unanswered for longer than this makes the RPC unhealthy. @default 1_000 */
  readonly statusProbeDeadlineMs?: number;
  /** Watchdog tick. @default min(1 s, manager_timeout / 4) */
  readonly watchdogIntervalMs?: number;
  /** Pause between identity confirmations. @default 250 */
  readonly confirmBackoffMs?: number;
  /**
   * Called after each turn of the watchdog loop; the CLI feeds systemd's watchdog from it, so
   * a hung loop stops the pings and systemd kills the agent and runs its host guard.
   */
  readonly onLoopTurn?: () => void;
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
  /** The name this agent answers to. */
  readonly node: string;
  /** The highest term obeyed, the nonces of obeyed changes and the recent senders. */
  readonly fence: AgentFence;
  /** Starts the watchdog. */
  start(): void;
  /** Stops the watchdog, waits for a running role change, closes the app and the store. */
  close(): Promise<void>;
}

/** What every part is built from. */
interface Wiring {
  readonly config: AgentConfig;
  /** The staked identity, checked as a pubkey. */
  readonly identity: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Every client's HTTP: node:http instead of the global fetch, which loads undici. */
  readonly http: HttpFetch;
}

/** The validator's local RPC and, when configured, the cluster's. */
interface RpcClients {
  readonly local: SolanaRpc;
  readonly cluster: ClusterRpc | undefined;
}

/**
 * Wires an agent from its loaded config and authentication: the state directory with the
 * node name and the fence, commands, the tower store and keeper, the role at start-up, the
 * role machine, the background probe and the HTTP app, in that order. The config loader has
 * already refused a config without the staked identity or the tower's location; a staked
 * identity that is not a pubkey is refused here, with an error that says what to set, and a
 * state directory that cannot be written or a state file that cannot be read stop the agent
 * before it serves anything.
 */
export async function createAgent(options: CreateAgentOptions): Promise<Agent> {
  const wiring = startWiring(options);
  const { config, clock, log } = wiring;
  const stateDir = await prepareStateDir('failover-agent', config.stateDir, { env: options.env ?? process.env });
  const node = await resolveNodeName({ configured: config.nodeName, stateDir });
  const fence = await openAgentFence({ stateDir, clock, logger: log });
  const highest = fence.highest();
  log.info(
    { node_name: node.name, state_dir: stateDir, highest_term: highest?.term ?? null },
    `node name ${node.name} (${NODE_NAME_SOURCES[node.source]}); ${highest === null ? 'no term obeyed yet' : `obeys term ${highest.term} of ${highest.sender} and above`}`,
  );
  const runner = createCommandRunnerFor(wiring, options);
  const roleLink = createRoleLink();
  const tower = createTowerParts({
    config,
    identity: wiring.identity,
    node: node.name,
    runner,
    roleLink,
    clock,
    logger: log,
    ...(config.towerStore.kind === 'etcd'
      ? { etcdSecurity: await loadEtcdAccess(config.towerStore.access ?? {}) }
      : {}),
  });
  // Before any backup: a backup another agent writes from now on then fences this one's next.
  for (const store of [tower.store, tower.voteHistoryStore]) {
    const revision = await store.readRevision();
    if (!revision.ok)
      log.warn(
        { store: store.describe() },
        `cannot read the store at start (${revision.error}); the first backup reads it instead`,
      );
  }
  const rpc = createRpcClients(wiring, options.rpcTimeoutMs ?? 2_000);
  const currentIdentity = identityReader(config, runner, rpc.local);
  const startRole = await decideStartRole(wiring, runner, rpc, currentIdentity);
  const probe = createProcessProbe({
    processName: config.processName,
    ...(options.procRoot ? { procRoot: options.procRoot } : {}),
    clock,
  });
  const askPeer = config.peerEndpoint
    ? createPeerAsker({
        endpoint: config.peerEndpoint,
        secret: options.auth.mode === 'secret' ? options.auth.secret : undefined,
        self: config.listenAddr,
        clock,
        fetch: wiring.http.fetch,
      })
    : noPeer;
  // The probe answers /status within its own deadline, shorter than a command's.
  const probeDeadlineMs = options.statusProbeDeadlineMs ?? 1_000;
  const probeRpc = rpc.local.withDeadline(probeDeadlineMs);
  // An exit seen between probes is confirmed by a probe of its own, taken at once.
  const processWatch = createProcessWatch({
    clock,
    // Waits as long as a probe may take, its own deadline.
    confirm: () => sampler.refresh(probeDeadlineMs),
    ...(options.procRoot ? { procRoot: options.procRoot } : {}),
  });
  const sampler = createValidatorSampler({
    onSample: (sample) => processWatch.observe(sample),
    probe,
    localRpc: probeRpc,
    genesisRpc: probeRpc,
    clock,
    ...(options.statusProbeIntervalMs === undefined ? {} : { intervalMs: options.statusProbeIntervalMs }),
    ...(options.statusProbeDeadlineMs === undefined ? {} : { deadlineMs: options.statusProbeDeadlineMs }),
  });
  // Without identity_check_command a role change confirms the identity through a sample of
  // its own, taken after the switch: its answer then needs no second one (see the app).
  const confirmIdentity =
    config.commands.identityCheck === undefined ? () => sampler.sample().then((sample) => sample.identity) : undefined;
  const role = createRoleRunnerFor(wiring, options, {
    startRole,
    runner,
    tower,
    probe,
    currentIdentity,
    confirmIdentity: confirmIdentity ?? currentIdentity,
    askPeer,
    rpc,
    node: node.name,
  });
  roleLink.attach(role);

  const watchers = [
    createTowerWatcher({
      towerFile: config.towerFilePath,
      isActive: () => holdsIdentity(role.role()),
      backup: () => tower.keeper.backupNext(),
      clock,
      logger: log,
    }),
    // agave's votor also renames a complete file into place (vote_history_storage.rs).
    createTowerWatcher({
      towerFile: config.voteHistoryFilePath,
      isActive: () => holdsIdentity(role.role()),
      backup: () => tower.voteHistoryKeeper.backupNext(),
      clock,
      logger: log,
    }),
  ];
  const stopTemplate = config.commands.agentStop;
  const app = await buildApp({
    role,
    checkPromote: createPrePromoteCheck({
      hooks: config.hooks,
      runner,
      subject: { node: node.name, identity: wiring.identity },
      role: role.role,
    }),
    keeper: tower.keeper,
    sampler,
    changesConfirmedBySample: confirmIdentity !== undefined,
    processWatch,
    pendingFinalBackup: () => tower.finalBackupRetry.pending(),
    currentIdentity,
    auth: options.auth,
    node: node.name,
    fence,
    allowedIps: config.allowedIps,
    dryRun: config.dryRun,
    ...(stopTemplate ? { stopCommand: () => runner.run('agent_stop_command', stopTemplate) } : {}),
    exit: options.exit,
    loggerInstance: options.logger,
    clock,
    processMetrics: true,
  });

  // The first probe is in before anything can ask /status.
  await sampler.start();
  return {
    app,
    role,
    keeper: tower.keeper,
    probe,
    sampler,
    startRole,
    node: node.name,
    fence,
    start() {
      processWatch.start();
      role.start();
      for (const watcher of watchers) watcher.start();
    },
    async close() {
      await Promise.all(watchers.map((watcher) => watcher.stop()));
      await role.stop();
      await tower.finalBackupRetry.stop();
      await sampler.stop();
      // Held /watch requests are answered before the server waits for its requests to end.
      await processWatch.stop();
      await app.close();
      await tower.store.close();
      await tower.voteHistoryStore.close();
      wiring.http.close();
    },
  };
}

const NODE_NAME_SOURCES = {
  config: 'node_name',
  state: 'kept in node.json',
  generated: 'generated now, kept in node.json',
} as const;

/** Checks the staked identity's form and says at start what an operator must know. */
function startWiring(options: CreateAgentOptions): Wiring {
  const { config } = options;
  const log: Logger = options.logger;
  warnAboutAuth(options.auth, log);
  // Its presence is a config rule; its form is checked here, where it is used, so that a
  // migrated file with placeholders still loads for reading.
  if (!isValidPubkey(config.validatorIdentity)) throw new AgentIdentityError(config.validatorIdentity);
  const change = config.commands.identityChange;
  if (config.validatorClient === 'firedancer') {
    // `firedancer set-identity` has no --require-tower: the restored tower's check is the agent's alone.
    log.info(
      { validator_client: config.validatorClient },
      'firedancer set-identity cannot refuse the staked identity without a tower; the agent verifies the restored tower before it runs',
    );
  } else if (change !== undefined && !change.includes('--require-tower')) {
    // The Go README's example omits it; without it agave takes the identity even when the
    // restored tower is missing or unreadable, and votes from an empty tower (S2).
    log.warn(
      { command: 'identity_change_command' },
      'identity_change_command has no --require-tower; add it so the validator refuses the staked identity without the restored tower',
    );
  }
  if (config.dryRun)
    log.warn(
      { dry_run: true },
      'dry-run: commands are logged as "would execute", no tower is written or removed; set dry_run: false to act',
    );
  return {
    config,
    identity: config.validatorIdentity,
    clock: options.clock ?? systemClock,
    log,
    http: createHttpFetch(),
  };
}

/** The runner of every configured command, with the config's placeholders and the secret masked. */
function createCommandRunnerFor(wiring: Wiring, options: CreateAgentOptions): CommandRunner {
  const { config } = wiring;
  return createCommandRunner({
    placeholders: configPlaceholders(config),
    dryRun: config.dryRun,
    timeoutMs: config.commandTimeoutMs,
    secrets: secretsToRedact(options.auth),
    logger: wiring.log,
    ...(options.env ? { env: options.env } : {}),
  });
}

function createRpcClients({ config, http }: Wiring, timeoutMs: number): RpcClients {
  const fetch = http.fetch;
  return {
    local: createSolanaRpc({ endpoints: [config.localRpc], timeoutMs, fetch }),
    cluster: config.clusterRpc ? createSolanaRpc({ endpoints: [config.clusterRpc], timeoutMs, fetch }) : undefined,
  };
}

/** Decides the role at start-up and logs it with the validator's version. */
async function decideStartRole(
  wiring: Wiring,
  runner: CommandRunner,
  rpc: RpcClients,
  currentIdentity: () => Promise<RpcResult<string>>,
): Promise<StartRole> {
  const { config, log } = wiring;
  const localIp = config.localIp ?? detectLocalIp();
  const gossipCommand = config.commands.gossipCheck;
  const cluster = rpc.cluster;
  const startRole = await detectStartRole({
    stakedIdentity: wiring.identity,
    isActiveOnStart: config.isActiveOnStart,
    localIdentity: currentIdentity,
    ...(gossipCommand
      ? { gossipCheck: () => runner.run('gossip_check_command', gossipCommand, { readOnly: true }) }
      : {}),
    ...(cluster ? { clusterNodes: () => cluster.getClusterNodes() } : {}),
    ...(localIp ? { localIp } : {}),
    logger: log,
  });
  const version = await rpc.local.getVersion();
  log.info(
    {
      decided_by: startRole.decidedBy,
      detail: startRole.detail,
      validator_version: version.ok ? version.value : `unknown (${version.message})`,
    },
    `starting as ${startRole.role}`,
  );
  return startRole;
}

/** What the role runner drives and asks. */
interface RoleParts {
  readonly startRole: StartRole;
  readonly runner: CommandRunner;
  readonly tower: TowerParts;
  readonly probe: ValidatorProbe;
  readonly currentIdentity: () => Promise<RpcResult<string>>;
  /** What the role steps confirm a switch with: the validator's identity, read afresh. */
  readonly confirmIdentity: () => Promise<RpcResult<string>>;
  readonly askPeer: PeerAsker;
  readonly rpc: RpcClients;
  /** This agent's node name, told to the hooks. */
  readonly node: string;
}

/** The role runner: core's agent machine, with the steps, checks and watchdog of this agent. */
function createRoleRunnerFor(wiring: Wiring, options: CreateAgentOptions, parts: RoleParts): RoleRunner {
  const { config, clock, log } = wiring;
  const { currentIdentity, askPeer } = parts;
  const cluster = parts.rpc.cluster;
  const managerTimeoutMs = config.managerTimeoutMs;
  const watchdogIntervalMs = options.watchdogIntervalMs ?? watchdogInterval(config);
  return createRoleRunner({
    initialRole: parts.startRole.role,
    clock,
    machine: {
      managerTimeoutMs,
      startupGraceMs: config.startupGracePeriodMs,
      peerCheckIntervalMs: Math.min(10_000, managerTimeoutMs),
      stepTimeouts: { commandMs: config.commandTimeoutMs },
      isolationTimeoutMs: config.isolationTimeoutMs,
      tickIntervalMs: watchdogIntervalMs,
      hooks: config.hooks,
    },
    executeStep: createStepExecutor({
      commands: config.commands,
      hooks: config.hooks,
      node: parts.node,
      runner: parts.runner,
      keeper: parts.tower.keeper,
      stakedIdentity: wiring.identity,
      currentIdentity: parts.confirmIdentity,
      probe: parts.probe,
      symlinkPubkey: createSymlinkReader(config.identitySymlinkPath),
      finalBackupRetry: parts.tower.finalBackupRetry,
      dryRun: config.dryRun,
      clock,
      logger: log,
      ...(options.confirmBackoffMs === undefined ? {} : { confirmBackoffMs: options.confirmBackoffMs }),
    }),
    askPeer,
    checkIdentity: async () => {
      const identity = await currentIdentity();
      if (!identity.ok) return { identity: 'unknown', detail: identity.message };
      return { identity: identity.value === wiring.identity ? 'staked' : 'unstaked', detail: identity.value };
    },
    // Any answer counts: the question is whether this node is cut off, not who is active.
    probeReachability: async () => {
      const [peer, clusterSlot] = await Promise.all([
        askPeer(),
        cluster ? cluster.getSlot() : Promise.resolve({ ok: false as const }),
      ]);
      return { peer: peer.answer !== 'unreachable', clusterSlot: clusterSlot.ok ? clusterSlot.value : null };
    },
    logger: log,
    watchdogIntervalMs,
    ...(options.onLoopTurn ? { onTick: options.onLoopTurn } : {}),
  });
}

/**
 * Ticks often enough that an isolated node steps down within an eighth of its
 * isolation_timeout of the limit, and a paused agent is told from a slow tick.
 */
function watchdogInterval(config: AgentConfig): number {
  const isolationTickMs = config.isolationTimeoutMs > 0 ? Math.floor(config.isolationTimeoutMs / 8) : Infinity;
  return Math.max(10, Math.min(1_000, Math.floor(config.managerTimeoutMs / 4), isolationTickMs));
}
