/**
 * Start-up of the manager from a loaded config: the checks that refuse to run a manager that
 * could not act safely (no auth secret, a state directory or journal it cannot use, wrong
 * keypair, unreachable SSH), then the monitor, the notifier and the control API. Everything is
 * built here and torn down by `stop()`.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CONSENSUS_RULES, createManagerState, requestTimeoutWarning } from '@failover/core';
import type { Clock, FailoverEvent, Logger, ManagerJournalState, NodeId } from '@failover/core';
import { createNotifier, createTelegramSink } from '@failover/notifier';
import type { AppLogger, Notifier } from '@failover/notifier';
import {
  createSolanaRpc,
  loadAuth,
  loadEtcdAccess,
  prepareStateDir,
  secretOf,
  secretsToRedact,
  systemClock,
  toManagerMachineOptions,
} from '@failover/protocol';
import type { ControlElection, LoadedAuth, ManagerConfig } from '@failover/protocol';
import { createAgentPort, type AgentLink } from './agent-port';
import { createBotCommands } from './bot-commands';
import { buildControlServer } from './control-server';
import { ManagerConfigError, ManagerListenError, NoAuthSecretError } from './errors';
import { createCommandGossipReader, createRpcGossipReader, nodeIpOf, type GossipReader } from './gossip-source';
import type { ElectionView } from './election';
import { createHaCoordinator, type LeaderRun } from './ha-coordinator';
import { createFileJournal, type ManagerJournal } from './journal';
import { createManagerFence, type ManagerFence } from './manager-fence';
import type { HostFence } from './host-fence';
import { createManagerHookRunner, type ManagerHookRunner } from './manager-hooks';
import { loadManagerTerm } from './manager-term';
import { createMonitor, type Monitor } from './monitor';
import { createConsensusReader } from './consensus-reader';
import { createManagerMetrics } from './metrics';
import { buildMetricsServer } from './metrics-server';
import { toControlStatus } from './status-view';
import { checkPushTargets, loadStakedKeypair, requireTowerWarning } from './secure-identity';
import { createSshIdentityPusher, expandHome, type IdentityPusher, type PushTarget } from './ssh-identity-pusher';

/** Milliseconds that only move forward: the leader's deadline must not move with a wall clock stepped back. */
const monotonicClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link startManager}. */
export interface StartManagerOptions {
  readonly config: ManagerConfig;
  /** The authentication, loaded once at start (`loadManagerAuth`). */
  readonly auth: LoadedAuth;
  /** The process logger (notifier's `createLogger`); every event is also logged through it. */
  readonly logger: AppLogger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** What the default state directory depends on (`STATE_DIRECTORY`, `XDG_STATE_HOME`). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A running manager. */
export interface ManagerHandle {
  readonly monitor: Monitor;
  readonly notifier: Notifier;
  /** This run's term, sender id and standing; with the election, the current or last leadership's. */
  readonly fence: ManagerFence;
  /** Where the control API listens. */
  readonly control: { readonly host: string; readonly port: number };
  /** Where `metrics_listen` serves `/metrics`, when set. */
  readonly metrics?: string;
  /** Stops monitoring, says so, and waits for notifications to go out. */
  stop(reason: string): Promise<void>;
}

/**
 * Starts the manager. Throws before anything runs when the set-up is unsafe: no secret and
 * no `insecure_no_auth`, a keypair that is not the staked identity, a validator that cannot
 * receive the identity over SSH.
 */
export async function startManager(options: StartManagerOptions): Promise<ManagerHandle> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();

