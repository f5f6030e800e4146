/**
 * The manager's control API (`control_listen`, loopback only): what `failover-manager
 * status` and `failover-manager switchover` send and read. Errors use protocol's error
 * envelope. Field names are snake_case like the agent API.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** Paths of the control API. */
export const CONTROL_PATHS = { status: '/v1/status', switchover: '/v1/switchover' } as const;

/** One validator as the manager last saw it. */
export const ControlNodeSchema = Type.Object({
  node: Type.Union([Type.Literal('validator1'), Type.Literal('validator2')]),
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

/** Answer of `POST /v1/status`. */
export const ControlStatusSchema = Type.Object({
  dry_run: Type.Boolean(),
  state: Type.Union([Type.Literal('monitoring'), Type.Literal('failing-over'), Type.Literal('cooldown')]),
  active: Type.Union([Type.String(), Type.Null()]),
  hold: Type.Union([Type.String(), Type.Null()], { description: 'What holds a failover back, if anything' }),
  cluster_slot: Type.Union([Type.Integer(), Type.Null()]),
  cluster_slot_age_ms: Type.Union([Type.Integer(), Type.Null()]),
  nodes: Type.Array(ControlNodeSchema),
  timestamp: Type.Integer({ description: 'Unix seconds' }),
});
/** Answer of `POST /v1/status`. */
export type ControlStatus = Static<typeof ControlStatusSchema>;

/** Body of `POST /v1/status` (nothing to ask; the body is signed like every request). */
export const ControlStatusRequestSchema = Type.Object({}, { additionalProperties: false });

/** Body of `POST /v1/switchover`. */
export const SwitchoverRequestSchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    to: Type.Optional(Type.Union([Type.Literal('validator1'), Type.Literal('validator2')])),
    wait_for_leader_gap_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
/** Body of `POST /v1/switchover`. */
export type SwitchoverRequest = Static<typeof SwitchoverRequestSchema>;

/**
 * One line of the switchover answer, which is newline-delimited JSON written as things
 * happen, so the CLI prints each step when it ends rather than all at the end.
 */
export type SwitchoverLine =
  | { readonly type: 'waiting'; readonly at: number; readonly detail: string }
  | { readonly type: 'window'; readonly at: number; readonly slot: number; readonly waited_ms: number }
  | { readonly type: 'refused'; readonly at: number; readonly refusal: string; readonly detail: string }
  | { readonly type: 'accepted'; readonly at: number; readonly from: string; readonly to: string; readonly steps: readonly string[] }
  | { readonly type: 'step-started'; readonly at: number; readonly step: string; readonly attempt: number; readonly compensating: boolean }
  | { readonly type: 'step-finished'; readonly at: number; readonly step: string; readonly ok: boolean; readonly ms: number; readonly detail?: string }
  | { readonly type: 'done'; readonly at: number; readonly outcome: 'completed' | 'rolled-back' | 'aborted' | 'failed'; readonly total_ms: number; readonly detail?: string };
