/**
 * Agent wire API v1: the JSON bodies of the agent's HTTP endpoints, field for field as the
 * Go tool sent them (its `pkg/api/types.go`), plus new optional fields. A Go manager can
 * talk to our agent and the other way round.
 *
 * Timestamps on the wire are integer Unix **seconds**, as the Go tool's `time.Now().Unix()`.
 * Unknown fields are ignored rather than refused, so a newer peer may add fields.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** Integer Unix time in seconds (Go `time.Now().Unix()`). */
export const UnixSecondsSchema = Type.Integer({ description: 'Unix time in seconds.' });

/**
 * The form of a node name (`node_name`): what an agent knows itself by, and what a signed
 * request names in `x-failover-node`. Letters, digits, `.`, `_` and `-`, 1 to 63 characters,
 * starting with a letter or digit, so it is a safe header value and a hostname-like label.
 */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

/** A node name; see {@link NODE_NAME_PATTERN}. */
export const NodeNameSchema = Type.String({ pattern: NODE_NAME_PATTERN });

/** The form of a sender id: a manager's stable id (`manager-<hex>`), or an election candidate's. */
export const SENDER_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

/** A sender's term: its election revision, or the counter it raises at every start. */
export const TermSchema = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description:
    "The sender's term. An agent refuses a role- or tower-changing request whose term is below the highest it has obeyed (409 `FAILOVER_STALE_TERM`), or equal to it from another sender.",
});

/** Who sends a term. */
export const SenderSchema = Type.String({
  pattern: SENDER_PATTERN,
  description: "The sender's stable id, e.g. `manager-3f9c0a7b21d4e865`.",
});

/** Body of `POST /status` (a `GET /status` has none). */
export const StatusRequestSchema = Type.Object({
  timestamp: UnixSecondsSchema,
  term: Type.Optional(TermSchema),
  sender: Type.Optional(SenderSchema),
  last_received_timestamp: Type.Optional(
    Type.Integer({
      description:
        'Timestamp of the last status response the manager received from this agent; 0 or absent: none yet. Lets the agent see that its answers are lost on the way back.',
    }),
  ),
});
/** Body of `POST /status`. */
export type StatusRequest = Static<typeof StatusRequestSchema>;

/**
 * The agent's role, including the two in-between states of its role machine. `unconfirmed`:
 * a promotion failed and so did its undo; the validator may hold the staked identity
 * (`is_active` stays true) but was never seen running it, and a repeated `become_active`
 * runs the promotion again.
 */
export const AgentRoleSchema = Type.Union([
  Type.Literal('passive'),
  Type.Literal('activating'),
  Type.Literal('active'),
  Type.Literal('deactivating'),
  Type.Literal('unconfirmed'),
]);
/** The agent's role. */
export type AgentRole = Static<typeof AgentRoleSchema>;

/** The tower the agent holds or last backed up. */
export const TowerInfoSchema = Type.Object({
  last_vote_slot: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  backed_up_at: UnixSecondsSchema,
});
/** The tower the agent holds or last backed up (wire form; core's `TowerInfo` is the domain form). */
export type WireTowerInfo = Static<typeof TowerInfoSchema>;

/**
 * The Alpenglow vote history the agent last backed up (`vote_history-<identity>.bin`), beside
 * `tower` in `/status`; absent while none was (a TowerBFT cluster has none).
 */