  warnAboutAuth(options.auth, logger);
  // Term and journal first: a manager that cannot record what it does must not start doing it.
  // A new term before the first request: the agents then refuse every late request of the runs before.
  const stateDir = await prepareStateDir('failover-manager', config.stateDir, { env: options.env ?? process.env });
  const term = await loadManagerTerm(stateDir);
  logger.info({ term: term.term, sender: term.sender, state_dir: stateDir }, `term ${term.term} as ${term.sender}`);
  // With the election, the term and the journal come from etcd once this manager is elected.
  const local =
    config.election === undefined
      ? await (async () => {
          const journal = createFileJournal(stateDir);
          return { journal, journaled: await journal.load() };
        })()
      : undefined;
  const secret = secretOf(options.auth);
  const rpc = createSolanaRpc({ endpoints: config.clusterRpc, timeoutMs: config.requestTimeoutMs });
  // Each endpoint on its own: the proof and the floor count them as independent witnesses.
  const [firstRpc, ...moreRpc] = config.clusterRpc.map((url) =>
    createSolanaRpc({ endpoints: [url], timeoutMs: config.requestTimeoutMs }),
  );
  const witnesses = [firstRpc ?? rpc, ...moreRpc] as const;
  const endpoints = { validator1: config.validators[0].endpoint, validator2: config.validators[1].endpoint };
  const nodeIps = { validator1: nodeIpOf(config.validators[0]), validator2: nodeIpOf(config.validators[1]) };
  const secure = await prepareSecureMode(config, logger);

  const telegram =
    config.telegram === undefined
      ? []
      : [
          createTelegramSink({
            token: config.telegram.botToken,
            chatId: config.telegram.chatId,
            apiRoot: config.telegram.apiRoot,
            logger,
          }),
        ];
  const notifier = createNotifier({ logger, sinks: telegram });
  const metrics = createManagerMetrics({ processMetrics: true });
  const gossip: GossipReader | undefined =
    config.gossipCheckCommand !== undefined
      ? createCommandGossipReader({
          command: config.gossipCheckCommand,
          stakedIdentityPubkey: config.stakedIdentityPubkey,
          nodeIps,
          clock,
        })
      : config.stakedIdentityPubkey !== undefined
        ? createRpcGossipReader({ rpc, stakedIdentityPubkey: config.stakedIdentityPubkey, nodeIps, clock })
        : undefined;

  /** The fence, agent ports and monitor of one term: the whole run, or one leadership. */
  const buildRun = (run: {
    readonly term: number;
    readonly journal: ManagerJournal;
    readonly journaled: ManagerJournalState;
    readonly authority?: () => string | null;
    readonly notify: (event: FailoverEvent) => void;
    readonly log?: Logger;
  }): LeaderRun => {
    const log = run.log ?? logger;
    const fence = createManagerFence({
      term: run.term,
      sender: term.sender,
      now: () => clock.now(),
      log,
      notify: run.notify,
      ...(run.authority === undefined ? {} : { authority: run.authority }),
    });
    const port = (node: NodeId, index: 0 | 1): AgentLink =>
      createAgentPort({
        node,
        endpoint: endpoints[node],
        ...(config.validators[index].nodeName === undefined ? {} : { nodeName: config.validators[index].nodeName }),
        secret,
        requestTimeoutMs: config.requestTimeoutMs,
        clock,
        fence,
      });
    const agents: Record<NodeId, AgentLink> = { validator1: port('validator1', 0), validator2: port('validator2', 1) };
    const monitor = createMonitor({
      machine: toManagerMachineOptions(config),
      clock,
      agents,
      rpc,
      witnesses,
      gossip,
      voteAccountPubkey: config.voteAccountPubkey,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      slotCheckIntervalMs: config.slotCheckIntervalMs,
      hostFence: hostFenceOf(config),
      executor: {
        hooks: hookRunnerOf(config, options.auth, log, (node) => agents[node].client.node()),
        stakedIdentityPubkey: config.stakedIdentityPubkey,
        pusher: secure === undefined ? undefined : fencedPusher(secure.pusher, fence),
        pushTargets: secure?.targets,
      },
      journal: run.journal,
      restore: { term: run.term, journal: run.journaled },
      notify: run.notify,
      log,
      standDown: () => fence.deposed() !== null,
      startedAt,
      consensus: createConsensusReader({
        rpc: () => rpc.pin(),
        rules: {
          ...DEFAULT_CONSENSUS_RULES,
          setting: config.consensusPhase,
          migrationSlots: config.alpenglowMigrationSlots,
          standstillTrailSlots: config.staleVoteSlotThreshold,
          // The phase is read every heartbeat: a window and an age that hold a few readings, so
          // the finalized slot can be seen to advance and one slow answer is not a phase lost.
          standstillWindowMs: Math.max(DEFAULT_CONSENSUS_RULES.standstillWindowMs, 3 * config.heartbeatIntervalMs),
          maxAgeMs: Math.max(DEFAULT_CONSENSUS_RULES.maxAgeMs, 3 * config.heartbeatIntervalMs),
        },
        clock,
      }),
      onObservation: (observation) => metrics.observeTick(observation),
    });
    return { fence, monitor };
  };

