/**
 * Starting, advancing and ending a role change of the agent machine. Every change, whether a
 * request, the watchdog or a guard started it, ends here, in the role that cannot produce a
 * second voter when it did not complete.
 */
import { hookTimeMs, withHooks } from './agent-hooks';
import { roleChangeDeadlines, stepName } from './agent-plan';
import type { AgentAction } from './agent-plan';
import type {
  AgentCommon,
  AgentEffect,
  AgentResponse,
  RequestContext,
  AgentState,
  AgentStep,
  AgentTransition,
  TowerStale,
  TransitionOrigin,
} from './agent-state';
import type { PlanStep, SequenceNext, SequenceOutcome, SequenceRun, StepResult } from './step-sequence';
import { advanceSequence, startSequence } from './step-sequence';

/** Who started a change, and towards which role. */
export interface TransitionCause {
  /** The request to answer when it ends; null when the machine started it. */
  readonly requestId: string | null;
  /** What started it. */
  readonly origin: TransitionOrigin;
  /** `activating` towards active, `deactivating` towards passive. */
  readonly status: 'activating' | 'deactivating';
  /** A manager's request: what it says about itself; absent for a change the machine started. */
  readonly request?: RequestContext;
  /** `become_active` with `skip_identity`: the identity arrives over SSH after the change, so no post hook. */
  readonly skipIdentity?: boolean;
}

/**
 * Starts a role change. Any pending identity check is dropped, so an answer read before the
 * change can never act after it.
 */
export function beginTransition(
  state: AgentState,
  steps: readonly PlanStep<AgentAction>[],
  cause: TransitionCause,
  at: number,
  why: string,
): AgentStep {
  const { requestId, origin, status } = cause;
  const hooked = withHooks(
    steps,
    state.config.hooks,
    {
      from: state.status,
      to: status === 'activating' ? 'active' : 'passive',
      origin,
      reason: cause.request?.reason ?? null,
      term: cause.request?.term ?? null,
    },
    { pre: origin === 'request' && cause.request?.prePromoteChecked !== true, post: cause.skipIdentity !== true },
  );
  const started = startSequence(hooked);
  const level = origin === 'stray-identity' || origin === 'isolation' || origin === 'fenced' ? 'error' : 'info';
  const log: AgentEffect = { kind: 'log', level, message: `${status}: ${why}`, fields: { requestId } };
  const quiet = { ...state, identityQuestion: null };
  if (started.kind === 'done') {
    return finish(quiet, cause, started.result, at, [log]);
  }
  const token = state.token + 1;
  const deadlines = state.config.deadlines ?? roleChangeDeadlines(state.config.stepTimeouts);
  const deadlineAt =
    at + (status === 'activating' ? deadlines.becomeActiveMs : deadlines.becomePassiveMs) + hookTimeMs(hooked);
  const transition: AgentTransition = { requestId, origin, deadlineAt, run: started.run, token, startedAt: at };
  return { state: { ...quiet, status, transition, token }, effects: [log, runStep(token, started.run)] };
}

/** Folds a step's result into the change in progress. */
export function onStepResult(state: AgentState, token: number, result: StepResult, at: number): AgentStep {
  if (state.status !== 'activating' && state.status !== 'deactivating') {
    return {
      state,
      effects: [
        { kind: 'log', level: 'warn', message: 'ignored a step result: no role change in progress', fields: { token } },
      ],
    };
  }
  const { transition } = state;
  if (token !== transition.token) {
    return {
      state,
      effects: [
        {
          kind: 'log',
          level: 'warn',
          message: 'ignored a stale step result',
          fields: { token, expected: transition.token },
        },
      ],
    };
  }
  const effects: AgentEffect[] = [];
  if (!result.ok) {
    const { action } = transition.run.current;
    effects.push({
      kind: 'log',
      level: 'warn',
      message: `step ${stepName(action)} failed (attempt ${transition.run.attempt})`,
      fields: { detail: result.detail },
    });
  }
  return continueTransition(state, advanceSequence(transition.run, result), at, effects);
}

/** Runs the next step of a change (under a new token, so a late result is ignored), or ends it. */
export function continueTransition(
  state: AgentState & { readonly status: 'activating' | 'deactivating' },
  next: SequenceNext<AgentAction>,
  at: number,
  effects: readonly AgentEffect[],
): AgentStep {
  const { transition } = state;
  if (next.kind === 'done') {
    const done = finish(
      state,
      { requestId: transition.requestId, origin: transition.origin, status: state.status },
      next.result,
      at,
      effects,
    );
    return {
      state: done.state,
      effects: [
        ...done.effects,
        { kind: 'log', level: 'info', message: 'role change took', fields: { ms: at - transition.startedAt } },
      ],
    };
  }
  const nextToken = state.token + 1;
  return {
    state: { ...state, token: nextToken, transition: { ...transition, run: next.run, token: nextToken } },
    effects: [...effects, runStep(nextToken, next.run)],
  };
}

