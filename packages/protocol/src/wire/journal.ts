/**
 * The manager's journal file, `<state_dir>/journal.json`: the holder, its term, and each
 * failover with every attempt of every step (core's `ManagerJournalState`), in snake_case like
 * the wire. The manager rewrites it whole, atomically and fsynced, before each step and after
 * each outcome; `failover-manager history --json` prints it. A file that does not match this
 * schema is refused (`FAILOVER_STATE_FILE`), never read as an empty journal.
 */
import type {
  FailoverAction,
  FailoverReason,
  HealthReason,
  JournaledNode,
  JournaledRun,
  JournaledStep,
  ManagerJournalState,
} from '@failover/core';
import { NO_PLAN_HOOKS } from '@failover/core';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** The journal's name in the state directory. */
export const JOURNAL_FILE_NAME = 'journal.json';

const NodeIdSchema = Type.Union([Type.Literal('validator1'), Type.Literal('validator2')]);
const at = Type.Number({ description: 'Unix milliseconds, by the manager’s clock' });
const term = Type.Integer({ minimum: 0, description: 'The term of the manager that wrote it' });

/** One action of a failover plan. */
export const JournalActionSchema = Type.Union([
  Type.Object({
    kind: Type.Union([
      Type.Literal('check-promote'),
      Type.Literal('demote'),
      Type.Literal('verify-demotion'),
      Type.Literal('prove-stopped-voting'),
      Type.Literal('final-tower-backup'),
      Type.Literal('restore-tower'),
      Type.Literal('verify-voting'),
    ]),
    node: NodeIdSchema,
  }),
  Type.Object({
    kind: Type.Literal('promote'),
    node: NodeIdSchema,
    via: Type.Union([Type.Literal('agent'), Type.Literal('ssh')]),
  }),
  Type.Object({
    kind: Type.Literal('hook'),
    hook: Type.Union([Type.Literal('pre_failover'), Type.Literal('post_failover')]),
    node: NodeIdSchema,
  }),
]);

/** The manager's hooks a plan runs; absent in a journal written before the manager had hooks. */
const PlanHooksSchema = Type.Object({
  pre_failover: Type.Union([Type.Literal('must-succeed'), Type.Literal('may-fail'), Type.Null()]),
  post_failover: Type.Boolean(),
});

const HealthReasonSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('unreachable'),
    reason: Type.Union([
      Type.Literal('timeout'),
      Type.Literal('refused'),
      Type.Literal('rejected'),
      Type.Literal('error'),
    ]),
    detail: Type.String(),
  }),
  Type.Object({ kind: Type.Literal('process-down') }),
  Type.Object({ kind: Type.Literal('crash-loop'), restarts: Type.Integer(), window_ms: Type.Number() }),
  Type.Object({ kind: Type.Literal('process-unhealthy') }),
  Type.Object({ kind: Type.Literal('rpc-unhealthy'), detail: Type.Union([Type.String(), Type.Null()]) }),
  Type.Object({ kind: Type.Literal('lagging'), slots_behind: Type.Integer(), threshold: Type.Integer() }),
  Type.Object({ kind: Type.Literal('identity-unconfirmed') }),
]);

/** Why a failover was started. */
export const JournalReasonSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('unhealthy'),
    node: NodeIdSchema,
    misses: Type.Integer(),
    reasons: Type.Array(HealthReasonSchema),
  }),
  Type.Object({ kind: Type.Literal('switchover'), text: Type.String() }),
  Type.Object({ kind: Type.Literal('fence'), node: NodeIdSchema, holder: NodeIdSchema }),
  Type.Object({ kind: Type.Literal('no-voter'), node: NodeIdSchema, since: at, ticks: Type.Integer() }),
]);