export const VoteHistoryInfoSchema = Type.Object({
  newest_slot: Type.Integer({
    minimum: 0,
    description: 'The newest slot the vote history records a vote in (or its root, when higher).',
  }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  backed_up_at: UnixSecondsSchema,
});
/** The vote history the agent last backed up (wire form). */
export type WireVoteHistoryInfo = Static<typeof VoteHistoryInfoSchema>;
/** The block an Alpenglow genesis certificate certifies. */
export const AlpenglowGenesisSchema = Type.Object({
  slot: Type.Integer({ minimum: 0 }),
  block_id: Type.String({ minLength: 32, maxLength: 44, description: 'The block id, base58.' }),
});

/** One sender in the `recent_senders` of `/status`. */
export const SenderSightingSchema = Type.Object({
  sender: Type.String(),
  term: Type.Integer({ minimum: 1, description: 'The term of its latest request.' }),
  last_seen: UnixSecondsSchema,
});
/** One sender in `recent_senders`. */
export type WireSenderSighting = Static<typeof SenderSightingSchema>;

/** `process_exited_at` of `/status` and `/watch`. */
export const ProcessExitedAtSchema = Type.Integer({
  minimum: 0,
  description:
    "When the agent saw its validator process exit, Unix milliseconds. Present only while no validator process has run since, and only when the agent saw it run and then stop (not when it was down from the agent's start). The manager fails over at the first check that confirms it, without counting misses.",
});

/** Response of `/status`: the Go tool's fields, then new optional ones. */
export const StatusResponseSchema = Type.Object({
  process_running: Type.Boolean(),
  process_uptime: Type.Integer({ description: 'Seconds since the validator process started; 0 when not running.' }),
  process_healthy: Type.Boolean({
    description:
      'The validator process runs and is not restarting in a loop (crash loop). Says nothing about its RPC or slot.',
  }),
  validator_slot: Type.Integer({ minimum: 0 }),
  network_slot: Type.Integer({
    minimum: 0,
    description: 'Filled in by the manager from the cluster RPC; agents send 0.',
  }),
  slot_diff: Type.Integer(),
  is_healthy: Type.Boolean({
    description:
      "The validator's local RPC answered `getHealth` with ok: false while it is behind the cluster or its RPC fails. The manager judges health from this, `process_running`, `process_healthy` and `validator_slot` with its own thresholds.",
  }),
  is_active: Type.Boolean(),
  last_tower_backup: Type.Integer({
    description:
      'Unix seconds of the last tower backup. 0 or negative: never (the Go tool sent the zero time, -62135596800).',
  }),
  error: Type.Optional(Type.String()),
  timestamp: UnixSecondsSchema,
  identity_pubkey: Type.Optional(Type.String({ description: 'Identity the validator currently runs with (base58).' })),
  role: Type.Optional(AgentRoleSchema),
  tower: Type.Optional(TowerInfoSchema),
  vote_history: Type.Optional(VoteHistoryInfoSchema),
  ag_genesis_cert: Type.Optional(
    Type.Union([AlpenglowGenesisSchema, Type.Null()], {
      description:
        "What the validator's own RPC answers `getAgGenesisCert` with: the block of its Alpenglow genesis certificate, or null when it has not migrated (or its RPC predates Alpenglow). Absent when the agent could not read it. Under Alpenglow the manager promotes only a node on the cluster's genesis.",
    }),
  ),
  agent_version: Type.Optional(Type.String()),
  dry_run: Type.Optional(Type.Boolean()),
  probe_age_ms: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        "Age of the agent's background probe of the validator (process and local RPC) this answer is built from; `/status` never waits on the validator.",
    }),
  ),
  process_exited_at: Type.Optional(ProcessExitedAtSchema),
  node_name: Type.Optional(Type.String({ description: 'The node name this agent answers to (`node_name`).' })),
  highest_term: Type.Optional(
    Type.Integer({ minimum: 1, description: 'The highest term this agent has obeyed; absent before the first.' }),
  ),
  highest_term_sender: Type.Optional(Type.String({ description: 'Who sent `highest_term`.' })),
  recent_senders: Type.Optional(
    Type.Array(SenderSightingSchema, {
      description:
        'Every sender that stamped a request with its term within the last minute. Two or more: two managers talk to this agent, and it obeys only the highest term.',
    }),
  ),
});
/** Response of `/status`. */
export type StatusResponse = Static<typeof StatusResponseSchema>;

/** Body of `POST /peer-status`, sent by the other validator's agent. */
export const PeerStatusRequestSchema = Type.Object({
  from_validator: Type.String({ description: 'Who asks: the Go tool sent its listen address.' }),
  timestamp: UnixSecondsSchema,
});
/** Body of `POST /peer-status`. */
export type PeerStatusRequest = Static<typeof PeerStatusRequestSchema>;

