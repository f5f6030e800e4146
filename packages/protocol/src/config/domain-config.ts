/**
 * The configs as the programs use them: camelCase, durations in milliseconds, optional
 * groups present only when complete, choices as discriminated unions. Produced once at
 * start-up by the loader (`toAgentConfig`, `toManagerConfig`) and frozen.
 */
import type { ConsensusPhaseSetting, HookName, RoleHook } from '@failover/core';

import type { ValidatorClient } from './client-profiles';

/** Log line format of both programs. */
export type LogFormat = 'text' | 'json';

/**
 * How requests are authenticated. `missing` (neither `auth_secret_file` nor
 * `insecure_no_auth`) is a value, not a load error: the apps refuse to start on it with
 * their own message, while tools that only read the file (`--generate-config`, docs) work.
 */
export type AuthSetting =
  | { readonly mode: 'secret-file'; readonly secretFile: string }
  | { readonly mode: 'insecure' }
  | { readonly mode: 'missing' };

/** How a program connects to etcd: `etcd_ca_file` … `etcd_password_file`, each absent when not set. */
export interface EtcdAccess {
  /** `etcd_ca_file`: the CA of the members' certificates; set, the connection is TLS. */
  readonly caFile?: string;
  /** `etcd_cert_file` and `etcd_key_file`: the client certificate and its key. */
  readonly clientCert?: { readonly certFile: string; readonly keyFile: string };
  /** `etcd_username` and `etcd_password_file`. */
  readonly user?: { readonly username: string; readonly passwordFile: string };
}

/** Where the agent keeps tower backups. */
export type TowerStoreSetting =
  | { readonly kind: 'directory'; readonly dir: string }
  | {
      readonly kind: 'etcd';
      readonly endpoints: readonly string[];
      readonly prefix: string;
      /** TLS and user of the connection. @default plain text, no user */
      readonly access?: EtcdAccess;
    }
  | {
      readonly kind: 'command';
      readonly backupCommand: string;
      readonly restoreCommand: string;
      /** `vote_history_backup_command`; absent in a Go config, which carries no vote history. */
      readonly voteHistoryBackupCommand?: string;
      /** `vote_history_restore_command`, set together with the backup command. */
      readonly voteHistoryRestoreCommand?: string;
    };

/** The agent's shell command templates, each absent when not configured. */
export interface AgentCommands {
  /** `identity_change_command`, else the `validator_client` profile's: switch to the staked identity. */
  readonly identityChange?: string;
  /** `identity_remove_command`, else the profile's: switch to the unstaked identity. */
  readonly identityRemove?: string;
  /**
   * The profile's `identityChange` with `--force` (Frankendancer), run once when the first attempt
   * timed out or found a key switch left half done; absent when `identity_change_command` is set.
   */
  readonly identityChangeForce?: string;
  /** The profile's `identityRemove` with `--force`; absent when `identity_remove_command` is set. */
  readonly identityRemoveForce?: string;
  /** The client's `get-identity`, run after each identity step; it must print the expected pubkey. */
  readonly identityReadback?: string;
  /** `active_identity_symlink_command`. */
  readonly activeIdentitySymlink?: string;
  /** `passive_identity_symlink_command`. */
  readonly passiveIdentitySymlink?: string;
  /** `validator_restart_command`. */
  readonly validatorRestart?: string;
  /** `agent_stop_command`. */
  readonly agentStop?: string;
  /** `identity_check_command` (`{local_rpc}` placeholder). */
  readonly identityCheck?: string;
  /** `gossip_check_command` (`{validator_identity}` placeholder). */
  readonly gossipCheck?: string;
}

/** One hook of `hooks`: its command template, and what the role machine needs to know of it. */
export interface AgentHookConfig extends RoleHook {
  /** The command template, run like the other command templates. */
  readonly command: string;
}

/** One of the manager's `hooks`: its shell command and time limit. */
export interface ManagerHookConfig {
  readonly command: string;
  readonly timeoutMs: number;
}

/** The manager's `hooks`; a point without a hook is absent. */
export interface ManagerHookConfigs {
  readonly preFailover?: ManagerHookConfig & { readonly mustSucceed: boolean };
  readonly postFailover?: ManagerHookConfig;
}

/** `hooks`, by hook point; a point without a hook is absent. */
export type AgentHookConfigs = Readonly<Partial<Record<HookName, AgentHookConfig>>>;

/** The agent's configuration (from `validator-config.json`, env and flags). */
export interface AgentConfig {
  readonly listenAddr: string;
  readonly allowedIps: readonly string[];
  readonly localRpc: string;
  /** `validator_client`. @default 'agave' */
  readonly validatorClient: ValidatorClient;
  /** `fd_config`: the Firedancer config TOML; fills `{fd_config}`. */
  readonly fdConfig?: string;
  /** `process_name`, else the client's (`agave-validator`, `fdctl`, `firedancer`). */
  readonly processName: string;
  readonly peerEndpoint?: string;
  readonly isActiveOnStart: boolean;
  readonly managerTimeoutMs: number;
  readonly commands: AgentCommands;
  /**
   * The tower file: `tower_file_path` with `{validator_identity}` substituted, else
   * `<ledger_path>/tower-1_9-<validator_identity>.bin`.
   */
  readonly towerFilePath: string;
  /**
   * The Alpenglow vote-history file agave keeps beside the tower:
   * `<directory of towerFilePath>/vote_history-<validator_identity>.bin`.
   */
  readonly voteHistoryFilePath: string;
  /** The staked identity pubkey; required at load, its form is checked where it is used. */
  readonly validatorIdentity: string;
  readonly localIp?: string;
  readonly dryRun: boolean;
  readonly logFile?: string;
  /** `state_dir` as configured; the app resolves the default at start (`prepareStateDir`). */
  readonly stateDir?: string;
  readonly logFormat: LogFormat;
  readonly auth: AuthSetting;
  readonly towerStore: TowerStoreSetting;
  readonly clusterRpc?: string;
  readonly commandTimeoutMs: number;
  readonly ledgerPath?: string;
  readonly startupGracePeriodMs: number;
  /** `isolation_timeout`: an active heard by nobody this long demotes itself; 0 is off. */
  readonly isolationTimeoutMs: number;
  /** `guard_kill_after`: the host guard kills the validator when the identity is not removed by then. */
  readonly guardKillAfterMs: number;
  /** `identity_symlink_path`: the symlink the validator starts from. */
  readonly identitySymlinkPath?: string;
  /** `node_name` as configured; absent, the agent generates one at first start and keeps it in its state directory. */
  readonly nodeName?: string;
  /** `hooks`: the operator's commands around role changes. @default {} */
  readonly hooks: AgentHookConfigs;
}

