/**
 * The manager's control API (`control_listen`, loopback only): what `failover-manager
 * status` and `failover-manager switchover` send and read. Errors use the error envelope.
 * Field names are snake_case like the agent API.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** Paths of the control API. */
export const CONTROL_PATHS = {
  status: '/v1/status',
  switchover: '/v1/switchover',
  pause: '/v1/pause',
  resume: '/v1/resume',
  metrics: '/metrics',
} as const;

/**
 * The node name the control API answers to: its requests are signed like the agents' (the
 * MAC covers the node), and this one name keeps a control request from being valid at an agent.
 */
export const CONTROL_API_NODE = 'failover-manager-control';

const NodeIdSchema = Type.Union([Type.Literal('validator1'), Type.Literal('validator2')]);

/** One validator as the manager last saw it. */
export const ControlNodeSchema = Type.Object({
  node: NodeIdSchema,
  endpoint: Type.String(),
  reachable: Type.Union([Type.Boolean(), Type.Null()], { description: 'null before the first heartbeat' }),
  role: Type.String({ description: 'active, passive, activating, deactivating or unknown' }),
  identity: Type.Union([Type.String(), Type.Null()]),
  slot: Type.Union([Type.Integer(), Type.Null()]),
  lag: Type.Union([Type.Integer(), Type.Null()], { description: 'Slots behind the cluster slot, when both are known' }),
  healthy: Type.Union([Type.Boolean(), Type.Null()]),
  reasons: Type.Array(Type.String(), { description: 'Broken health rules' }),
  misses: Type.Integer(),
  last_tower_backup: Type.Union([Type.Integer(), Type.Null()], { description: 'Unix seconds; null when never' }),
});
/** One validator in the status answer. */
export type ControlNode = Static<typeof ControlNodeSchema>;

const ControlMemberSchema = Type.Object({
  sender: Type.String({ description: "The manager's sender id" }),
  host: Type.String({ description: 'Its host name' }),
  control: Type.String({ description: 'Its control API, `host:port`' }),
});

/** Highly available managers: who leads and who follows, as this manager last read it from etcd. */
export const ControlElectionSchema = Type.Object({
  role: Type.Union([Type.Literal('leader'), Type.Literal('follower')], { description: "This manager's own standing" }),
  leader: Type.Union(
    [
      Type.Object({
        ...ControlMemberSchema.properties,
        term: Type.Union([Type.Integer(), Type.Null()], { description: 'The term the leader recorded' }),
      }),
      Type.Null(),
    ],
    { description: 'null while no manager leads' },
  ),
  followers: Type.Array(ControlMemberSchema, { description: 'The other managers registered' }),
  lease_ttl_ms: Type.Integer({ description: '`election_lease_ttl`' }),
});
/** Who leads and who follows. */
export type ControlElection = Static<typeof ControlElectionSchema>;

/** A maintenance pause: no automatic failover or recovery while it holds. */
export const ControlPauseSchema = Type.Object({
  reason: Type.String({ description: "The operator's reason" }),
  since: Type.Number({ description: 'Unix milliseconds' }),
  until: Type.Union([Type.Number(), Type.Null()], { description: 'Unix milliseconds; null: until resumed' }),
  term: Type.Integer({ description: 'The term of the manager that paused' }),
});
/** A maintenance pause. */
export type ControlPause = Static<typeof ControlPauseSchema>;

/** Answer of `POST /v1/status`. */
export const ControlStatusSchema = Type.Object({
  dry_run: Type.Boolean(),
  state: Type.Union([Type.Literal('monitoring'), Type.Literal('failing-over'), Type.Literal('cooldown')]),
  active: Type.Union([Type.String(), Type.Null()]),
  hold: Type.Union([Type.String(), Type.Null()], { description: 'What holds a failover back, if anything' }),
  paused: Type.Optional(
    Type.Union([ControlPauseSchema, Type.Null()], { description: 'The maintenance pause in force; null when none' }),
  ),
  cluster_slot: Type.Union([Type.Integer(), Type.Null()]),
  cluster_slot_age_ms: Type.Union([Type.Integer(), Type.Null()]),
  nodes: Type.Array(ControlNodeSchema),
  timestamp: Type.Integer({ description: 'Unix seconds' }),
  term: Type.Optional(Type.Integer({ description: "This manager's term, sent with every command" })),
  sender: Type.Optional(Type.String({ description: "This manager's sender id" })),
  deposed: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'Why this manager sends no more commands (an agent obeys a higher term); null while it may command',
    }),
  ),
  election: Type.Optional(ControlElectionSchema),
  consensus: Type.Optional(
    Type.Object({
      phase: Type.Union([
        Type.Literal('tower'),
        Type.Literal('migrating'),
        Type.Literal('alpenglow'),
        Type.Literal('unknown'),
      ]),
      detail: Type.String({ description: 'Why this phase' }),
      veto: Type.Union([Type.String(), Type.Null()], {
        description:
          'What the phase vetoes now (migrating, standstill, vote account excluded, passive not migrated), in the notifier words; null when nothing',
      }),
    }),
  ),
});
/** Answer of `POST /v1/status`. */
export type ControlStatus = Static<typeof ControlStatusSchema>;