/**
 * Ends `become_active` on a `FAILOVER_TOWER_STALE` (or `FAILOVER_VOTE_HISTORY_STALE`) refusal.
 * Both files are checked by the first step, before the identity is set, so the change simply
 * ends passive; a refusal reported by any other step is an ordinary failure.
 */
export function onTowerStale(state: AgentState, token: number, stale: TowerStale, at: number): AgentStep {
  const history = stale.file === 'vote-history';
  const code = history ? 'FAILOVER_VOTE_HISTORY_STALE' : 'FAILOVER_TOWER_STALE';
  const detail = history
    ? `vote history ends at slot ${stale.towerLastVoteSlot ?? 'none'}, below min_vote_history_slot ${stale.minTowerSlot}`
    : `tower ends at slot ${stale.towerLastVoteSlot ?? 'none'}, below min_tower_slot ${stale.minTowerSlot}`;
  if (
    state.status !== 'activating' ||
    token !== state.transition.token ||
    state.transition.run.current.action.kind !== 'restore-tower' ||
    state.transition.run.completed.some((step) => step.action.kind !== 'hook')
  ) {
    return onStepResult(state, token, { ok: false, detail: `${code}: ${detail}` }, at);
  }
  const { transition } = state;
  const { transition: _ended, ...common } = state;
  // The vote history is checked after the tower was installed beside it: the identity was not
  // taken, but the ledger holds the restored tower.
  const outcome = history ? 'the identity was not taken' : 'nothing was changed';
  const message = `refused to become active: the ${detail}; ${outcome}, still passive`;
  const effects: AgentEffect[] = [
    { kind: 'log', level: 'error', message, fields: { requestId: transition.requestId } },
  ];
  if (transition.requestId !== null)
    effects.push(respond(transition.requestId, { result: 'tower-stale', role: 'passive', message, ...stale }));
  return { state: { ...common, status: 'passive', settledAt: at }, effects };
}

/**
 * Where a role change ends. A change that did not complete leaves the node claiming
 * whichever role cannot produce a second voter: a failed demotion stays active (the identity
 * may still be loaded), a failed promotion whose undo also failed is `unconfirmed` — a holder
 * for S1, but never taken for a voter: the next `become_active` runs the promotion again.
 */
export function finish(
  state: AgentState,
  cause: TransitionCause,
  result: SequenceOutcome<AgentAction>,
  at: number,
  effects: readonly AgentEffect[],
): AgentStep {
  const { requestId, origin, status } = cause;
  const target = status === 'activating' ? 'active' : 'passive';
  let role: 'active' | 'passive' | 'unconfirmed';
  let response: AgentResponse;
  if (result.outcome === 'completed') {
    role = target;
    const warnings = result.warnings.map((w) => `${stepName(w.step.action)}: ${w.detail}`);
    response = { result: 'ok', changed: true, role, message: `now ${target}`, warnings };
  } else {
    const { step, detail } = result.failure;
    const undone = result.outcome === 'rolled-back' || result.outcome === 'aborted';
    role = status === 'activating' ? (undone ? 'passive' : 'unconfirmed') : 'active';
    const what =
      step.action.kind === 'hook' && result.outcome === 'aborted'
        ? `${step.action.hook} failed and must succeed; nothing was changed, still ${role}`
        : status === 'activating'
          ? undone
            ? `could not become active (${step.action.kind} failed); still passive`
            : `could not become active and could not undo (${result.outcome === 'failed' ? result.compensation.step.action.kind : step.action.kind} failed); may hold the staked identity, unconfirmed`
          : `could not become passive (${step.action.kind} failed); the staked identity may still be loaded, still active`;
    response = { result: 'failed', role, message: what, step: step.action.kind, detail };
  }
  const { transition: _ended, ...common } = state as AgentCommon & { transition?: AgentTransition };
  const level = response.result === 'ok' ? 'info' : 'error';
  const out: AgentEffect[] = [...effects, { kind: 'log', level, message: response.message, fields: { requestId } }];
  if (requestId !== null) out.push(respond(requestId, response));
  const guarded = origin === 'stray-identity' || origin === 'isolation' || origin === 'fenced';
  const alert =
    guarded && common.alert !== null
      ? { ...common.alert, message: `${common.alert.message}; ${response.message}` }
      : common.alert;
  return { state: { ...common, status: role, alert, settledAt: at }, effects: out };
}

/** The effect that runs the current step of a change. */
export function runStep(token: number, run: SequenceRun<AgentAction>): AgentEffect {
  return { kind: 'run-step', token, step: run.current, attempt: run.attempt, compensating: run.compensating };
}

/** The effect that answers a request. */
export function respond(requestId: string, response: AgentResponse): AgentEffect {
  return { kind: 'respond', requestId, response };
}
