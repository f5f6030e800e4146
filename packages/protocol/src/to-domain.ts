/**
 * The one place where snake_case (config files, wire messages) becomes camelCase domain
 * values. Inputs have passed their schema check and, for configs, have defaults applied and
 * passed the cross-key rules (`config/rules.ts`), so a key the rules require is present.
 */
import { dirname, join } from 'node:path';
import type { HookName, ManagerMachineOptions, NodeStatus, UnreachableReason } from '@failover/core';
import type { AgentCallError } from './client/agent-client';
import { CLIENT_PROCESS_NAMES, profileCommands, profileReadback } from './config/client-profiles';
import type { ProfileCommands } from './config/client-profiles';
import { parseDuration } from './config/duration';
import { DEFAULT_HOOK_TIMEOUT, type AgentConfigFile } from './config/agent-config-schema';
import type {
  AgentConfig,
  AgentHookConfig,
  AgentHookConfigs,
  ManagerHookConfigs,
  AuthSetting,
  EtcdAccess,
  ManagerConfig,
  TowerStoreSetting,
  ValidatorNodeConfig,
} from './config/domain-config';
import type { ManagerConfigFile } from './config/manager-config-schema';
import type { StatusResponse } from './wire/agent-api';

/** Keys of the agent file that always hold a value once defaults are applied. */
export const AGENT_DEFAULTED_KEYS = [
  'listen_addr',
  'local_rpc',
  'validator_client',
  'is_active_on_start',
  'manager_timeout',
  'dry_run',
  'insecure_no_auth',
  'log_format',
  'tower_store_dir',
  'etcd_prefix',
  'command_timeout',
  'startup_grace_period',
  'isolation_timeout',
  'guard_kill_after',
] as const;

/** Keys of the manager file that always hold a value once defaults are applied. */
export const MANAGER_DEFAULTED_KEYS = [
  'cluster_rpc',
  'slot_check_interval',
  'heartbeat_interval',
  'misses_before_failover',
  'slot_diff_threshold',
  'request_timeout',
  'dry_run',
  'startup_grace_period',
  'secure_identity_mode',
  'stale_vote_slot_threshold',
  'insecure_no_auth',
  'log_format',
  'known_hosts_path',
  'ssh_trust_on_first_use',
  'telegram_api_root',
  'telegram_commands',
  'status_report_interval',
  'failover_cooldown',
  'control_listen',
  'wait_for_leader_gap_slots',
  'demote_timeout',
  'promote_timeout',
  'guard_bound',
  'fence_timeout',
  'consensus_phase',
  'alpenglow_migration_slots',
] as const;

type Defaulted<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };
type AgentFile = Defaulted<AgentConfigFile, (typeof AGENT_DEFAULTED_KEYS)[number]>;
type ManagerFile = Defaulted<ManagerConfigFile, (typeof MANAGER_DEFAULTED_KEYS)[number]>;

function ms(text: string): number {
  const value = parseDuration(text);
  // The schema check guarantees the form; reaching this is a bug in the loader, not bad input.
  if (value === undefined) throw new RangeError(`duration "${text}" passed validation but does not parse`);
  return value;
}

/** A value the config rules guarantee; reaching the throw is a bug in the loader, not bad input. */
function present<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw new RangeError(`${path} passed the config rules but is absent`);
  return value;
}

function auth(file: { auth_secret_file?: string; insecure_no_auth?: boolean }): AuthSetting {
  if (file.auth_secret_file !== undefined) return { mode: 'secret-file', secretFile: file.auth_secret_file };
  return file.insecure_no_auth === true ? { mode: 'insecure' } : { mode: 'missing' };
}

