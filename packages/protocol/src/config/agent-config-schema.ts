/**
 * `validator-config.json`, the agent's config file. Every key of the Go tool keeps its name
 * and meaning (DESIGN §4); the keys after `dry_run` are new and optional.
 *
 * Values the Go tool passed through as opaque strings (commands, paths, IPs, the identity)
 * get no format check here: migrated configs still hold placeholders such as `"IDENTITY"`
 * or `http://PEPEER_IP:8080` until the operator edits them, and the agent reports a bad
 * value where it uses it. New keys are checked strictly.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { NODE_NAME_PATTERN } from '../wire/agent-api';
import { Duration } from './duration';
import { EtcdAccessKeys } from './etcd-access-schema';

/** The `$schema` compatibility key: lets an editor find the JSON Schema of the file. */
export const SchemaKeySchema = Type.Optional(
  Type.String({ description: 'JSON Schema reference for editors; ignored by the program.' }),
);

/** Where the agent keeps tower backups: `directory`, `etcd` or the Go tool's `command`s. */
export const TowerStoreKindSchema = Type.Union(
  [Type.Literal('directory'), Type.Literal('etcd'), Type.Literal('command')],
  {
    description: 'Tower backup store. Default: `command` when `tower_backup_command` is set, else `directory`.',
  },
);

/** Log line format for both programs: human-readable text or one JSON object per line. */
export const LogFormatSchema = Type.Union([Type.Literal('text'), Type.Literal('json')], {
  description: 'Log line format: `text` for people, `json` for log shippers.',
  default: 'text',
});

/** `validator_client`: whose identity commands, read-back and process name the agent uses by default. */
export const ValidatorClientSchema = Type.Union(
  [Type.Literal('agave'), Type.Literal('frankendancer'), Type.Literal('firedancer')],
  {
    description:
      'The validator client: `agave`, `frankendancer` (`fdctl`) or `firedancer`. It picks the default `process_name` and, with `staked_keypair_path` and `unstaked_keypair_path`, the identity commands; `frankendancer` and `firedancer` also read the identity back with their `get-identity` after each switch. Command keys that are set win over the profile.',
    default: 'agave',
  },
);

/** A hook's time limit when the config gives none. */
export const DEFAULT_HOOK_TIMEOUT = '30s';

const hookCommand = (): ReturnType<typeof Type.String> =>
  Type.String({
    minLength: 1,
    description:
      'Shell command (run with `bash -c`, placeholders as in the other command templates). The change is described in its environment (`FAILOVER_HOOK`, `FAILOVER_ROLE_FROM`, `FAILOVER_ROLE_TO`, `FAILOVER_NODE`, `FAILOVER_IDENTITY`, `FAILOVER_ORIGIN`, `FAILOVER_REASON`, `FAILOVER_TERM`), never in its command line.',
  });

const hookTimeout = (): ReturnType<typeof Duration> =>
  Duration(
    "The hook's time limit; past it its process group is killed and the hook counts as failed.",
    DEFAULT_HOOK_TIMEOUT,
  );

/** `hooks.pre_promote`: runs before a promotion, and may veto it. */
export const VetoHookSchema = Type.Object(
  {
    command: hookCommand(),
    must_succeed: Type.Optional(
      Type.Boolean({
        description:
          'A failure or timeout ends the promotion before anything changed; without it the failure is reported and the promotion goes on.',
        default: false,
      }),
    ),
    timeout: Type.Optional(hookTimeout()),
  },
  { additionalProperties: false },
);

/** `hooks.post_promote`, `hooks.pre_demote`, `hooks.post_demote`: their failure is reported, and never stops or undoes a change. */
export const HookSchema = Type.Object(
  { command: hookCommand(), timeout: Type.Optional(hookTimeout()) },
  { additionalProperties: false },
);

/** `hooks`: the operator's commands around the agent's role changes. */
export const AgentHooksSchema = Type.Object(
  {
    pre_promote: Type.Optional(VetoHookSchema),
    post_promote: Type.Optional(HookSchema),
    pre_demote: Type.Optional(HookSchema),
    post_demote: Type.Optional(HookSchema),
  },
  {
    additionalProperties: false,
    description:
      "Commands run around the agent's role changes: `pre_promote` and `post_promote` around `become_active`, `pre_demote` and `post_demote` around `become_passive`. Only `pre_promote` can stop a change (`must_succeed`): a demotion is the safe direction and may be the manager's fence of a second voter, so nothing vetoes it. A pre hook runs only before a change a manager asked for; a demotion the agent starts itself (a stray staked identity, isolation, a fenced backup, the watchdog) is never held up by a hook. A post hook runs once the change is done and never undoes it.",
  },
);

