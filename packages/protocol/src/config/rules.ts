/**
 * Checks that span several keys, run after the schema check on a config with defaults
 * applied. Each rule exists because the combination would otherwise fail later, at the
 * worst time: during a failover.
 */
import type { AgentConfigFile } from './agent-config-schema';
import type { ManagerConfigFile } from './manager-config-schema';
import { parseDuration } from './duration';
import type { ConfigProblem } from './problems';

/**
 * Cross-key problems of an agent config. The staked identity and the tower file's location
 * are optional in the schema, as in the Go tool, but the agent cannot run without either.
 */
export function agentRuleProblems(file: AgentConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (file.validator_identity === undefined) {
    problems.push({
      path: '/validator_identity',
      message: 'is required: the staked identity pubkey, whose tower the agent finds, verifies and backs up',
    });
  }
  if (file.tower_file_path === undefined && file.ledger_path === undefined) {
    // The tower file is found in the ledger directory when its path is not given.
    problems.push({
      path: '/tower_file_path',
      message: 'is required when ledger_path is not set: the agent must know where the tower file is',
    });
  }
  if (file.auth_secret_file !== undefined && file.insecure_no_auth === true) {
    problems.push({ path: '/insecure_no_auth', message: 'is true while auth_secret_file is set; choose one' });
  }
  if (file.tower_store === 'etcd' && file.etcd_endpoints === undefined) {
    problems.push({ path: '/etcd_endpoints', message: 'is required when tower_store is "etcd"' });
  }
  problems.push(...etcdAccessProblems(file));
  if (file.tower_store === 'command') {
    for (const key of ['tower_backup_command', 'tower_restore_command'] as const) {
      if (file[key] === undefined)
        problems.push({ path: `/${key}`, message: 'is required when tower_store is "command"' });
    }
  }
  problems.push(...voteHistoryCommandProblems(file));
  if (
    file.tower_store === undefined &&
    file.tower_backup_command !== undefined &&
    file.tower_restore_command === undefined
  ) {
    // A backup that can never be restored looks healthy until the first failover.
    problems.push({ path: '/tower_restore_command', message: 'is required when tower_backup_command is set' });
  }
  problems.push(...clientProfileProblems(file));
  return problems;
}

/** What `validator_client` and the keypair paths need to build commands that can work. */
function clientProfileProblems(file: AgentConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const client = file.validator_client ?? 'agave';
  if (client === 'frankendancer' && file.fd_config === undefined) {
    problems.push({
      path: '/fd_config',
      message:
        'is required when validator_client is "frankendancer": fdctl set-identity and get-identity need the config TOML the validator was started with',
    });
  }
  if ((file.staked_keypair_path === undefined) !== (file.unstaked_keypair_path === undefined)) {
    const missing = file.staked_keypair_path === undefined ? 'staked_keypair_path' : 'unstaked_keypair_path';
    problems.push({
      path: `/${missing}`,
      message: 'is required when the other keypair path is set: the profile switches between the two',
    });
  }
  const profileCommandsUsed =
    file.staked_keypair_path !== undefined &&
    (file.identity_change_command === undefined || file.identity_remove_command === undefined);
  if (client === 'agave' && profileCommandsUsed && file.ledger_path === undefined) {
    problems.push({
      path: '/ledger_path',
      message:
        'is required when the agave profile supplies the identity commands: agave-validator -l LEDGER set-identity reaches the validator through its ledger',
    });
  }
  return problems;
}

const VOTE_HISTORY_COMMANDS = ['vote_history_backup_command', 'vote_history_restore_command'] as const;

/**
 * The vote-history commands come as a pair and only with the `command` store: one without the
 * other backs up what can never come back, or restores what was never stored.
 */
function voteHistoryCommandProblems(file: AgentConfigFile): ConfigProblem[] {
  const set = VOTE_HISTORY_COMMANDS.filter((key) => file[key] !== undefined);
  if (set.length === 0) return [];
  const commandStore =
    file.tower_store === 'command' || (file.tower_store === undefined && file.tower_backup_command !== undefined);
  if (!commandStore) {
    return set.map((key) => ({
      path: `/${key}`,
      message:
        'is set but the tower store is not "command"; the directory and etcd stores carry the vote history themselves',
    }));
  }
  const missing = VOTE_HISTORY_COMMANDS.filter((key) => file[key] === undefined);
  return missing.map((key) => ({ path: `/${key}`, message: `is required when ${set.join(' and ')} is set` }));
}

