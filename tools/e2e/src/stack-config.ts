/**
 * The two config files of a stack, as an operator would write them: `validator-config.json`
 * with the Go tool's keys and command templates pointed at one simulated validator, and
 * `manager-config.json` pointed at both agents. Pure builders, so a test can read exactly what
 * the programs were given.
 */
import type { ValidatorClient } from '@failover/protocol';
import type { SimValidator } from '@failover/solana-sim';

/** Where the tower backups go: the embedded directory store or a real etcd. */
export type TowerStoreChoice =
  | { readonly kind: 'directory'; readonly dir: string }
  | { readonly kind: 'etcd'; readonly endpoints: readonly string[] };

/** What an agent's config needs to know of its validator. */
export type ValidatorPaths = Pick<
  SimValidator,
  'ip' | 'rpcUrl' | 'processName' | 'ledgerDir' | 'identitySymlink' | 'stakedKeypairPath' | 'unstakedKeypairPath'
>;

/** What one agent's config is built from. */
export interface AgentConfigInput {
  readonly validator: ValidatorPaths;
  readonly stakedPubkey: string;
  /** `host:port` the agent listens on: the validator's own loopback IP. */
  readonly listen: string;
  readonly peerUrl: string;
  readonly secretPath: string;
  /** `state_dir`: the stack's own, never the default under /var/lib (stacks run side by side on one host). */
  readonly stateDir: string;
  readonly towerStore: TowerStoreChoice;
  /** Shell command standing in for `systemctl restart solana`. */
  readonly restartCommand: string;
  readonly isActiveOnStart: boolean;
  readonly dryRun: boolean;
  readonly managerTimeoutMs: number;
  readonly startupGraceMs: number;
  /**
   * `isolation_timeout`: an active cut off from manager, peer and cluster steps down after
   * this; it must end (with the step-down) inside the manager's proof window, or the manager
   * promotes past a node that resumes voting when its network heals. Absent: the agent's 20s.
   */
  readonly isolationTimeoutMs?: number;
  /** `guard_kill_after`, for the host guard; absent: the agent's 10s. */
  readonly guardKillAfterMs?: number;
}

/**
 * The last word on an agent's config for a Frankendancer or Firedancer pair: the Agave
 * commands taken out, so the client's profile supplies its own from the keypair paths and the
 * validator's config TOML (docs/clients.md). The stack's process names stay: two stacks on one
 * host must not share them.
 */
export function clientProfileConfig(
  client: Exclude<ValidatorClient, 'agave'>,
): (
  config: Record<string, unknown>,
  v: Pick<SimValidator, 'fdConfigPath' | 'stakedKeypairPath' | 'unstakedKeypairPath'>,
) => Record<string, unknown> {
  return (config, v) => ({
    ...Object.fromEntries(
      Object.entries(config).filter(([key]) => key !== 'identity_change_command' && key !== 'identity_remove_command'),
    ),
    validator_client: client,
    fd_config: v.fdConfigPath,
    staked_keypair_path: v.stakedKeypairPath,
    unstaked_keypair_path: v.unstakedKeypairPath,
  });
}

/** Quotes a path for bash: the templates run through `bash -c`, and temp dirs are not ours to trust. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `validator-config.json` for one validator. The identity and symlink commands are the Go
 * README's templates (`agave-validator -l LEDGER set-identity [--require-tower] KEYPAIR`,
 * `ln -sf KEYPAIR identity.json`), run against the simulator's shims on PATH.
 */
export function agentConfig(input: AgentConfigInput): Record<string, unknown> {
  const v = input.validator;
  const ledger = shellQuote(v.ledgerDir);
  const staked = shellQuote(v.stakedKeypairPath);
  const unstaked = shellQuote(v.unstakedKeypairPath);
  const symlink = shellQuote(v.identitySymlink);
  const store =
    input.towerStore.kind === 'directory'
      ? { tower_store: 'directory', tower_store_dir: input.towerStore.dir }
      : { tower_store: 'etcd', etcd_endpoints: [...input.towerStore.endpoints] };
  return {
    listen_addr: input.listen,
    local_rpc: v.rpcUrl,
    process_name: v.processName,
    peer_endpoint: input.peerUrl,
    is_active_on_start: input.isActiveOnStart,
    manager_timeout: `${input.managerTimeoutMs}ms`,
    identity_change_command: `agave-validator -l ${ledger} set-identity --require-tower ${staked}`,
    identity_remove_command: `agave-validator -l ${ledger} set-identity ${unstaked}`,
    active_identity_symlink_command: `ln -sf ${staked} ${symlink}`,
    passive_identity_symlink_command: `ln -sf ${unstaked} ${symlink}`,
    // Read back by the agent: a crashed validator's demotion is confirmed on it, and its restart
    // waits until after the demotion.
    identity_symlink_path: v.identitySymlink,
    validator_restart_command: input.restartCommand,
    tower_file_path: `${v.ledgerDir}/tower-1_9-{validator_identity}.bin`,
    validator_identity: input.stakedPubkey,
    gossip_check_command: 'solana -ut gossip | grep {validator_identity}',
    local_ip: v.ip,
    ledger_path: v.ledgerDir,
    dry_run: input.dryRun,
    auth_secret_file: input.secretPath,
    state_dir: input.stateDir,
    startup_grace_period: `${input.startupGraceMs}ms`,
    ...(input.isolationTimeoutMs === undefined ? {} : { isolation_timeout: `${input.isolationTimeoutMs}ms` }),
    ...(input.guardKillAfterMs === undefined ? {} : { guard_kill_after: `${input.guardKillAfterMs}ms` }),
    ...store,
  };
}

