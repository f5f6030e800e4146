import { AgentConfigSchema, type ValidatorClient } from '@failover/protocol';

/**
 * The `--generate-config` example: the Go tool's keys with placeholders to replace, and the
 * new keys with safe values (dry-run on, a secret file, the etcd store).
 */
const EXAMPLE: Record<string, unknown> = {
  listen_addr: ':8080',
  local_rpc: 'http://127.0.0.1:8899',
  process_name: 'agave-validator',
  peer_endpoint: 'http://PEER_IP:8080',
  is_active_on_start: false,
  manager_timeout: '30s',
  identity_change_command: 'agave-validator -l {ledger} set-identity --require-tower /home/sol/staked-identity.json',
  identity_remove_command: 'agave-validator -l {ledger} set-identity /home/sol/unstaked-identity.json',
  active_identity_symlink_command: 'ln -sf /home/sol/staked-identity.json /home/sol/identity.json',
  passive_identity_symlink_command: 'ln -sf /home/sol/unstaked-identity.json /home/sol/identity.json',
  identity_symlink_path: '/home/sol/identity.json',
  validator_restart_command: 'sudo systemctl restart solana',
  agent_stop_command: 'sudo systemctl stop failover-agent',
  tower_file_path: '/mnt/ledger/tower-1_9-{validator_identity}.bin',
  validator_identity: 'STAKED_IDENTITY_PUBKEY',
  gossip_check_command: 'solana -um gossip | grep {validator_identity}',
  ledger_path: '/mnt/ledger',
  dry_run: true,
  log_file: '/var/log/failover/agent.log',
  auth_secret_file: '/etc/failover/auth-secret',
  tower_store: 'etcd',
  etcd_endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://10.0.0.3:2379'],
  etcd_prefix: '/failover/mainnet',
};

/**
 * The Firedancer clients' example: the profile supplies the identity commands from the two
 * keypair paths and the config TOML, so the example names those instead of commands.
 */
function firedancerExample(client: 'frankendancer' | 'firedancer'): Record<string, unknown> {
  const replaced = new Set(['identity_change_command', 'identity_remove_command', 'process_name']);
  const rest = Object.fromEntries(Object.entries(EXAMPLE).filter(([key]) => !replaced.has(key)));
  return {
    validator_client: client,
    fd_config: '/home/firedancer/config.toml',
    staked_keypair_path: '/home/sol/staked-identity.json',
    unstaked_keypair_path: '/home/sol/unstaked-identity.json',
    ...rest,
    validator_restart_command: `sudo systemctl restart ${client}`,
  };
}

/** The example config for a validator client, as JSON that `--config` accepts once the placeholders are replaced. */
export function exampleConfigJson(client: ValidatorClient = 'agave'): string {
  const example = client === 'agave' ? EXAMPLE : firedancerExample(client);
  return `${JSON.stringify(example, null, 2)}\n`;
}

/** One `# key: description` line per config key, from the schema's own descriptions. */
export function exampleConfigComments(): string {
  const properties = (
    AgentConfigSchema as unknown as { properties: Record<string, { description?: string; default?: unknown }> }
  ).properties;
  const lines = Object.entries(properties)
    .filter(([key]) => key !== '$schema')
    .map(
      ([key, schema]) =>
        `# ${key}: ${schema.description ?? ''}${schema.default === undefined ? '' : ` (default ${JSON.stringify(schema.default)})`}`,
    );
  return ['# validator-config.json keys (the JSON example is on stdout):', ...lines, ''].join('\n');
}
