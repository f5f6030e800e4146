/**
 * How the manager machine ends a run and reports holds: who holds the identity afterwards,
 * the one notification that says so, and where the machine goes next. Split from
 * `manager-machine` so each file keeps one idea: there the decisions, here their endings.
 */
import type { BlockCause, FailoverEvent, StepTiming } from './events';
import type { FailoverAction } from './failover-plan';
import { describeAction } from './failover-plan';
import type { ManagerCommon, ManagerEffect, ManagerState, ManagerStep, RunInfo, FailoverRun } from './manager-state';
import type { NodeTrack } from './manager-tracking';
import type { SequenceOutcome } from './step-sequence';
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
      level: cause.kind === 'dry-run' || cause.kind === 'startup-grace' ? 'warn' : 'error',
      message: `failover blocked: ${cause.kind}`,
      fields: { cause },
    });
  }
  return { state: { ...state, hold: cause }, effects, changed: true };
}

/** Ends a failover: who holds the identity now, one notification that says so, cooldown. */
export function finishFailover(
  state: ManagerState,
  info: RunInfo,
  at: number,
  steps: readonly StepTiming[],
  result: SequenceOutcome<FailoverAction>,
  effects: readonly ManagerEffect[],
): ManagerStep {
  const { plan, reason } = info;
  const { from, to } = plan;
  if (plan.kind === 'fence') return finishFence(state, info, at, steps, result, effects);
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

/** The effect that hands an event to the notifier. */
export function notify(event: FailoverEvent): ManagerEffect {
  return { kind: 'notify', event };
}