/** Body of `POST /v1/status` (nothing to ask; the body is signed like every request). */
export const ControlStatusRequestSchema = Type.Object({}, { additionalProperties: false });
/** Body of `POST /v1/status`. */
export type ControlStatusRequest = Static<typeof ControlStatusRequestSchema>;

/** Body of `POST /v1/switchover`. */
export const SwitchoverRequestSchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    to: Type.Optional(NodeIdSchema),
    wait_for_leader_gap_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
/** Body of `POST /v1/switchover`. */
export type SwitchoverRequest = Static<typeof SwitchoverRequestSchema>;

/** Body of `POST /v1/pause`. */
export const PauseRequestSchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    for_ms: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 30 * 24 * 3600 * 1000, description: 'Ends by itself after this long' }),
    ),
  },
  { additionalProperties: false },
);
/** Body of `POST /v1/pause`. */
export type PauseRequest = Static<typeof PauseRequestSchema>;

/** Body of `POST /v1/resume`. */
export const ResumeRequestSchema = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) },
  { additionalProperties: false },
);
/** Body of `POST /v1/resume`. */
export type ResumeRequest = Static<typeof ResumeRequestSchema>;

/**
 * Answer of `POST /v1/pause` and `POST /v1/resume`, given once the pause or its end is in the
 * journal. `refused` names why (`not-leader`, `not-paused`, `journal-unwritable`) in `refusal`.
 */
export const PauseAnswerSchema = Type.Union([
  Type.Object({
    outcome: Type.Literal('paused'),
    pause: ControlPauseSchema,
    replaced: Type.Union([ControlPauseSchema, Type.Null()], { description: 'The pause this one replaced' }),
  }),
  Type.Object({ outcome: Type.Literal('resumed'), ended: ControlPauseSchema }),
  Type.Object({ outcome: Type.Literal('refused'), refusal: Type.String(), detail: Type.String() }),
]);
/** Answer of `POST /v1/pause` and `POST /v1/resume`. */
export type PauseAnswerBody = Static<typeof PauseAnswerSchema>;

const at = Type.Number({ description: 'Unix milliseconds' });

/**
 * One line of the switchover answer, which is newline-delimited JSON written as things
 * happen, so the CLI prints each step when it ends rather than all at the end.
 */
export const SwitchoverLineSchema = Type.Union([
  Type.Object({ type: Type.Literal('waiting'), at, detail: Type.String() }),
  Type.Object({ type: Type.Literal('window'), at, slot: Type.Integer(), waited_ms: Type.Number() }),
  Type.Object({ type: Type.Literal('refused'), at, refusal: Type.String(), detail: Type.String() }),
  Type.Object({
    type: Type.Literal('accepted'),
    at,
    from: Type.String(),
    to: Type.String(),
    steps: Type.Array(Type.String()),
  }),
  Type.Object({
    type: Type.Literal('step-started'),
    at,
    step: Type.String(),
    attempt: Type.Integer(),
    compensating: Type.Boolean(),
  }),
  Type.Object({
    type: Type.Literal('step-finished'),
    at,
    step: Type.String(),
    ok: Type.Boolean(),
    ms: Type.Number(),
    detail: Type.Optional(Type.String()),
  }),
  Type.Object({
    type: Type.Literal('done'),
    at,
    outcome: Type.Union([
      Type.Literal('completed'),
      Type.Literal('rolled-back'),
      Type.Literal('aborted'),
      Type.Literal('failed'),
    ]),
    total_ms: Type.Number(),
    detail: Type.Optional(Type.String()),
  }),
]);
/** One line of the switchover answer. */
export type SwitchoverLine = Static<typeof SwitchoverLineSchema>;