/** One validator as the manager knows it. */
export interface ValidatorNodeConfig {
  /** `validator1` or `validator2`: the name used in logs and notifications. */
  readonly name: 'validator1' | 'validator2';
  readonly endpoint: string;
  readonly ip?: string;
  readonly ledgerPath?: string;
  readonly sshPort: number;
  /** The agent's `node_name`; absent, learned from its first signed answer. */
  readonly nodeName?: string;
}

/** Telegram notifications; present only when both token and chat id are configured. */
export interface TelegramConfig {
  /** Secret: never logged, never part of a message. */
  readonly botToken: string;
  readonly chatId: string;
  readonly apiRoot: string;
  /** `telegram_commands`: answer `/status` and `/history` from `chatId`. @default true */
  readonly commands: boolean;
}

/** Secure identity mode: the staked keypair stays on the manager and is pushed over SSH. */
export interface SecureIdentityConfig {
  readonly keypairPath: string;
  readonly sshUser: string;
  readonly sshKeyPath: string;
  readonly setIdentityCommand: string;
  readonly authorizedVoterCommand?: string;
  readonly knownHostsPath: string;
  readonly trustOnFirstUse: boolean;
}

/** The manager's configuration (from `manager-config.json`, env and flags). */
export interface ManagerConfig {
  readonly validators: readonly [ValidatorNodeConfig, ValidatorNodeConfig];
  /** Set by `active_validator`/`--active`/`ACTIVE_VALIDATOR`; absent means detect the roles. */
  readonly initialActive?: 'validator1' | 'validator2';
  readonly gossipCheckCommand?: string;
  /** `cluster_rpc`, a single URL read as a list of one: independent endpoints, in order of preference. */
  readonly clusterRpc: readonly [string, ...string[]];
  readonly slotCheckIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly missesBeforeFailover: number;
  readonly slotDiffThreshold: number;
  readonly requestTimeoutMs: number;
  readonly dryRun: boolean;
  readonly startupGracePeriodMs: number;
  readonly logFile?: string;
  /** `state_dir` as configured; the app resolves the default at start (`prepareStateDir`). */
  readonly stateDir?: string;
  readonly logFormat: LogFormat;
  readonly telegram?: TelegramConfig;
  readonly secureIdentity?: SecureIdentityConfig;
  readonly stakedIdentityPubkey?: string;
  readonly voteAccountPubkey?: string;
  readonly staleVoteSlotThreshold: number;
  readonly auth: AuthSetting;
  readonly statusReportIntervalMs: number;
  readonly failoverCooldownMs: number;
  readonly controlListen: { readonly host: string; readonly port: number };
  /** `metrics_listen`: a second address serving only `/metrics`. */
  readonly metricsListen?: { readonly host: string; readonly port: number };
  readonly waitForLeaderGapSlots: number;
  /** `demote_timeout`: each demotion attempt's limit; longer than the agent's worst `become_passive`. */
  readonly demoteTimeoutMs: number;
  /** `promote_timeout`: each promotion attempt's limit; longer than the agent's worst `become_active`. */
  readonly promoteTimeoutMs: number;
  /** `guard_bound`: by this long after an agent was last heard, its host guard has acted. */
  readonly guardBoundMs: number;
  /** `fence_command`: argv template that powers off an unreachable old active. */
  readonly fenceCommand?: readonly string[];
  /** `fence_timeout`: the fence command's time limit. */
  readonly fenceTimeoutMs: number;
  /** `hooks`: the operator's commands around a whole failover. @default {} */
  readonly hooks: ManagerHookConfigs;
  /** `consensus_phase`: read the consensus phase from the cluster (`auto`) or take it as given. */
  readonly consensusPhase: ConsensusPhaseSetting;
  /** `alpenglow_migration_slots`: the migration window's length after the feature's activation. */
  readonly alpenglowMigrationSlots: number;
  /** Highly available managers (`etcd_endpoints`); absent: one manager, term and journal in `state_dir`. */
  readonly election?: ElectionConfig;
}

/** Where highly available managers elect their leader and keep their journal. */
export interface ElectionConfig {
  /** `etcd_endpoints`. */
  readonly endpoints: readonly string[];
  /** `etcd_prefix`, without a trailing slash. @default '/failover/manager' */
  readonly prefix: string;
  /** `election_lease_ttl`, whole seconds. @default 10_000 */
  readonly leaseTtlMs: number;
  /** TLS and user of the connection. @default plain text, no user */
  readonly access?: EtcdAccess;
}
