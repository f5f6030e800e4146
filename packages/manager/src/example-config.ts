/**
 * `failover-manager --generate-config`: the Go tool's example `manager-config.json`, with
 * the keys this manager adds for safety (authentication, the vote account that proves an
 * unreachable active stopped voting) filled in. A test loads it through the config loader.
 */

/** The example config as an object; `--generate-config` prints it as JSON. */
export const EXAMPLE_MANAGER_CONFIG = {
  $schema:
    'https://raw.githubusercontent.com/failover-sol/failover/main/packages/protocol/schemas/manager-config.schema.json',
  validator1: { endpoint: 'http://AGENT_1_IP:8080', ip: 'AGENT_1_IP', ledger_path: '/home/solana/ledger' },
  validator2: { endpoint: 'http://AGENT_2_IP:8080', ip: 'AGENT_2_IP', ledger_path: '/home/solana/ledger' },
  gossip_check_command: 'solana -ut gossip | grep IDENTITY',
  cluster_rpc: 'https://api.testnet.solana.com',
  heartbeat_interval: '5s',
  misses_before_failover: 5,
  slot_diff_threshold: 100,
  request_timeout: '5s',
  slot_check_interval: '30s',
  startup_grace_period: '2m',
  failover_cooldown: '10m',
  dry_run: true,
  auth_secret_file: '/etc/failover/secret',
  staked_identity_pubkey: 'STAKED_IDENTITY_PUBKEY',
  vote_account_pubkey: 'VOTE_ACCOUNT_PUBKEY',
  stale_vote_slot_threshold: 150,
  control_listen: '127.0.0.1:8079',
  telegram_bot_token: 'BOT_TOKEN',
  telegram_chat_id: '-CHAT_ID',
  status_report_interval: '4h',
  log_file: '/home/solana/failover/manager.log',
} as const;

/** The text `--generate-config` prints. */
export function exampleConfigText(): string {
  return `${JSON.stringify(EXAMPLE_MANAGER_CONFIG, null, 2)}\n`;
}