function towerStore(file: AgentFile): TowerStoreSetting {
  const kind = file.tower_store ?? (file.tower_backup_command === undefined ? 'directory' : 'command');
  if (kind === 'etcd')
    return {
      kind,
      endpoints: present(file.etcd_endpoints, '/etcd_endpoints'),
      prefix: file.etcd_prefix,
      access: etcdAccess(file),
    };
  if (kind === 'command') {
    return {
      kind,
      backupCommand: present(file.tower_backup_command, '/tower_backup_command'),
      restoreCommand: present(file.tower_restore_command, '/tower_restore_command'),
      ...optional('voteHistoryBackupCommand', file.vote_history_backup_command),
      ...optional('voteHistoryRestoreCommand', file.vote_history_restore_command),
    };
  }
  return { kind, dir: file.tower_store_dir };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The tower file: `tower_file_path` with `{validator_identity}` filled in, else agave's name
 * for it in the ledger directory (core/src/consensus/tower_storage.rs).
 */
function towerFilePath(file: AgentFile, identity: string): string {
  if (file.tower_file_path !== undefined) return file.tower_file_path.replaceAll('{validator_identity}', identity);
  return join(present(file.ledger_path, '/tower_file_path'), `tower-1_9-${identity}.bin`);
}

/** The profile's commands, when both keypair paths are configured (the rules require both or neither). */
function profile(file: AgentFile): ProfileCommands | undefined {
  if (file.staked_keypair_path === undefined || file.unstaked_keypair_path === undefined) return undefined;
  return profileCommands(file.validator_client, {
    stakedKeypairPath: file.staked_keypair_path,
    unstakedKeypairPath: file.unstaked_keypair_path,
    ...optional('ledgerPath', file.ledger_path),
    ...optional('fdConfig', file.fd_config),
  });
}

/** Maps a validated, defaulted, rule-checked `validator-config.json` to the agent's {@link AgentConfig}. */
export function toAgentConfig(input: AgentConfigFile): AgentConfig {
  const file = input as AgentFile;
  const identity = present(file.validator_identity, '/validator_identity');
  const client = file.validator_client;
  const byProfile = profile(file);
  // A command the operator wrote is run as written: the profile's --force variant is not its own.
  const change = file.identity_change_command === undefined ? byProfile : undefined;
  const remove = file.identity_remove_command === undefined ? byProfile : undefined;
  return {
    listenAddr: file.listen_addr,
    allowedIps: file.allowed_ips ?? [],
    localRpc: file.local_rpc,
    validatorClient: client,
    ...optional('fdConfig', file.fd_config),
    processName: file.process_name ?? CLIENT_PROCESS_NAMES[client],
    ...optional('peerEndpoint', file.peer_endpoint),
    isActiveOnStart: file.is_active_on_start,
    managerTimeoutMs: ms(file.manager_timeout),
    commands: {
      ...optional('identityChange', file.identity_change_command ?? change?.identityChange),
      ...optional('identityRemove', file.identity_remove_command ?? remove?.identityRemove),
      ...optional('identityChangeForce', change?.identityChangeForce),
      ...optional('identityRemoveForce', remove?.identityRemoveForce),
      ...optional('identityReadback', profileReadback(client, file.fd_config)),
      ...optional('activeIdentitySymlink', file.active_identity_symlink_command),
      ...optional('passiveIdentitySymlink', file.passive_identity_symlink_command),
      ...optional('validatorRestart', file.validator_restart_command),
      ...optional('agentStop', file.agent_stop_command),
      ...optional('identityCheck', file.identity_check_command),
      ...optional('gossipCheck', file.gossip_check_command),
    },
    towerFilePath: towerFilePath(file, identity),
    // agave's votor keeps `vote_history-<identity>.bin` in the ledger, beside the tower.
    voteHistoryFilePath: join(dirname(towerFilePath(file, identity)), `vote_history-${identity}.bin`),
    validatorIdentity: identity,
    ...optional('localIp', file.local_ip),
    dryRun: file.dry_run,
    ...optional('logFile', file.log_file),
    ...optional('stateDir', file.state_dir),
    logFormat: file.log_format,
    auth: auth(file),
    towerStore: towerStore(file),
    ...optional('clusterRpc', file.cluster_rpc),
    commandTimeoutMs: ms(file.command_timeout),
    ...optional('ledgerPath', file.ledger_path),
    startupGracePeriodMs: ms(file.startup_grace_period),
    isolationTimeoutMs: ms(file.isolation_timeout),
    guardKillAfterMs: ms(file.guard_kill_after),
    ...optional('identitySymlinkPath', file.identity_symlink_path),
    ...optional('nodeName', file.node_name),
    hooks: hooks(file.hooks),
  };
}

/** `hooks`, each with its time limit and, for a pre hook, whether it must succeed. */
function hooks(file: AgentConfigFile['hooks']): AgentHookConfigs {
  const out: Partial<Record<HookName, AgentHookConfig>> = {};
  for (const name of HOOK_NAMES) {
    const hook = file?.[name];
    if (hook === undefined) continue;
    out[name] = {
      command: hook.command,
      mustSucceed: 'must_succeed' in hook ? hook.must_succeed === true : false,
      timeoutMs: ms(hook.timeout ?? DEFAULT_HOOK_TIMEOUT),
    };
  }
  return out;
}

const HOOK_NAMES: readonly HookName[] = ['pre_promote', 'post_promote', 'pre_demote', 'post_demote'];

function validators(file: ManagerFile): {
  nodes: readonly [ValidatorNodeConfig, ValidatorNodeConfig];
  initialActive?: 'validator1' | 'validator2';
} {
  // The rules require either both validator1 and validator2, or both active and passive endpoints.
  const node = (
    name: 'validator1' | 'validator2',
    fallbackEndpoint: string | undefined,
    fallbackKey: string,
  ): ValidatorNodeConfig => {
    const entry = file[name];
    return {
      name,
      endpoint: entry?.endpoint ?? present(fallbackEndpoint, fallbackKey),
      ...optional('ip', entry?.ip),
      ...optional('ledgerPath', entry?.ledger_path),
      sshPort: entry?.ssh_port ?? 22,
      ...optional('nodeName', entry?.node_name),
    };
  };
  const nodes = [
    node('validator1', file.active_validator, '/active_validator'),
    node('validator2', file.passive_validator, '/passive_validator'),
  ] as const;
  const active = file.active_validator;
  const passive = file.passive_validator;
  const byEndpoint = (endpoint: string | undefined): 'validator1' | 'validator2' | undefined =>
    nodes.find((candidate) => candidate.endpoint === endpoint)?.name;
  const initialActive =
    active !== undefined
      ? byEndpoint(active)
      : passive !== undefined
        ? byEndpoint(passive) === 'validator1'
          ? 'validator2'
          : 'validator1'
        : undefined;
  return { nodes, ...optional('initialActive', initialActive) };
}

/** A list the schema holds to at least one entry. */
function toEndpointList(list: readonly string[]): readonly [string, ...string[]] {
  const [first, ...rest] = list;
  return [present(first, '/cluster_rpc/0'), ...rest];
}

/** The etcd TLS and user keys; the rules have checked that pairs come in pairs. */
function etcdAccess(file: AgentConfigFile | ManagerConfigFile): EtcdAccess {
  return {
    ...optional('caFile', file.etcd_ca_file),
    ...(file.etcd_cert_file === undefined || file.etcd_key_file === undefined
      ? {}
      : { clientCert: { certFile: file.etcd_cert_file, keyFile: file.etcd_key_file } }),
    ...(file.etcd_username === undefined || file.etcd_password_file === undefined
      ? {}
      : { user: { username: file.etcd_username, passwordFile: file.etcd_password_file } }),
  };
}

/** `host:port`, `[v6]:port` or `:port` (every interface), as the schema's pattern lets through. */
function listenAddress(text: string): { host: string; port: number } {
  const split = text.lastIndexOf(':');
  const host = text.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(text.slice(split + 1)) };
}