const SECURE_MODE_KEYS = [
  'identity_keypair_path',
  'ssh_user',
  'ssh_key_path',
  'ssh_set_identity_command',
  'staked_identity_pubkey',
] as const;

function validatorPairProblems(file: ManagerConfigFile): ConfigProblem[] {
  const hasPair = file.validator1 !== undefined || file.validator2 !== undefined;
  const hasEndpoints = file.active_validator !== undefined || file.passive_validator !== undefined;
  if (!hasPair && !hasEndpoints) {
    return [{ path: '/validator1', message: 'is required: set validator1 and validator2 (or --active and --passive)' }];
  }
  const problems: ConfigProblem[] = [];
  if (hasPair) {
    for (const key of ['validator1', 'validator2'] as const) {
      if (file[key] === undefined)
        problems.push({
          path: `/${key}`,
          message: `is required when ${key === 'validator1' ? 'validator2' : 'validator1'} is set`,
        });
    }
    if (file.validator1 !== undefined && file.validator1.endpoint === file.validator2?.endpoint) {
      problems.push({
        path: '/validator2/endpoint',
        message: 'is the same as validator1.endpoint; the two validators must be different agents',
      });
    }
    const name = file.validator1?.node_name;
    if (name !== undefined && name === file.validator2?.node_name) {
      // A request signed for one would then be valid at the other (docs/fencing.md).
      problems.push({
        path: '/validator2/node_name',
        message: 'is the same as validator1.node_name; each agent must have its own name',
      });
    }
  }
  if (hasEndpoints && !hasPair) {
    for (const key of ['active_validator', 'passive_validator'] as const) {
      if (file[key] === undefined)
        problems.push({ path: `/${key}`, message: 'is required when validator1/validator2 are not set' });
    }
  }
  if (hasPair && file.validator1 !== undefined && file.validator2 !== undefined) {
    const endpoints = [file.validator1.endpoint, file.validator2.endpoint];
    for (const key of ['active_validator', 'passive_validator'] as const) {
      const value = file[key];
      if (value !== undefined && !endpoints.includes(value)) {
        problems.push({
          path: `/${key}`,
          message: `"${value}" is neither validator1.endpoint nor validator2.endpoint`,
        });
      }
    }
  }
  return problems;
}

/** The keys of both files that secure the connection to etcd. */
type EtcdAccessFile = Pick<
  AgentConfigFile & ManagerConfigFile,
  'etcd_endpoints' | 'etcd_ca_file' | 'etcd_cert_file' | 'etcd_key_file' | 'etcd_username' | 'etcd_password_file'
>;

const ETCD_ACCESS_KEYS = [
  'etcd_ca_file',
  'etcd_cert_file',
  'etcd_key_file',
  'etcd_username',
  'etcd_password_file',
] as const;

/** TLS and user keys: in pairs, with endpoints, and never TLS files beside a plain-text endpoint. */
function etcdAccessProblems(file: EtcdAccessFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const endpoints = file.etcd_endpoints;
  if (endpoints === undefined) {
    for (const key of ETCD_ACCESS_KEYS)
      if (file[key] !== undefined)
        problems.push({ path: `/${key}`, message: 'has no effect without etcd_endpoints; set both or neither' });
    return problems;
  }
  for (const [a, b] of [
    ['etcd_cert_file', 'etcd_key_file'],
    ['etcd_username', 'etcd_password_file'],
  ] as const) {
    if ((file[a] === undefined) !== (file[b] === undefined)) {
      const missing = file[a] === undefined ? a : b;
      problems.push({ path: `/${missing}`, message: `is required when ${missing === a ? b : a} is set` });
    }
  }
  if (file.etcd_cert_file !== undefined && file.etcd_ca_file === undefined)
    problems.push({
      path: '/etcd_ca_file',
      message: 'is required when etcd_cert_file is set: the CA that signed the etcd members’ certificates',
    });
  const tls = file.etcd_ca_file !== undefined || file.etcd_cert_file !== undefined;
  const secure = endpoints.map((url) => url.startsWith('https://'));
  endpoints.forEach((url, index) => {
    if (tls && !secure[index])
      problems.push({
        path: `/etcd_endpoints/${index}`,
        message: `is "${url}", plain text, while etcd TLS files are set; use https://`,
      });
  });
  if (!tls && secure.includes(true) && secure.includes(false))
    problems.push({
      path: '/etcd_endpoints',
      message: 'mixes http:// and https:// members; one etcd cluster speaks one of them',
    });
  return problems;
}