/** Response of `/peer-status`: what the watchdog of the other agent needs to decide. */
export const PeerStatusResponseSchema = Type.Object({
  is_alive: Type.Boolean(),
  is_active: Type.Boolean(),
  process_running: Type.Boolean(),
  timestamp: UnixSecondsSchema,
});
/** Response of `/peer-status`. */
export type PeerStatusResponse = Static<typeof PeerStatusResponseSchema>;

/**
 * The failover actions: the Go tool's two role changes, and `check_promote`, which runs the
 * agent's `pre_promote` hook and changes nothing (a manager asks it before a switchover
 * demotes anyone). An agent without the hook answers it with success at once; one that
 * predates it refuses it as a bad request (400).
 */
export const FailoverActionSchema = Type.Union([
  Type.Literal('become_active'),
  Type.Literal('become_passive'),
  Type.Literal('check_promote'),
]);
/** The failover actions. */
export type FailoverAction = Static<typeof FailoverActionSchema>;

/**
 * The largest tower or vote history a `/failover` exchange carries, 64 KiB: an agave tower
 * file is under 5 KiB. A larger file is not carried; the promotion then restores from the
 * tower store alone.
 */
export const CARRIED_FILE_MAX_BYTES = 65_536;

/** Base64 of at most {@link CARRIED_FILE_MAX_BYTES} bytes. */
const CarriedFileSchema = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 4 * Math.ceil(CARRIED_FILE_MAX_BYTES / 3),
    pattern: '^[A-Za-z0-9+/]+={0,2}$',
    description,
  });

/**
 * The largest request body an agent accepts: room for a `become_active` that carries a tower
 * and a vote history of {@link CARRIED_FILE_MAX_BYTES} each, in base64.
 */
export const AGENT_BODY_LIMIT = 196_608;

const finalTowerProperties = {
  tower: CarriedFileSchema('The tower file, base64.'),
  vote_history: Type.Optional(CarriedFileSchema('The vote history file (Alpenglow), base64.')),
};
/**
 * `final_tower` of a `become_passive` answer: the tower (and vote history) this node's last
 * demotion backed up and then removed from its ledger, byte for byte as the store took it.
 */
export const FinalTowerSchema = Type.Object(finalTowerProperties);
/** The files of a demotion's final backup, base64. */
export type FinalTower = Static<typeof FinalTowerSchema>;

const carriedTowerProperties = {
  ...finalTowerProperties,
  from: Type.String({ pattern: NODE_NAME_PATTERN, description: 'The node it was taken from, for the logs.' }),
};
/** `carried_tower` of a `become_active`: a demoted node's final tower, and which node it came from. */
export const CarriedTowerSchema = Type.Object(carriedTowerProperties);
/** The final tower a manager carries from the demoted node to the one it promotes. */
export type CarriedTower = Static<typeof CarriedTowerSchema>;

/** Body of `POST /failover`. */
export const FailoverRequestSchema = Type.Object({
  action: FailoverActionSchema,
  reason: Type.String({ maxLength: 1000 }),
  skip_identity: Type.Optional(
    Type.Boolean({
      description: 'Secure identity mode: restore the tower only; the manager sets the identity over SSH.',
    }),
  ),
  min_tower_slot: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        "`become_active` only: the staked vote account's `lastVote` as the manager read it from the cluster. The agent must take the identity only with a tower whose last voted slot is at least this; otherwise it refuses with 422 `FAILOVER_TOWER_STALE` and changes nothing (S2). Absent: no floor (the Go tool's request).",
    }),
  ),
  min_vote_history_slot: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        '`become_active` only, on an Alpenglow cluster: the agent must take the identity only with a vote history (`vote_history-<identity>.bin`) whose newest slot is at least this; otherwise it refuses with 422 `FAILOVER_VOTE_HISTORY_STALE` before the identity is set. Absent: no floor, and a ledger without a vote history carries none (TowerBFT).',
    }),
  ),
  pre_promote_checked: Type.Optional(
    Type.Boolean({
      description:
        '`become_active` only: the `pre_promote` hook already passed a `check_promote` of this switchover, so the agent does not run it again. Absent: the hook runs as part of the promotion.',
    }),
  ),
  carried_tower: Type.Optional(
    Type.Object(carriedTowerProperties, {
      description:
        "`become_active` only: the `final_tower` the demoted node answered with, carried by the manager. The restore weighs it beside the tower store's backup and the file on disk, and takes the newest that verifies for the staked identity and reaches `min_tower_slot`, so a switchover completes when the tower store cannot be read. Absent: the store and the disk only.",
    }),
  ),
  timestamp: UnixSecondsSchema,
  term: TermSchema,
  sender: SenderSchema,
});
/** Body of `POST /failover`. */
export type FailoverRequest = Static<typeof FailoverRequestSchema>;