/** Maps a validated, defaulted, rule-checked `manager-config.json` to the manager's {@link ManagerConfig}. */
export function toManagerConfig(input: ManagerConfigFile): ManagerConfig {
  const file = input as ManagerFile;
  const { nodes, initialActive } = validators(file);
  const telegram =
    file.telegram_bot_token !== undefined && file.telegram_chat_id !== undefined
      ? {
          botToken: file.telegram_bot_token,
          chatId: String(file.telegram_chat_id),
          apiRoot: file.telegram_api_root,
          commands: file.telegram_commands,
        }
      : undefined;
  const secureIdentity = file.secure_identity_mode
    ? {
        keypairPath: present(file.identity_keypair_path, '/identity_keypair_path'),
        sshUser: present(file.ssh_user, '/ssh_user'),
        sshKeyPath: present(file.ssh_key_path, '/ssh_key_path'),
        setIdentityCommand: present(file.ssh_set_identity_command, '/ssh_set_identity_command'),
        ...optional('authorizedVoterCommand', file.ssh_authorized_voter_command),
        knownHostsPath: file.known_hosts_path,
        trustOnFirstUse: file.ssh_trust_on_first_use,
      }
    : undefined;
  return {
    validators: nodes,
    ...optional('initialActive', initialActive),
    ...optional('gossipCheckCommand', file.gossip_check_command),
    clusterRpc: typeof file.cluster_rpc === 'string' ? [file.cluster_rpc] : toEndpointList(file.cluster_rpc),
    slotCheckIntervalMs: ms(file.slot_check_interval),
    heartbeatIntervalMs: ms(file.heartbeat_interval),
    missesBeforeFailover: file.misses_before_failover,
    slotDiffThreshold: file.slot_diff_threshold,
    requestTimeoutMs: ms(file.request_timeout),
    dryRun: file.dry_run,
    startupGracePeriodMs: ms(file.startup_grace_period),
    ...optional('logFile', file.log_file),
    ...optional('stateDir', file.state_dir),
    logFormat: file.log_format,
    ...optional('telegram', telegram),
    ...optional('secureIdentity', secureIdentity),
    ...optional('stakedIdentityPubkey', file.staked_identity_pubkey),
    ...optional('voteAccountPubkey', file.vote_account_pubkey),
    staleVoteSlotThreshold: file.stale_vote_slot_threshold,
    auth: auth(file),
    statusReportIntervalMs: ms(file.status_report_interval),
    failoverCooldownMs: ms(file.failover_cooldown),
    controlListen: listenAddress(file.control_listen),
    ...(file.metrics_listen === undefined ? {} : { metricsListen: listenAddress(file.metrics_listen) }),
    waitForLeaderGapSlots: file.wait_for_leader_gap_slots,
    demoteTimeoutMs: ms(file.demote_timeout),
    promoteTimeoutMs: ms(file.promote_timeout),
    ...optional(
      'election',
      file.etcd_endpoints === undefined
        ? undefined
        : {
            endpoints: [...file.etcd_endpoints],
            prefix: file.etcd_prefix ?? '/failover/manager',
            leaseTtlMs: ms(file.election_lease_ttl ?? '10s'),
            access: etcdAccess(file),
          },
    ),
    guardBoundMs: ms(file.guard_bound),
    ...optional('fenceCommand', file.fence_command),
    fenceTimeoutMs: ms(file.fence_timeout),
    hooks: managerHooks(file.hooks),
    consensusPhase: file.consensus_phase,
    alpenglowMigrationSlots: file.alpenglow_migration_slots,
  };
}