/** The lease TTL's bounds: etcd counts leases in whole seconds; below 2 s a keepalive has no room to be late. */
export const ELECTION_TTL_LIMITS_MS = { min: 2_000, max: 300_000 } as const;

function electionProblems(file: ManagerConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (file.etcd_endpoints === undefined) {
    // Without endpoints there is no election: a prefix or TTL alone would be silently ignored.
    for (const key of ['etcd_prefix', 'election_lease_ttl'] as const) {
      if (file[key] !== undefined)
        problems.push({ path: `/${key}`, message: 'has no effect without etcd_endpoints; set both or neither' });
    }
  }
  const ttl = file.election_lease_ttl === undefined ? undefined : parseDuration(file.election_lease_ttl);
  if (ttl !== undefined && (ttl % 1000 !== 0 || ttl < ELECTION_TTL_LIMITS_MS.min || ttl > ELECTION_TTL_LIMITS_MS.max)) {
    problems.push({
      path: '/election_lease_ttl',
      message: `is "${file.election_lease_ttl}"; it must be a whole number of seconds from 2s to 5m (etcd leases count in seconds)`,
    });
  }
  return problems;
}

/** Cross-key problems of a manager config. */
export function managerRuleProblems(file: ManagerConfigFile): ConfigProblem[] {
  const problems = validatorPairProblems(file);
  problems.push(...electionProblems(file));
  problems.push(...etcdAccessProblems(file));
  if (file.auth_secret_file !== undefined && file.insecure_no_auth === true) {
    problems.push({ path: '/insecure_no_auth', message: 'is true while auth_secret_file is set; choose one' });
  }
  if (Array.isArray(file.cluster_rpc)) {
    // One endpoint listed twice would count as two agreeing witnesses of the vote account.
    file.cluster_rpc.forEach((url, index, list) => {
      if (list.indexOf(url) !== index)
        problems.push({
          path: `/cluster_rpc/${index}`,
          message: `repeats "${url}"; list each endpoint once, since two answers of one endpoint are not two witnesses`,
        });
    });
  }
  for (const key of ['control_listen', 'metrics_listen'] as const) {
    const address = file[key];
    const port = address === undefined ? undefined : Number(address.slice(address.lastIndexOf(':') + 1));
    // Port 0 asks the system for a free one, which tests and one-off runs use.
    if (port !== undefined && port > 65_535)
      problems.push({ path: `/${key}`, message: `has port ${port}; a port is at most 65535` });
  }
  if (
    file.metrics_listen !== undefined &&
    file.control_listen !== undefined &&
    file.metrics_listen === file.control_listen
  ) {
    problems.push({
      path: '/metrics_listen',
      message: 'is the control_listen address; /metrics is served there already, so leave metrics_listen out',
    });
  }
  if ((file.telegram_bot_token === undefined) !== (file.telegram_chat_id === undefined)) {
    const missing = file.telegram_bot_token === undefined ? 'telegram_bot_token' : 'telegram_chat_id';
    problems.push({ path: `/${missing}`, message: 'is required when the other Telegram key is set' });
  }
  if (file.secure_identity_mode === true) {
    if (file.validator1 === undefined && file.validator2 === undefined) {
      problems.push({
        path: '/validator1',
        message: 'is required when secure_identity_mode is true: its ledger_path fills {ledger}',
      });
    }
    for (const key of SECURE_MODE_KEYS) {
      if (file[key] === undefined)
        problems.push({ path: `/${key}`, message: 'is required when secure_identity_mode is true' });
    }
    for (const key of ['validator1', 'validator2'] as const) {
      const node = file[key];
      if (node !== undefined && node.ledger_path === undefined) {
        problems.push({ path: `/${key}/ledger_path`, message: 'is required when secure_identity_mode is true' });
      }
    }
  }
  return problems;
}