/** Response of `/failover`. `success: false` is a failed step, reported in `message`. */
export const FailoverResponseSchema = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  warnings: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'A completed role change: what failed without stopping it (a post hook, a hook that need not succeed, a step continued past), also in `message`.',
    }),
  ),
  final_tower: Type.Optional(
    Type.Object(finalTowerProperties, {
      description:
        '`become_passive`, succeeded: the files of its final backup, for the manager to carry to the next holder in `carried_tower`: what the store took (the demotion then removed them from the ledger), or, when the store could not be reached, what it kept on disk. Absent when the files did not verify or the store refused them (stale, fenced), when a file is larger than `CARRIED_FILE_MAX_BYTES`, or when this request demoted nothing (the node was already passive).',
    }),
  ),
  dry_run: Type.Boolean(),
  timestamp: UnixSecondsSchema,
});
/** Response of `/failover`. */
export type FailoverResponse = Static<typeof FailoverResponseSchema>;

/**
 * `details` of a 422 `FAILOVER_HOOK_REFUSED` answer to `check_promote` or `become_active`: the
 * `pre_promote` hook, which must succeed, failed or timed out; nothing was changed.
 */
export const HookRefusedDetailsSchema = Type.Object({
  hook: Type.Literal('pre_promote'),
  reason: Type.String({
    description: "Why: the hook's exit status or time limit and the end of its stderr, with secrets redacted.",
  }),
});
/** `details` of a `FAILOVER_HOOK_REFUSED` answer. */
export type HookRefusedDetails = Static<typeof HookRefusedDetailsSchema>;

/** Body of `POST /shutdown`. */
export const ShutdownRequestSchema = Type.Object({
  reason: Type.String({ maxLength: 1000 }),
  timestamp: UnixSecondsSchema,
  term: TermSchema,
  sender: SenderSchema,
});
/** Body of `POST /shutdown`. */
export type ShutdownRequest = Static<typeof ShutdownRequestSchema>;

/** Response of `/shutdown`, sent before the agent stops. */
export const ShutdownResponseSchema = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  timestamp: UnixSecondsSchema,
});
/** Response of `/shutdown`. */
export type ShutdownResponse = Static<typeof ShutdownResponseSchema>;

/** Longest a `/watch` request is held, in milliseconds. */
export const WATCH_MAX_WAIT_MS = 60_000;

/** Body of `POST /watch`: the manager's long poll of the validator process. */
export const WatchRequestSchema = Type.Object({
  timestamp: UnixSecondsSchema,
  process_running: Type.Boolean({
    description:
      'Whether the validator process ran at the last answer the manager had; the agent answers as soon as the process is found otherwise.',
  }),
  wait_ms: Type.Integer({
    minimum: 0,
    maximum: WATCH_MAX_WAIT_MS,
    description: 'How long to hold the request when nothing changes; then the answer says the same as before.',
  }),
});
/** Body of `POST /watch`. */
export type WatchRequest = Static<typeof WatchRequestSchema>;

/** Response of `POST /watch`. */
export const WatchResponseSchema = Type.Object({
  process_running: Type.Boolean(),
  process_exited_at: Type.Optional(ProcessExitedAtSchema),
  timestamp: UnixSecondsSchema,
});
/** Response of `POST /watch`. */
export type WatchResponse = Static<typeof WatchResponseSchema>;

