/**
 * How the manager machine moves a run on and ends it: the journaled start of each step, who
 * holds the identity afterwards, the one notification that says so, and where the machine goes
 * next. Split from `manager-machine` so each file keeps one idea: there the decisions, here
 * their endings.
 */
import type { BlockCause, FailoverEvent, StepTiming } from './events';
import type { FailoverAction, FailoverPlan } from './failover-plan';
import { describeAction } from './failover-plan';
import type { JournaledPlan, JournalRecord, RunOutcome } from './manager-journal';
import type { ManagerCommon, ManagerEffect, ManagerState, ManagerStep, RunInfo, FailoverRun } from './manager-state';
import type { NodeTrack } from './manager-tracking';
import type { SequenceOutcome, SequenceRun } from './step-sequence';
import type { NodeId } from './types';
import { NODE_IDS } from './types';
import { blockCauseKey } from './events';

/** Reports a cause once: on arrival, on change of cause, and when it clears. */
export function setHold(
  state: ManagerState,
  cause: BlockCause | null,
  at: number,
): { state: ManagerState; effects: ManagerEffect[]; changed: boolean } {
  const before = state.hold;
  if (
    (before === null && cause === null) ||
    (before !== null && cause !== null && blockCauseKey(before) === blockCauseKey(cause))
  ) {
    return { state: { ...state, hold: cause }, effects: [], changed: false };
  }
  const effects: ManagerEffect[] = [];
  if (before !== null) effects.push(notify({ type: 'unblocked', at, cause: before }));
  if (cause !== null) {
    effects.push(notify({ type: 'blocked', at, cause }));
    effects.push({
      kind: 'log',
      level: cause.kind === 'dry-run' || cause.kind === 'startup-grace' || cause.kind === 'paused' ? 'warn' : 'error',
      message: `failover blocked: ${cause.kind}`,
      fields: { cause },
    });
  }
  return { state: { ...state, hold: cause }, effects, changed: true };
}

/**
 * Ends a failover: who holds the identity now, one notification that says so, cooldown. The
 * journal gets `records` (the last step's end), the run's end and the new holder, in one write
 * after the news.
 */