  const notify = (event: FailoverEvent): void => {
    metrics.observeEvent(event);
    notifier.notify(event);
  };
  const single = local === undefined ? undefined : buildRun({ term: term.term, ...local, notify });
  let controlAddress = '';
  const ha =
    config.election === undefined
      ? undefined
      : createHaCoordinator({
          config: config.election,
          etcdSecurity: await loadEtcdAccess(config.election.access ?? {}),
          sender: term.sender,
          localTerm: term.term,
          stateDir,
          control: () => controlAddress,
          electionClock: monotonicClock,
          log: logger,
          idleSnapshot: () => ({
            state: createManagerState(toManagerMachineOptions(config), startedAt),
            observation: null,
          }),
          buildRun,
          notify,
        });
  // A follower's standing: it commands nothing until elected.
  const standby = createManagerFence({
    ...term,
    now: () => clock.now(),
    authority: () => ha?.following() ?? null,
  });
  const currentFence = (): ManagerFence => single?.fence ?? ha?.fence() ?? standby;
  const monitor = single?.monitor ?? ha?.monitor;
  if (monitor === undefined) throw new RangeError('a manager runs either with the election or without it');
  metrics.readStateFrom({
    snapshot: () => monitor.snapshot(),
    fence: () => currentFence().view(),
    ...(ha === undefined ? {} : { following: () => ha.following() }),
    dryRun: config.dryRun,
    notifier: () => notifier.stats(),
  });
  const control = await buildControlServer({
    monitor,
    secret,
    clock,
    loggerInstance: logger,
    endpoints,
    dryRun: config.dryRun,
    rpc,
    stakedIdentityPubkey: config.stakedIdentityPubkey,
    defaultLeaderGapSlots: config.waitForLeaderGapSlots,
    fence: () => currentFence().view(),
    ...(ha === undefined ? {} : { following: () => ha.following(), election: () => electionStatus(ha.view()) }),
    metrics: metrics.registry,
  });
  await control.listen({ host: config.controlListen.host, port: config.controlListen.port }).catch((error: unknown) => {
    throw new ManagerListenError('control_listen', `${config.controlListen.host}:${config.controlListen.port}`, error);
  });
  const address = control.server.address() as AddressInfo;
  controlAddress = `${address.address}:${address.port}`;
  const metricsServer =
    config.metricsListen === undefined
      ? undefined
      : await listenMetrics(
          await buildMetricsServer({ registry: metrics.registry, loggerInstance: logger }),
          config.metricsListen,
          control,
        );