/** The manager's `hooks`, each with its time limit. */
function managerHooks(file: ManagerFile['hooks']): ManagerHookConfigs {
  const pre = file?.pre_failover;
  const post = file?.post_failover;
  return {
    ...optional(
      'preFailover',
      pre === undefined
        ? undefined
        : {
            command: pre.command,
            mustSucceed: pre.must_succeed === true,
            timeoutMs: ms(pre.timeout ?? DEFAULT_HOOK_TIMEOUT),
          },
    ),
    ...optional(
      'postFailover',
      post === undefined ? undefined : { command: post.command, timeoutMs: ms(post.timeout ?? DEFAULT_HOOK_TIMEOUT) },
    ),
  };
}

// Beyond a hook's own limit: the kill's grace and the process group's end.
const HOOK_STEP_ALLOWANCE_MS = 15_000;

/** Wire seconds to domain milliseconds. */
function secondsToMs(seconds: number): number {
  return seconds * 1000;
}

/**
 * Maps a `/status` answer to core's {@link NodeStatus}. Wire timestamps are Unix seconds,
 * domain instants milliseconds; a `last_tower_backup` of 0 or below (the Go tool's zero
 * time) means "never". `process_healthy` is the process check and `is_healthy` the local
 * `getHealth`; core's health rule needs both, each under its own name.
 */