export function finishFailover(
  state: ManagerState,
  info: RunInfo,
  at: number,
  steps: readonly StepTiming[],
  result: SequenceOutcome<FailoverAction>,
  effects: readonly ManagerEffect[],
  records: readonly JournalRecord[] = [],
): ManagerStep {
  const { plan, reason } = info;
  const { from, to } = plan;
  if (plan.kind === 'fence') return finishFence(state, info, at, steps, result, effects, records);
  let active: NodeId | null;
  let holder: NodeId | null = state.holder;
  let lastHolder = state.lastHolder;
  let event: FailoverEvent;
  if (result.outcome === 'completed') {
    active = to;
    holder = to;
    lastHolder = to;
    const warnings = result.warnings.map((w) => `${describeAction(w.step.action)}: ${w.detail}`);
    event = { type: 'failover-complete', at, from, to, reason, steps, totalMs: at - info.startedAt, warnings };
  } else if (result.outcome === 'rolled-back' && plan.kind === 'recovery') {
    // A recovery's rollback took the identity off the node it tried to promote: nobody holds
    // it, as before the run, and nothing changed hands.
    active = state.active;
    event = {
      type: 'failover-failed',
      at,
      from,
      to,
      reason,
      outcome: 'aborted',
      failedStep: describeAction(result.failure.step.action),
      detail: result.failure.detail,
      steps,
    };
  } else if (result.outcome === 'rolled-back') {
    // The rollback promoted the old active again and saw it vote: it is the holder.
    active = from;
    holder = from;
    lastHolder = from;
    event = {
      type: 'rolled-back',
      at,
      from,
      to,
      reason,
      failedStep: describeAction(result.failure.step.action),
      detail: result.failure.detail,
      steps,
    };
  } else {
    // Aborted: nothing changed hands, the old holder keeps it. Failed: nobody knows who
    // holds it; the next ticks' claims will tell, and until then nothing is promoted.
    // A recovery's `from` never held the identity, so its abort keeps the last known active.
    active = result.outcome === 'failed' ? null : plan.kind === 'recovery' ? state.active : from;
    if (result.outcome === 'failed') holder = null;
    const detail =
      result.outcome === 'failed'
        ? `${result.failure.detail}; then ${describeAction(result.compensation.step.action)}: ${result.compensation.detail}`
        : result.failure.detail;
    event = {
      type: 'failover-failed',
      at,
      from,
      to,
      reason,
      outcome: result.outcome,
      failedStep: describeAction(result.failure.step.action),
      detail,
      steps,
    };
  }
  const nodes = Object.fromEntries(NODE_IDS.map((n) => [n, { ...state.nodes[n], misses: 0 }])) as Record<
    NodeId,
    NodeTrack
  >;
  const level = event.type === 'failover-complete' ? 'info' : 'error';
  const ended = runEnded(state, info, at, result.outcome, 'failure' in result ? result.failure.detail : null);
  // A completed run, or a rollback that handed the identity back, gave it anew (a new term).
  const gave = event.type === 'failover-complete' || event.type === 'rolled-back';
  const holderRecords: JournalRecord[] =
    gave || holder !== state.holder ? [{ kind: 'holder', at, term: state.term, node: holder }] : [];
  return {
    state: {
      ...withoutRun(state),
      status: 'cooldown',
      until: at + state.config.cooldownMs,
      active,
      holder,
      lastHolder,
      nodes,
      hold: null,
    },
    effects: [
      ...effects,
      { kind: 'log', level, message: `failover ${from} → ${to}: ${result.outcome}`, fields: { steps } },
      notify(event),
      journal([...records, ended, ...holderRecords]),
    ],
  };
}

/** Ends a fence. The recorded holder stays the holder whatever happened to the intruder. */
function finishFence(
  state: ManagerState,
  info: RunInfo,
  at: number,
  steps: readonly StepTiming[],
  result: SequenceOutcome<FailoverAction>,
  effects: readonly ManagerEffect[],
  records: readonly JournalRecord[],
): ManagerStep {
  const { from: node, to: holder } = info.plan;
  const ok = result.outcome === 'completed';
  const failure = result.outcome === 'completed' ? null : result.failure;
  const event: FailoverEvent = {
    type: 'fence-ended',
    at,
    node,
    holder,
    ok,
    failedStep: failure === null ? null : describeAction(failure.step.action),
    detail: failure?.detail ?? null,
    steps,
  };
  return {
    state: resume(state, info, at),
    effects: [
      ...effects,
      { kind: 'log', level: ok ? 'warn' : 'error', message: `fence of ${node}: ${result.outcome}`, fields: { steps } },
      notify(event),
      journal([...records, runEnded(state, info, at, result.outcome, failure?.detail ?? null)]),
    ],
  };
}

/**
 * Ends a run held by a stale tower: nothing changed hands, the hold is reported once, and the
 * next ticks try again. A switchover still gets its final answer.
 */
export function holdFailover(
  state: ManagerState,
  info: RunInfo,
  cause: BlockCause,
  detail: string,
  steps: readonly StepTiming[],
  at: number,
  effects: readonly ManagerEffect[],
  records: readonly JournalRecord[] = [],
): ManagerStep {
  const { plan, reason } = info;
  const answer: ManagerEffect[] =
    reason.kind === 'switchover'
      ? [
          notify({
            type: 'failover-failed',
            at,
            from: plan.from,
            to: plan.to,
            reason,
            outcome: 'aborted',
            failedStep: steps[steps.length - 1]?.step ?? '',
            detail,
            steps,
          }),
        ]
      : [];
  const held = setHold(resume(state, info, at), cause, at);
  return {
    state: held.state,
    effects: [
      ...effects,
      { kind: 'log', level: 'error', message: `failover ${plan.from} → ${plan.to} held: ${detail}` },
      ...answer,
      ...held.effects,
      journal([...records, runEnded(state, info, at, 'held', detail)]),
    ],
  };
}