/** An http(s) URL without spaces; used only on new keys, never on keys the Go tool had. */
export const HTTP_URL_PATTERN = '^https?://[^\\s]+$';

/** Schema of `validator-config.json`. */
export const AgentConfigSchema = Type.Object(
  {
    $schema: SchemaKeySchema,
    listen_addr: Type.Optional(
      Type.String({ description: 'Address the agent API listens on (`host:port` or `:port`).', default: ':8080' }),
    ),
    allowed_ips: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Client IPs allowed to call the agent API; empty allows every IP (authentication still applies).',
      }),
    ),
    local_rpc: Type.Optional(
      Type.String({ description: 'JSON-RPC URL of the local validator.', default: 'http://127.0.0.1:8899' }),
    ),
    process_name: Type.Optional(
      Type.String({
        description:
          'Exact process name of the validator (as `pgrep -x` matches it). Default: per `validator_client`, `agave-validator`, `fdctl` or `firedancer`.',
      }),
    ),
    peer_endpoint: Type.Optional(
      Type.String({
        description: "Base URL of the other validator's agent, asked by the watchdog when the manager is silent.",
      }),
    ),
    is_active_on_start: Type.Optional(
      Type.Boolean({ description: 'Role to assume when gossip and the local identity cannot tell.', default: false }),
    ),
    manager_timeout: Type.Optional(
      Duration('Manager silence after which an active agent asks its peer whether to step down.', '30s'),
    ),
    tower_backup_command: Type.Optional(
      Type.String({ description: 'Shell command that backs up the tower file (selects `tower_store: command`).' }),
    ),
    tower_restore_command: Type.Optional(
      Type.String({ description: 'Shell command that restores the tower file before taking the staked identity.' }),
    ),
    vote_history_backup_command: Type.Optional(
      Type.String({
        description:
          'Shell command that backs up the Alpenglow vote history (`{vote_history_file}`), beside `tower_backup_command`; same placeholders. `command` store only.',
      }),
    ),
    vote_history_restore_command: Type.Optional(
      Type.String({
        description:
          'Shell command that restores the vote history to `{vote_history_file}` before taking the staked identity; leaves the file empty or absent when no vote history was backed up. `command` store only.',
      }),
    ),
    identity_change_command: Type.Optional(
      Type.String({ description: 'Shell command that switches the validator to the staked identity.' }),
    ),
    identity_remove_command: Type.Optional(
      Type.String({ description: 'Shell command that switches the validator to the unstaked identity.' }),
    ),
    passive_identity_symlink_command: Type.Optional(
      Type.String({
        description: 'Shell command pointing the identity symlink at the unstaked key, so a restart comes up passive.',
      }),
    ),
    active_identity_symlink_command: Type.Optional(
      Type.String({ description: 'Shell command pointing the identity symlink at the staked key.' }),
    ),
    tower_file_path: Type.Optional(
      Type.String({ description: 'Tower file path; `{validator_identity}` is replaced by `validator_identity`.' }),
    ),
    validator_identity: Type.Optional(
      Type.String({ description: 'Staked identity pubkey (base58); fills `{validator_identity}` in templates.' }),
    ),
    gossip_check_command: Type.Optional(
      Type.String({
        description:
          'Shell command printing the gossip line of `{validator_identity}`; its first column is compared with `local_ip`.',
      }),
    ),
    local_ip: Type.Optional(
      Type.String({ description: "This host's gossip IP; detected from the network interfaces when absent." }),
    ),
    validator_restart_command: Type.Optional(
      Type.String({ description: 'Shell command restarting the validator, used when the identity cannot be removed.' }),
    ),
    agent_stop_command: Type.Optional(
      Type.String({
        description: 'Shell command stopping the agent service on `/shutdown`; else the agent exits by itself.',
      }),
    ),
    identity_check_command: Type.Optional(
      Type.String({
        description:
          'Shell command printing the current identity pubkey; `{local_rpc}` is replaced. Default: the local RPC `getIdentity`.',
      }),
    ),
    dry_run: Type.Optional(
      Type.Boolean({ description: 'Log commands as `would execute: …` instead of running them.', default: true }),
    ),
    log_file: Type.Optional(Type.String({ description: 'Log file path (rotated daily); logs go to stdout as well.' })),
    state_dir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Directory for state that must survive a restart (its node name, the highest term it has obeyed, the nonces of role changes it has obeyed). Default: $STATE_DIRECTORY (systemd StateDirectory=), else /var/lib/failover-agent as root, else ~/.local/state/failover-agent.',
      }),
    ),
    node_name: Type.Optional(
      Type.String({
        pattern: NODE_NAME_PATTERN,
        description:
          'The name this agent answers to: every signed request names the node it is for, and an agent refuses one for another node. Letters, digits, `.`, `_`, `-`; up to 63. Default: generated once (the host name and a random suffix) and kept in `state_dir`/node.json.',
      }),
    ),
    auth_secret_file: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File holding the shared secret that signs every API request (mode 0600).',
      }),
    ),
    insecure_no_auth: Type.Optional(
      Type.Boolean({
        description: 'Run without request authentication; the agent warns at every start.',
        default: false,
      }),
    ),
    log_format: Type.Optional(LogFormatSchema),
    tower_store: Type.Optional(TowerStoreKindSchema),
    tower_store_dir: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Directory of the `directory` tower store.',
        default: '/var/lib/failover/towers',
      }),
    ),
    etcd_endpoints: Type.Optional(
      Type.Array(Type.String({ pattern: HTTP_URL_PATTERN }), {
        minItems: 1,
        description: 'etcd client URLs of the `etcd` tower store, e.g. `["http://10.0.0.1:2379"]`.',
      }),
    ),
    etcd_prefix: Type.Optional(
      Type.String({ pattern: '^/', description: 'Key prefix of the `etcd` tower store.', default: '/failover/tower' }),
    ),
    ...EtcdAccessKeys,
    cluster_rpc: Type.Optional(
      Type.String({
        pattern: HTTP_URL_PATTERN,
        description: 'Cluster JSON-RPC URL, used to detect the role from `getClusterNodes` without a gossip command.',
      }),
    ),
    command_timeout: Type.Optional(Duration('Time limit of each shell command.', '60s')),
    ledger_path: Type.Optional(
      Type.String({ minLength: 1, description: 'Ledger directory; fills `{ledger}` in command templates.' }),
    ),
    startup_grace_period: Type.Optional(
      Duration('After start, how long the watchdog waits for a first manager heartbeat before it arms.', '60s'),
    ),
    isolation_timeout: Type.Optional(
      Duration(
        "An active agent that hears neither the manager, nor its peer, nor an advancing `cluster_rpc` slot for this long demotes its own validator, so it cannot vote beside a new active when its network heals. Keep it below the manager's proof window (`stale_vote_slot_threshold` slots, about 60s); `0` turns it off. Without `cluster_rpc`, a silent manager and an unreachable peer are enough.",
        '20s',
      ),
    ),
    guard_kill_after: Type.Optional(
      Duration(
        "`failover-agent guard` (run by the systemd unit when the agent stops, crashes or hangs) kills the validator when removing the staked identity has not succeeded within this time. Keep it below the unit's `TimeoutStopSec`.",
        '10s',
      ),
    ),
    identity_symlink_path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The identity symlink the validator starts from (e.g. `/home/solana/identity.json`). Lets a demotion be confirmed while the validator is down: not running, and the symlink names a keypair other than the staked one; a crashed validator is then restarted after its demotion, not during it.',
      }),
    ),
    validator_client: Type.Optional(ValidatorClientSchema),
    fd_config: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The config TOML the Frankendancer or Firedancer validator was started with; fills `{fd_config}`. Required with `validator_client: frankendancer` (`fdctl set-identity` without it may leave tiles on the old key); optional with `firedancer`, which otherwise finds the running validator itself.',
      }),
    ),
    staked_keypair_path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The staked identity keypair file on this host. With `unstaked_keypair_path`, the profile of `validator_client` supplies `identity_change_command` and `identity_remove_command` when they are not set.',
      }),
    ),
    unstaked_keypair_path: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The unstaked identity keypair file this validator falls back to (see `staked_keypair_path`).',
      }),
    ),
    hooks: Type.Optional(AgentHooksSchema),
  },
  { additionalProperties: false, title: 'failover agent config (validator-config.json)' },
);

/** The agent config as written in the file (snake_case, defaults not yet applied). */
export type AgentConfigFile = Static<typeof AgentConfigSchema>;