  logger.info(
    {
      dry_run: config.dryRun,
      heartbeat_ms: config.heartbeatIntervalMs,
      misses: config.missesBeforeFailover,
      gossip: gossip?.source ?? 'none',
      secure_identity_mode: secure !== undefined,
      control: `${address.address}:${address.port}`,
      ...(metricsServer === undefined ? {} : { metrics: metricsServer.address }),
      state_dir: stateDir,
      sender: term.sender,
      ...(config.election === undefined
        ? { term: term.term }
        : {
            etcd: config.election.endpoints.join(','),
            etcd_prefix: config.election.prefix,
            lease_ttl_ms: config.election.leaseTtlMs,
          }),
    },
    config.election === undefined
      ? `monitoring ${endpoints.validator1} and ${endpoints.validator2}`
      : `following until elected (etcd ${config.election.endpoints.join(',')}, prefix ${config.election.prefix}); the leader monitors ${endpoints.validator1} and ${endpoints.validator2}`,
  );
  if (config.dryRun)
    logger.warn(
      {},
      'dry run: failovers are decided and reported, never executed (set dry_run: false or --dry-run=false)',
    );
  if (config.voteAccountPubkey === undefined)
    logger[config.dryRun ? 'warn' : 'error'](
      { key: 'vote_account_pubkey' },
      `vote_account_pubkey is not set: nothing gives a promotion its tower floor (min_tower_slot), so ${config.dryRun ? 'once dry_run is off ' : ''}every promotion is refused; set it (docs/safety.md, "The tower floor")`,
    );
  if (config.clusterRpc.length > 1)
    logger.info(
      { cluster_rpc: config.clusterRpc.length },
      `${config.clusterRpc.length} cluster RPC endpoints: promotions need two of them answering and agreeing`,
    );
  notifier.notify({ type: 'started', at: clock.now(), dryRun: config.dryRun });
  const timeoutWarning = requestTimeoutWarning(config.requestTimeoutMs);
  if (timeoutWarning !== null) {
    logger.warn({ request_timeout_ms: config.requestTimeoutMs }, timeoutWarning);
    notifier.notify({ type: 'config-warning', at: clock.now(), key: 'request_timeout', message: timeoutWarning });
  }
  const towerWarning =
    config.secureIdentity === undefined ? null : requireTowerWarning(config.secureIdentity.setIdentityCommand);
  if (towerWarning !== null) {
    logger.warn({}, towerWarning);
    notifier.notify({
      type: 'config-warning',
      at: clock.now(),
      key: 'ssh_set_identity_command',
      message: towerWarning,
    });
  }
  monitor.start();
  const botCommands = createBotCommands({
    config,
    logger,
    status: () => ({
      ...toControlStatus(monitor.snapshot(), endpoints, config.dryRun, clock.now()),
      ...currentFence().view(),
      ...(ha === undefined ? {} : { election: electionStatus(ha.view()) }),
    }),
    journalFile: local?.journal.location,
    leads: () => ha === undefined || ha.following() === null,
  });
  botCommands?.start();

  return {
    monitor,
    notifier,
    get fence() {
      return currentFence();
    },
    control: { host: address.address, port: address.port },
    ...(metricsServer === undefined ? {} : { metrics: metricsServer.address }),
    async stop(reason) {
      await botCommands?.stop();
      await monitor.stop();
      await control.close();
      await metricsServer?.server.close();
      notifier.notify({ type: 'stopped', at: clock.now(), reason });
      await notifier.flush(5_000);
      await notifier.close();
    },
  };
}

/**
 * Listens on `metrics_listen`; a failure closes the control API already listening, so a manager
 * that cannot start leaves no port behind.
 */
async function listenMetrics(
  server: FastifyInstance,
  at: { readonly host: string; readonly port: number },
  control: FastifyInstance,
): Promise<{ readonly server: FastifyInstance; readonly address: string }> {
  try {
    await server.listen({ host: at.host, port: at.port });
  } catch (error) {
    await control.close();
    throw new ManagerListenError('metrics_listen', `${at.host}:${at.port}`, error);
  }
  const bound = server.server.address() as AddressInfo;
  return { server, address: `${bound.address}:${bound.port}` };
}

/** Loads the authentication the config chooses; the CLI does it once, before the logger, which masks the secret. */
export function loadManagerAuth(config: ManagerConfig): Promise<LoadedAuth> {
  return loadAuth(config.auth, () => new NoAuthSecretError());
}

function warnAboutAuth(auth: LoadedAuth, log: Logger): void {
  if (auth.mode === 'secret') {
    for (const warning of auth.warnings) log.warn({}, warning);
    return;
  }
  // At every start, on purpose: an unauthenticated manager is a standing risk.
  log.warn(
    {},
    'insecure_no_auth is set: requests to the agents are not signed, and the control API accepts unsigned requests',
  );
}