/** One validator as the manager sees it. */
export interface ManagedNode {
  readonly endpoint: string;
  readonly ip: string;
  readonly ledgerPath: string;
}

/** The manager's keys of secure identity mode (`docs/secure-mode.md`). */
export interface SecureIdentityInput {
  /** The staked keypair, on the manager only. */
  readonly keypairPath: string;
  readonly sshUser: string;
  readonly sshKeyPath: string;
  readonly knownHostsPath: string;
  /** Remote commands reading the keypair on stdin; `{ledger}` is the node's `ledger_path`. */
  readonly setIdentityCommand: string;
  readonly authorizedVoterCommand: string;
  /** SSH port of validator1 and validator2. */
  readonly sshPorts: readonly [number, number];
}

/** What the manager's config is built from. */
export interface ManagerConfigInput {
  readonly nodes: readonly [ManagedNode, ManagedNode];
  readonly clusterRpc: string;
  readonly stakedPubkey: string;
  readonly votePubkey: string;
  readonly secretPath: string;
  /** `state_dir`: the stack's own, never the default under /var/lib. */
  readonly stateDir: string;
  readonly controlListen: string;
  readonly heartbeatMs: number;
  readonly misses: number;
  readonly requestTimeoutMs: number;
  readonly slotThreshold: number;
  readonly staleVoteSlots: number;
  /** `guard_bound`: by then what guards an unreachable agent's host has acted. */
  readonly guardBoundMs: number;
  readonly startupGraceMs: number;
  readonly cooldownMs: number;
  readonly dryRun: boolean;
  readonly telegram?: { readonly token: string; readonly chatId: string; readonly apiRoot: string };
  /** Secure identity mode: the manager pushes the staked keypair over SSH. */
  readonly secure?: SecureIdentityInput;
}

/**
 * `manager-config.json`: both agents, the cluster RPC (native gossip and vote-account proof),
 * and JSON log lines so the harness can read each notified event with its fields.
 */
export function managerConfig(input: ManagerConfigInput): Record<string, unknown> {
  const secure = input.secure;
  const node = (n: ManagedNode, i: 0 | 1): Record<string, unknown> => ({
    endpoint: n.endpoint,
    ip: n.ip,
    ledger_path: n.ledgerPath,
    ...(secure === undefined ? {} : { ssh_port: secure.sshPorts[i] }),
  });
  return {
    validator1: node(input.nodes[0], 0),
    validator2: node(input.nodes[1], 1),
    cluster_rpc: input.clusterRpc,
    heartbeat_interval: `${input.heartbeatMs}ms`,
    slot_check_interval: `${input.heartbeatMs}ms`,
    misses_before_failover: input.misses,
    slot_diff_threshold: input.slotThreshold,
    request_timeout: `${input.requestTimeoutMs}ms`,
    startup_grace_period: `${input.startupGraceMs}ms`,
    failover_cooldown: `${input.cooldownMs}ms`,
    dry_run: input.dryRun,
    auth_secret_file: input.secretPath,
    staked_identity_pubkey: input.stakedPubkey,
    vote_account_pubkey: input.votePubkey,
    stale_vote_slot_threshold: input.staleVoteSlots,
    guard_bound: `${input.guardBoundMs}ms`,
    control_listen: input.controlListen,
    state_dir: input.stateDir,
    log_format: 'json',
    ...(input.telegram === undefined
      ? {}
      : {
          telegram_bot_token: input.telegram.token,
          telegram_chat_id: input.telegram.chatId,
          telegram_api_root: input.telegram.apiRoot,
        }),
    ...(secure === undefined
      ? {}
      : {
          secure_identity_mode: true,
          identity_keypair_path: secure.keypairPath,
          ssh_user: secure.sshUser,
          ssh_key_path: secure.sshKeyPath,
          known_hosts_path: secure.knownHostsPath,
          ssh_set_identity_command: secure.setIdentityCommand,
          ssh_authorized_voter_command: secure.authorizedVoterCommand,
        }),
  };
}
