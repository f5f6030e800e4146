/**
 * `manager-config.json`, the manager's config file. Every key of the Go tool keeps its name
 * and meaning (DESIGN §4); new keys are optional. As in the agent's file, values the Go tool
 * treated as opaque strings get no format check, so placeholders such as `"AGENT_1_IP"`
 * survive a migration; new keys are checked strictly.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { NODE_NAME_PATTERN } from '../wire/agent-api';
import { Duration } from './duration';
import { EtcdAccessKeys } from './etcd-access-schema';
import { DEFAULT_HOOK_TIMEOUT, LogFormatSchema, SchemaKeySchema } from './agent-config-schema';

/** One validator as the manager sees it (`validator1`, `validator2`). */
export const ValidatorEndpointSchema = Type.Object(
  {
    endpoint: Type.String({ description: "Base URL of the validator's agent, e.g. `http://10.0.0.1:8080`." }),
    ip: Type.Optional(Type.String({ description: 'Gossip IP of the validator, matched against the gossip table.' })),
    ledger_path: Type.Optional(
      Type.String({ description: 'Ledger directory on the validator; fills `{ledger}` in the SSH commands.' }),
    ),
    ssh_port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'SSH port of the validator (secure identity mode).',
        default: 22,
      }),
    ),
    node_name: Type.Optional(
      Type.String({
        pattern: NODE_NAME_PATTERN,
        description:
          "The agent's `node_name`, named in every request to it. Default: learned from the agent's first signed answer; with both names learned alike, the manager refuses to command either.",
      }),
    ),
  },
  { additionalProperties: false },
);

const managerHookCommand = (): ReturnType<typeof Type.String> =>
  Type.String({
    minLength: 1,
    description:
      "Shell command, run with `bash -c` on the manager's host. The failover is described in its environment (`FAILOVER_HOOK`, `FAILOVER_PLAN`, `FAILOVER_FROM`, `FAILOVER_TO`, `FAILOVER_FROM_NAME`, `FAILOVER_TO_NAME`, `FAILOVER_FROM_IP`, `FAILOVER_TO_IP`, `FAILOVER_REASON`, `FAILOVER_RUN`, `FAILOVER_TERM`, `FAILOVER_IDENTITY`), never in its command line. A hook interrupted by a manager restart runs again when the plan is taken up: make it safe to repeat.",
  });

const managerHookTimeout = (): ReturnType<typeof Duration> =>
  Duration(
    "The hook's time limit; past it its process group is killed and the hook counts as failed.",
    DEFAULT_HOOK_TIMEOUT,
  );

/** `hooks.pre_failover`: runs before the first step of a failover that changes anything, and may veto it. */
export const PreFailoverHookSchema = Type.Object(
  {
    command: managerHookCommand(),
    must_succeed: Type.Optional(
      Type.Boolean({
        description:
          "A failure or timeout ends the failover before anything changed; without it the failure is reported and the failover goes on. With it, an automatic failover it aborts is tried again after `failover_cooldown`, like one the new node's `pre_promote` refused.",
        default: false,
      }),
    ),
    timeout: Type.Optional(managerHookTimeout()),
  },
  { additionalProperties: false },
);

/** `hooks.post_failover`: runs once the new holder votes; its failure is reported and never undoes the change. */
export const PostFailoverHookSchema = Type.Object(
  { command: managerHookCommand(), timeout: Type.Optional(managerHookTimeout()) },
  { additionalProperties: false },
);

/** `hooks`: the operator's commands around a whole failover, on the manager's host. */
export const ManagerHooksSchema = Type.Object(
  {
    pre_failover: Type.Optional(PreFailoverHookSchema),
    post_failover: Type.Optional(PostFailoverHookSchema),
  },
  {
    additionalProperties: false,
    description:
      "Commands the manager runs around a whole switchover, failover or recovery (a fence of a second voter runs none). `pre_failover` runs once before the first step that changes anything (after the new node's `check_promote`); `post_failover` once the new holder is seen voting, and its failure never undoes the change. The agents' own `hooks` run around each node's role change.",
  },
);