/** Back to where the run started from: the interrupted cooldown, or monitoring. */
function resume(state: ManagerState, info: RunInfo, at: number): ManagerState {
  const until = info.resumeCooldownUntil;
  return until !== null && until > at
    ? { ...withoutRun(state), status: 'cooldown', until }
    : { ...withoutRun(state), status: 'monitoring' };
}

function withoutRun(state: ManagerState): ManagerCommon {
  const {
    failover: _ended,
    until: _until,
    status: _status,
    ...common
  } = state as ManagerCommon & { failover?: FailoverRun; until?: number; status: string };
  return common;
}

/**
 * The effects that run the current step of `run`: its start journaled (after `records`, in the
 * same write), then the step. The step is executed only once the write is durable.
 */
export function startStep(
  state: ManagerCommon,
  id: number,
  token: number,
  run: SequenceRun<FailoverAction>,
  at: number,
  records: readonly JournalRecord[] = [],
): ManagerEffect[] {
  const started: JournalRecord = {
    kind: 'step-started',
    run: id,
    at,
    term: state.term,
    action: run.current.action,
    attempt: run.attempt,
    compensating: run.compensating,
  };
  return [
    journal([...records, started]),
    { kind: 'run-step', token, step: run.current, attempt: run.attempt, compensating: run.compensating },
  ];
}

/** What the journal keeps of a plan: the inputs its steps are built from. */
export function journaledPlan(plan: FailoverPlan): JournaledPlan {
  return {
    kind: plan.kind,
    from: plan.from,
    to: plan.to,
    fromReachable: plan.fromReachable,
    secureMode: plan.secureMode,
    hooks: plan.hooks,
  };
}

/**
 * Ends the run in memory when the journal cannot be written: the step it was about to record
 * was not executed, and none will be. What the run did before stays as the journal on disk has
 * it, for the next manager to take up. Nothing is journaled here, since nothing can be. A run
 * that executed any step may have left a half-state: it is reported as failed, and nobody is
 * known to hold the identity.
 */
export function abandonRun(state: ManagerState, failover: FailoverRun, cause: string, at: number): ManagerStep {
  const { plan, reason, run, timings } = failover;
  const step = describeAction(run.current.action);
  const detail = `the journal could not be written (${cause}); ${step} was not executed, and nothing will be until the manager is restarted`;
  const executed = timings.length > 0 || run.attempt > 1 || run.compensating;
  const event: FailoverEvent =
    plan.kind === 'fence'
      ? {
          type: 'fence-ended',
          at,
          node: plan.from,
          holder: plan.to,
          ok: false,
          failedStep: step,
          detail,
          steps: timings,
        }
      : {
          type: 'failover-failed',
          at,
          from: plan.from,
          to: plan.to,
          reason,
          outcome: executed ? 'failed' : 'aborted',
          failedStep: step,
          detail,
          steps: timings,
        };
  const lost = executed && plan.kind !== 'fence';
  const ended = resume(state, failover, at);
  return {
    state: lost ? { ...ended, active: null, holder: null } : ended,
    effects: [
      { kind: 'log', level: 'error', message: `${plan.kind} ${plan.from} → ${plan.to} abandoned: ${detail}` },
      notify(event),
    ],
  };
}

function runEnded(
  state: ManagerState,
  info: RunInfo,
  at: number,
  outcome: RunOutcome,
  detail: string | null,
): JournalRecord {
  return { kind: 'run-ended', run: info.id, at, term: state.term, outcome, detail };
}

/** The effect that makes records durable before the next effect runs. */
export function journal(records: readonly JournalRecord[]): ManagerEffect {
  return { kind: 'journal', records };
}

/** The effect that hands an event to the notifier. */
export function notify(event: FailoverEvent): ManagerEffect {
  return { kind: 'notify', event };
}