export function toNodeStatus(wire: StatusResponse): NodeStatus {
  return {
    processRunning: wire.process_running,
    processUptimeSec: wire.process_uptime,
    processHealthy: wire.process_healthy,
    validatorSlot: wire.validator_slot,
    networkSlot: wire.network_slot,
    slotDiff: wire.slot_diff,
    rpcHealthy: wire.is_healthy,
    isActive: wire.is_active,
    lastTowerBackup: wire.last_tower_backup > 0 ? secondsToMs(wire.last_tower_backup) : null,
    ...optional('processExitedAt', wire.process_exited_at),
    ...optional('identityPubkey', wire.identity_pubkey),
    ...optional('role', wire.role),
    ...optional(
      'tower',
      wire.tower === undefined
        ? undefined
        : {
            lastVoteSlot: wire.tower.last_vote_slot,
            sha256: wire.tower.sha256,
            backedUpAt: secondsToMs(wire.tower.backed_up_at),
          },
    ),
    ...optional(
      'voteHistory',
      wire.vote_history === undefined
        ? undefined
        : {
            newestSlot: wire.vote_history.newest_slot,
            sha256: wire.vote_history.sha256,
            backedUpAt: secondsToMs(wire.vote_history.backed_up_at),
          },
    ),
    ...optional(
      'alpenglowGenesis',
      wire.ag_genesis_cert === undefined
        ? undefined
        : wire.ag_genesis_cert === null
          ? null
          : { slot: wire.ag_genesis_cert.slot, blockId: wire.ag_genesis_cert.block_id },
    ),
    ...optional('agentVersion', wire.agent_version),
    ...optional('error', wire.error),
    timestamp: secondsToMs(wire.timestamp),
  };
}

/** Maps a failed agent call to core's {@link UnreachableReason}. */
export function toUnreachableReason(error: AgentCallError): UnreachableReason {
  switch (error.kind) {
    case 'unreachable':
      return 'refused';
    case 'timeout':
      return 'timeout';
    case 'rejected':
      return 'rejected';
    case 'invalid-response':
      return 'error';
    // An answer that is not the agent's says nothing about the agent: no better than none.
    case 'forged-response':
      return 'error';
  }
}

// Reading the slot and the vote account, twice, within the proof step's limit.
const PROOF_READ_ALLOWANCE_MS = 10_000;

/** The settings of core's manager machine that come from `manager-config.json`. */
export function toManagerMachineOptions(config: ManagerConfig): ManagerMachineOptions {
  return {
    missesBeforeFailover: config.missesBeforeFailover,
    startupGracePeriodMs: config.startupGracePeriodMs,
    cooldownMs: config.failoverCooldownMs,
    dryRun: config.dryRun,
    secureMode: config.secureIdentity !== undefined,
    stakedIdentityPubkey: config.stakedIdentityPubkey ?? null,
    initialActive: config.initialActive ?? null,
    statusReportIntervalMs: config.statusReportIntervalMs,
    health: { slotDiffThreshold: config.slotDiffThreshold },
    voteProof: { staleVoteSlotThreshold: config.staleVoteSlotThreshold },
    voteAccountConfigured: config.voteAccountPubkey !== undefined,
    planTimeouts: {
      demoteMs: config.demoteTimeoutMs,
      promoteMs: config.promoteTimeoutMs,
      // The proof may run the fence command, then wait out the guard's bound (manager host-fence).
      proveStoppedVotingMs: config.fenceTimeoutMs + config.guardBoundMs + PROOF_READ_ALLOWANCE_MS,
      ...optional(
        'preFailoverMs',
        config.hooks.preFailover === undefined
          ? undefined
          : config.hooks.preFailover.timeoutMs + HOOK_STEP_ALLOWANCE_MS,
      ),
      ...optional(
        'postFailoverMs',
        config.hooks.postFailover === undefined
          ? undefined
          : config.hooks.postFailover.timeoutMs + HOOK_STEP_ALLOWANCE_MS,
      ),
    },
    hooks: {
      preFailover:
        config.hooks.preFailover === undefined
          ? null
          : config.hooks.preFailover.mustSucceed
            ? 'must-succeed'
            : 'may-fail',
      postFailover: config.hooks.postFailover !== undefined,
    },
  };
}