/** Response of `GET /identity`. */
export const IdentityResponseSchema = Type.Object({
  identity_pubkey: Type.String({ description: 'Identity the validator runs with (base58); empty when unknown.' }),
  error: Type.Optional(Type.String()),
  timestamp: Type.Optional(UnixSecondsSchema),
});
/** Response of `GET /identity`. */
export type IdentityResponse = Static<typeof IdentityResponseSchema>;

/** Response of `GET /health` (unauthenticated liveness; the Go tool answered plain `OK`). */
export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  agent_version: Type.Optional(Type.String()),
});
/** Response of `GET /health`. */
export type HealthResponse = Static<typeof HealthResponseSchema>;

/** Response of `GET /metrics`: Prometheus text exposition format (unauthenticated). */
export const MetricsResponseSchema = Type.String({ description: 'Prometheus text exposition format.' });

/**
 * Response of `GET /active` and `GET /passive` (unauthenticated, for load balancers and
 * monitors): 200 with `ok: true` when the node is in the role asked about, 503 with `ok: false`
 * otherwise. It tells nothing else.
 */
export const RoleCheckResponseSchema = Type.Object({
  role_check: Type.Union([Type.Literal('active'), Type.Literal('passive')]),
  ok: Type.Boolean(),
});
/** Response of `GET /active` and `GET /passive`. */
export type RoleCheckResponse = Static<typeof RoleCheckResponseSchema>;

/**
 * `details` of a 422 `FAILOVER_TOWER_STALE` answer to `become_active`: the newest tower the
 * agent could restore ends below the requested `min_tower_slot`, so it refused to take the
 * identity and changed nothing.
 */
export const TowerStaleDetailsSchema = Type.Object({
  min_tower_slot: Type.Integer({ minimum: 0, description: 'The floor the request asked for.' }),
  tower_last_vote_slot: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description:
      'Last voted slot of the newest tower found (backup or file on disk); null when the tower holds no vote.',
  }),
});
/** `details` of a `FAILOVER_TOWER_STALE` answer. */
export type TowerStaleDetails = Static<typeof TowerStaleDetailsSchema>;

/**
 * `details` of a 422 `FAILOVER_VOTE_HISTORY_STALE` answer to `become_active`: the newest vote
 * history the agent could restore ends below the requested `min_vote_history_slot`, so it
 * refused to take the identity.
 */
export const VoteHistoryStaleDetailsSchema = Type.Object({
  min_vote_history_slot: Type.Integer({ minimum: 0, description: 'The floor the request asked for.' }),
  vote_history_newest_slot: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'Newest slot of the newest vote history found (backup or file on disk); null when it records no vote.',
  }),
});
/** `details` of a `FAILOVER_VOTE_HISTORY_STALE` answer. */
export type VoteHistoryStaleDetails = Static<typeof VoteHistoryStaleDetailsSchema>;

/**
 * `details` of a 409 `FAILOVER_STALE_TERM` answer: the request's term is below the highest
 * the agent has obeyed, or equal to it from another sender; nothing was done.
 */
export const StaleTermDetailsSchema = Type.Object({
  term: Type.Integer({ description: "The request's term." }),
  sender: Type.String({ description: "The request's sender." }),
  highest_term: Type.Integer({ description: 'The highest term the agent has obeyed.' }),
  highest_term_sender: Type.String({ description: 'Who sent it.' }),
});
/** `details` of a `FAILOVER_STALE_TERM` answer. */
export type StaleTermDetails = Static<typeof StaleTermDetailsSchema>;

/**
 * `details` of a 412 `FAILOVER_WRONG_NODE` answer: the request names another node than the
 * one that received it (or none); nothing was done.
 */
export const WrongNodeDetailsSchema = Type.Object({
  node_name: Type.String({ description: 'The node that received the request.' }),
  requested_node: Type.Union([Type.String(), Type.Null()], {
    description: 'The node the request names; null when it names none.',
  }),
});
/** `details` of a `FAILOVER_WRONG_NODE` answer. */
export type WrongNodeDetails = Static<typeof WrongNodeDetailsSchema>;