const StepSchema = Type.Object({
  action: JournalActionSchema,
  attempt: Type.Integer({ minimum: 1 }),
  compensating: Type.Boolean(),
  term,
  started_at: at,
  finished: Type.Union([
    Type.Object({ at, ok: Type.Boolean(), detail: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null({ description: 'In flight, or the manager stopped before it ended' }),
  ]),
});

/** One failover (or fence, or recovery) from its start to its end. */
export const JournalRunSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  term,
  plan: Type.Object({
    kind: Type.Union([Type.Literal('switchover'), Type.Literal('fence'), Type.Literal('recovery')]),
    from: NodeIdSchema,
    to: NodeIdSchema,
    from_reachable: Type.Boolean(),
    secure_mode: Type.Boolean(),
    hooks: Type.Optional(PlanHooksSchema),
  }),
  reason: JournalReasonSchema,
  started_at: at,
  steps: Type.Array(StepSchema),
  resumes: Type.Array(Type.Object({ at, term })),
  end: Type.Union([
    Type.Object({
      at,
      term,
      outcome: Type.Union([
        Type.Literal('completed'),
        Type.Literal('rolled-back'),
        Type.Literal('aborted'),
        Type.Literal('failed'),
        Type.Literal('held'),
      ]),
      detail: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null({ description: 'Still running, or interrupted' }),
  ]),
});

const NodeRecordSchema = Type.Union([Type.Object({ node: NodeIdSchema, term, at }), Type.Null()]);

/** An operator's maintenance pause. */
export const JournalPauseSchema = Type.Object({
  reason: Type.String(),
  at,
  term,
  until: Type.Union([at, Type.Null({ description: 'Until resumed' })]),
});

/** The whole journal file. */
export const ManagerJournalFileSchema = Type.Object({
  version: Type.Literal(1),
  holder: NodeRecordSchema,
  last_holder: NodeRecordSchema,
  runs: Type.Array(JournalRunSchema, { description: 'Oldest first' }),
  pause: Type.Optional(
    Type.Union([JournalPauseSchema, Type.Null()], {
      description: 'The maintenance pause in force; null or absent when automatic failover is armed',
    }),
  ),
});
/** The whole journal file. */
export type ManagerJournalFile = Static<typeof ManagerJournalFileSchema>;
/** One run in the journal file. */
export type JournalRun = Static<typeof JournalRunSchema>;

type WireHealthReason = Static<typeof HealthReasonSchema>;
type WireStep = Static<typeof StepSchema>;

/** The journal file's content as core's journal state. */
export function toJournalState(file: ManagerJournalFile): ManagerJournalState {
  return {
    holder: file.holder,
    lastHolder: file.last_holder,
    pause: file.pause ?? null,
    runs: file.runs.map((run): JournaledRun => ({
      id: run.id,
      term: run.term,
      plan: {
        kind: run.plan.kind,
        from: run.plan.from,
        to: run.plan.to,
        fromReachable: run.plan.from_reachable,
        secureMode: run.plan.secure_mode,
        hooks:
          run.plan.hooks === undefined
            ? NO_PLAN_HOOKS
            : { preFailover: run.plan.hooks.pre_failover, postFailover: run.plan.hooks.post_failover },
      },
      reason: toReason(run.reason),
      startedAt: run.started_at,
      steps: run.steps.map((step): JournaledStep => ({
        action: step.action as FailoverAction,
        attempt: step.attempt,
        compensating: step.compensating,
        term: step.term,
        startedAt: step.started_at,
        finished: step.finished,
      })),
      resumes: run.resumes,
      end: run.end,
    })),
  };
}

/** Core's journal state as the journal file's content. */
export function toJournalFile(state: ManagerJournalState): ManagerJournalFile {
  const node = (entry: JournaledNode | null): ManagerJournalFile['holder'] =>
    entry === null ? null : { node: entry.node, term: entry.term, at: entry.at };
  return {
    version: 1,
    holder: node(state.holder),
    last_holder: node(state.lastHolder),
    pause: state.pause === null ? null : { ...state.pause },
    runs: state.runs.map((run): JournalRun => ({
      id: run.id,
      term: run.term,
      plan: {
        kind: run.plan.kind,
        from: run.plan.from,
        to: run.plan.to,
        from_reachable: run.plan.fromReachable,
        secure_mode: run.plan.secureMode,
        hooks: { pre_failover: run.plan.hooks.preFailover, post_failover: run.plan.hooks.postFailover },
      },
      reason: fromReason(run.reason),
      started_at: run.startedAt,
      steps: run.steps.map((step): WireStep => ({
        action: { ...step.action },
        attempt: step.attempt,
        compensating: step.compensating,
        term: step.term,
        started_at: step.startedAt,
        finished: step.finished === null ? null : { ...step.finished },
      })),
      resumes: run.resumes.map((resume) => ({ ...resume })),
      end: run.end === null ? null : { ...run.end },
    })),
  };
}

function toReason(reason: Static<typeof JournalReasonSchema>): FailoverReason {
  return reason.kind === 'unhealthy' ? { ...reason, reasons: reason.reasons.map(toHealthReason) } : reason;
}

function fromReason(reason: FailoverReason): Static<typeof JournalReasonSchema> {
  return reason.kind === 'unhealthy' ? { ...reason, reasons: reason.reasons.map(fromHealthReason) } : { ...reason };
}

function toHealthReason(reason: WireHealthReason): HealthReason {
  switch (reason.kind) {
    case 'crash-loop':
      return { kind: 'crash-loop', restarts: reason.restarts, windowMs: reason.window_ms };
    case 'lagging':
      return { kind: 'lagging', slotsBehind: reason.slots_behind, threshold: reason.threshold };
    default:
      return reason;
  }
}

function fromHealthReason(reason: HealthReason): WireHealthReason {
  switch (reason.kind) {
    case 'crash-loop':
      return { kind: 'crash-loop', restarts: reason.restarts, window_ms: reason.windowMs };
    case 'lagging':
      return { kind: 'lagging', slots_behind: reason.slotsBehind, threshold: reason.threshold };
    default:
      return { ...reason };
  }
}