async function prepareSecureMode(
  config: ManagerConfig,
  log: Logger,
): Promise<{ pusher: IdentityPusher; targets: Record<NodeId, PushTarget> } | undefined> {
  const secure = config.secureIdentity;
  if (secure === undefined) return undefined;
  if (config.stakedIdentityPubkey === undefined) {
    // The config rules require it with secure mode; this guards a config built in code.
    throw new ManagerConfigError(['staked_identity_pubkey: required with secure_identity_mode, to check the keypair']);
  }
  const keypair = await loadStakedKeypair(expandHome(secure.keypairPath), config.stakedIdentityPubkey);
  const pusher = createSshIdentityPusher({
    user: secure.sshUser,
    privateKeyPath: expandHome(secure.sshKeyPath),
    knownHostsPath: expandHome(secure.knownHostsPath),
    trustOnFirstUse: secure.trustOnFirstUse,
    setIdentityCommand: secure.setIdentityCommand,
    ...(secure.authorizedVoterCommand === undefined ? {} : { authorizedVoterCommand: secure.authorizedVoterCommand }),
    keypairJson: keypair.json,
  });
  const target = (index: 0 | 1): PushTarget => {
    const node = config.validators[index];
    return { name: node.name, host: nodeIpOf(node) ?? '', port: node.sshPort, ledgerPath: node.ledgerPath ?? '' };
  };
  const targets = { validator1: target(0), validator2: target(1) };
  await checkPushTargets(pusher, [targets.validator1, targets.validator2]);
  log.info(
    {},
    `secure identity mode: ${keypair.pubkey} will be pushed over SSH; both validators reachable with their ledgers`,
  );
  return { pusher, targets };
}

/** The election as the control API's status shows it. */
function electionStatus(view: ElectionView): ControlElection {
  const member = (m: { sender: string; host: string; control: string }) => ({
    sender: m.sender,
    host: m.host,
    control: m.control,
  });
  return {
    role: view.role,
    leader: view.leader === null ? null : { ...member(view.leader), term: view.leader.term },
    followers: view.followers.map(member),
    lease_ttl_ms: view.leaseTtlMs,
  };
}

/**
 * The identity push of secure mode, behind the fence as the agents' commands are: a manager that
 * stood down, or no longer leads, pushes nothing.
 */
function fencedPusher(pusher: IdentityPusher, fence: ManagerFence): IdentityPusher {
  return {
    validate: (target) => pusher.validate(target),
    async pushIdentity(target) {
      const blocked = fence.blocked(target.name === 'validator2' ? 'validator2' : 'validator1');
      if (blocked !== null) return { ok: false, stage: 'connect', message: `not sent: ${blocked}`, commands: [] };
      return pusher.pushIdentity(target);
    },
  };
}

/** The runner of `hooks.pre_failover` and `hooks.post_failover`; undefined when neither is configured. */
function hookRunnerOf(
  config: ManagerConfig,
  auth: LoadedAuth,
  log: Logger,
  nameOf: (node: NodeId) => string | undefined,
): ManagerHookRunner | undefined {
  const { preFailover, postFailover } = config.hooks;
  if (preFailover === undefined && postFailover === undefined) return undefined;
  return createManagerHookRunner({
    hooks: {
      ...(preFailover === undefined ? {} : { pre_failover: preFailover }),
      ...(postFailover === undefined ? {} : { post_failover: postFailover }),
    },
    nodes: (node) => ({
      name: nameOf(node) ?? '',
      ip: nodeIpOf(config.validators[node === 'validator1' ? 0 : 1]) ?? '',
    }),
    identity: config.stakedIdentityPubkey ?? '',
    secrets: [...(config.telegram === undefined ? [] : [config.telegram.botToken]), ...secretsToRedact(auth)],
    log,
  });
}

/** `guard_bound` and, when configured, `fence_command` with each node's placeholders. */
function hostFenceOf(config: ManagerConfig): Omit<HostFence, 'silentSince'> {
  const command = config.fenceCommand;
  if (command === undefined) return { guardBoundMs: config.guardBoundMs };
  const placeholders = (node: NodeId): Record<string, string> => {
    const v = config.validators.find((candidate) => candidate.name === node) ?? config.validators[0];
    return { node, node_name: v.nodeName ?? node, ip: nodeIpOf(v) ?? '', endpoint: v.endpoint };
  };
  return {
    guardBoundMs: config.guardBoundMs,
    fenceCommand: { argv: command, timeoutMs: config.fenceTimeoutMs, placeholders },
  };
}