/** Schema of `manager-config.json`. */
export const ManagerConfigSchema = Type.Object(
  {
    $schema: SchemaKeySchema,
    active_validator: Type.Optional(
      Type.String({
        description: 'Go tool compatibility: agent URL of the active validator, instead of detecting it.',
      }),
    ),
    passive_validator: Type.Optional(
      Type.String({
        description: 'Go tool compatibility: agent URL of the passive validator, instead of detecting it.',
      }),
    ),
    validator1: Type.Optional(
      Type.Object(ValidatorEndpointSchema.properties, {
        additionalProperties: false,
        description: 'The first validator: its agent, gossip IP and ledger.',
      }),
    ),
    validator2: Type.Optional(
      Type.Object(ValidatorEndpointSchema.properties, {
        additionalProperties: false,
        description: 'The second validator: its agent, gossip IP and ledger.',
      }),
    ),
    gossip_check_command: Type.Optional(
      Type.String({
        description:
          "Shell command printing the gossip line of the staked identity; its first column is the active validator's IP.",
      }),
    ),
    cluster_rpc: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], {
        description:
          'Cluster JSON-RPC URL, or a list of independent ones: network slot, gossip and vote accounts. With two or more, two must answer and agree before the manager promotes (docs/safety.md).',
        default: 'https://api.mainnet-beta.solana.com',
      }),
    ),
    slot_check_interval: Type.Optional(
      Duration(
        'How often the network slot and the vote account are read from `cluster_rpc`; with `vote_account_pubkey` set, at least every 7.5 s (a promotion takes its tower floor only from a reading under 15 s old).',
        '30s',
      ),
    ),
    heartbeat_interval: Type.Optional(Duration('How often both agents are asked for their status.', '5s')),
    misses_before_failover: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Consecutive failed heartbeats of the active before a failover.',
        default: 5,
      }),
    ),
    slot_diff_threshold: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Slots a validator may lag the network before it counts as unhealthy.',
        default: 100,
      }),
    ),
    request_timeout: Type.Optional(Duration('Time limit of each request to an agent.', '5s')),
    dry_run: Type.Optional(
      Type.Boolean({ description: 'Log "would failover" instead of sending failover commands.', default: true }),
    ),
    startup_grace_period: Type.Optional(
      Duration('After start, how long no failover is triggered, to let the operator check the setup.', '2m'),
    ),
    log_file: Type.Optional(Type.String({ description: 'Log file path (rotated daily); logs go to stdout as well.' })),
    state_dir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Directory for state that must survive a restart (its term and journal). Default: $STATE_DIRECTORY (systemd StateDirectory=), else /var/lib/failover-manager as root, else ~/.local/state/failover-manager.',
      }),
    ),
    etcd_endpoints: Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://[^\\s]+$' }), {
        minItems: 1,
        description:
          'etcd client URLs, e.g. `["http://10.0.0.1:2379"]`. Set, the manager runs highly available: managers started with the same `etcd_endpoints` and `etcd_prefix` elect one leader, which alone commands the agents, with its election as its term; the journal is kept in etcd. Not set: one manager, its term and journal in `state_dir`.',
      }),
    ),
    etcd_prefix: Type.Optional(
      Type.String({
        pattern: '^/[^\\s]*[^/\\s]$',
        description:
          'Key prefix of the election, the manager list, the term and the journal in etcd; one per validator pair. Default: `/failover/manager`. Needs `etcd_endpoints`.',
      }),
    ),
    election_lease_ttl: Type.Optional(
      Duration(
        "Lease of the leader's key in etcd, whole seconds from 2s to 5m: a leader that cannot renew it stops commanding within 3/4 of it, and a follower takes over within it. Default: `10s`. Needs `etcd_endpoints`.",
      ),
    ),
    ...EtcdAccessKeys,
    telegram_bot_token: Type.Optional(
      Type.String({
        description: 'Telegram bot token from @BotFather; notifications are off without it. Secret: never logged.',
      }),
    ),
    telegram_chat_id: Type.Optional(
      Type.Union([Type.String(), Type.Integer()], {
        description: 'Telegram chat to notify (negative for groups); a string as in the Go tool, or a number.',
      }),
    ),
    secure_identity_mode: Type.Optional(
      Type.Boolean({
        description: 'Keep the staked keypair only on the manager and push it over SSH on promotion.',
        default: false,
      }),
    ),
    identity_keypair_path: Type.Optional(
      Type.String({ description: 'Staked identity keypair on the manager (secure identity mode).' }),
    ),
    ssh_user: Type.Optional(Type.String({ description: 'SSH user on the validators (secure identity mode).' })),
    ssh_key_path: Type.Optional(
      Type.String({ description: 'SSH private key for the validators; `~` is expanded (secure identity mode).' }),
    ),
    ssh_set_identity_command: Type.Optional(
      Type.String({
        description:
          'Remote command reading the keypair on stdin, e.g. `agave-validator --ledger {ledger} set-identity --require-tower`.',
      }),
    ),
    ssh_authorized_voter_command: Type.Optional(
      Type.String({
        description:
          'Remote command reading the keypair on stdin, e.g. `agave-validator --ledger {ledger} authorized-voter add`.',
      }),
    ),
    staked_identity_pubkey: Type.Optional(
      Type.String({ description: 'Staked identity pubkey (base58), compared with what each agent reports.' }),
    ),
    vote_account_pubkey: Type.Optional(
      Type.String({
        description: 'Vote account pubkey (base58), whose `lastVote` proves whether the old active still votes.',
      }),
    ),
    stale_vote_slot_threshold: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Slots behind the network after which the vote account counts as no longer voting.',
        default: 150,
      }),
    ),
    consensus_phase: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('tower'), Type.Literal('alpenglow')], {
        description:
          'The cluster\'s consensus, which decides what vote evidence proves (docs/safety.md, "Alpenglow"): `auto` reads it every heartbeat from `cluster_rpc` (the Alpenglow feature account and `getAgGenesisCert`); `tower` or `alpenglow` take it as given.',
        default: 'auto',
      }),
    ),
    alpenglow_migration_slots: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Slots from the Alpenglow feature activation to the end of the migration window, during which vote evidence proves nothing.',
        default: 5000,
      }),
    ),
    guard_bound: Type.Optional(
      Duration(
        "Time after an agent was last heard by which its host guard (the agent's systemd unit: watchdog and `failover-agent guard` on stop) has removed the staked identity or killed the validator. Promoting past an unreachable old active needs the vote account's proof and this long since its agent last answered, or `fence_command` exiting 0. At least the unit's `max(WatchdogSec, TimeoutStopSec)` (until the agent is gone) plus `TimeoutStopSec` (the guard's own limit, which must exceed the agent's `guard_kill_after` by the guard's start and the kill).",
        '45s',
      ),
    ),
    fence_command: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          'Command (argv, run without a shell) that powers off an unreachable old active before the passive is promoted, e.g. IPMI or a cloud API; `{node}` (validator1, validator2), `{node_name}`, `{ip}` and `{endpoint}` are replaced in each element. Exit 0 is proof enough to promote.',
      }),
    ),
    fence_timeout: Type.Optional(Duration('Time limit of `fence_command`; it is killed after it.', '60s')),
    hooks: Type.Optional(ManagerHooksSchema),
    auth_secret_file: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File holding the shared secret that signs requests to the agents (mode 0600).',
      }),
    ),
    insecure_no_auth: Type.Optional(
      Type.Boolean({
        description: 'Talk to agents without request authentication; the manager warns at every start.',
        default: false,
      }),
    ),
    log_format: Type.Optional(LogFormatSchema),
    known_hosts_path: Type.Optional(
      Type.String({
        minLength: 1,
        description: "known_hosts file the validators' SSH host keys are checked against.",
        default: '~/.ssh/known_hosts',
      }),
    ),
    ssh_trust_on_first_use: Type.Optional(
      Type.Boolean({
        description: 'Accept and record an unknown SSH host key once; a changed key is always refused.',
        default: false,
      }),
    ),
    telegram_api_root: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]*[^/\\s]$',
        description: 'Telegram Bot API root, without a trailing slash.',
        default: 'https://api.telegram.org',
      }),
    ),
    telegram_commands: Type.Optional(
      Type.Boolean({
        description:
          'Answer the read-only commands `/status` and `/history` sent to the bot from `telegram_chat_id` (long polling); messages from any other chat are ignored. Only with `telegram_bot_token` and `telegram_chat_id`; with highly available managers only the leader answers. Turn it off when another program polls the same bot.',
        default: true,
      }),
    ),
    status_report_interval: Type.Optional(Duration('How often a status report is sent to Telegram.', '4h')),
    failover_cooldown: Type.Optional(
      Duration(
        'After a failover, how long no other automatic failover starts, so a flapping pair cannot bounce the identity.',
        '5m',
      ),
    ),
    control_listen: Type.Optional(
      Type.String({
        pattern: '^(127(\\.[0-9]{1,3}){3}|localhost|\\[::1\\]):[0-9]{1,5}$',
        description: 'Loopback `host:port` of the control API used by `failover-manager status` and `switchover`.',
        default: '127.0.0.1:8079',
      }),
    ),
    metrics_listen: Type.Optional(
      Type.String({
        pattern: '^(\\[[^\\]]+\\]|[^:\\[\\]]*):[0-9]{1,5}$',
        description:
          'Also serve `GET /metrics` (and nothing else) on this `host:port` (`:port` listens on every interface), for a Prometheus on another host; the control API stays on `control_listen`. Unset: `/metrics` only on `control_listen`.',
      }),
    ),
    demote_timeout: Type.Optional(
      Duration(
        "Time limit of each attempt to demote a validator (the agent's `become_passive`). Must exceed the agent's worst case, 7 × its `command_timeout` + 3m25s (10m25s at the default 60s): a shorter limit gives up while the agent is still demoting.",
        '11m',
      ),
    ),
    promote_timeout: Type.Optional(
      Duration(
        "Time limit of each attempt to promote a validator (the agent's `become_active`, or the identity push over SSH). Must exceed the agent's worst case, 10 × its `command_timeout` + 1m25s (11m25s at the default 60s), undo included.",
        '12m',
      ),
    ),
    wait_for_leader_gap_slots: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Planned switchover waits until the identity has no leader slot in this many upcoming slots; 0 does not wait.',
        default: 0,
      }),
    ),
  },
  { additionalProperties: false, title: 'failover manager config (manager-config.json)' },
);

/** The manager config as written in the file (snake_case, defaults not yet applied). */
export type ManagerConfigFile = Static<typeof ManagerConfigSchema>;
