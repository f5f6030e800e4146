/**
 * The agent's role machine: passive ⇄ active through `activating` / `deactivating`, and the
 * watchdog that steps an active node down when the manager is gone and the peer has taken
 * over. `stepAgent(state, event) → { state, effects }` is pure; the agent app executes the
 * effects (runs a step, answers a request, asks the peer) and feeds the results back.
 */
import type { AgentAction, AgentStepTimeouts } from './agent-plan';
import { becomeActiveSteps, becomePassiveSteps } from './agent-plan';
import type { LogEffect } from './log-effect';
import type { PlanStep, SequenceNext, SequenceOutcome, SequenceRun, StepResult } from './step-sequence';
import { advanceSequence, startSequence } from './step-sequence';
import type { Role } from './types';

/** Settings of the agent machine. */
export interface AgentMachineConfig {
  /**
   * An active node that has not heard an authenticated manager request for this long asks
   * its peer whether it should step down (`manager_timeout`).
   * @default 30000
   */
  readonly managerTimeoutMs: number;
  /**
   * When no manager was ever heard, the watchdog arms this long after start-up, so a node
   * started before its manager is not left unguarded.
   * @default 60000
   */
  readonly startupGraceMs: number;
  /**
   * Between two peer checks while the manager stays silent.
   * @default 10000
   */
  readonly peerCheckIntervalMs: number;
  /** Time limits of the role-change steps. @default DEFAULT_AGENT_STEP_TIMEOUTS */
  readonly stepTimeouts: Partial<AgentStepTimeouts>;
}

/** The defaults of {@link AgentMachineConfig}. */
export const DEFAULT_AGENT_MACHINE_CONFIG: AgentMachineConfig = {
  managerTimeoutMs: 30_000,
  startupGraceMs: 60_000,
  peerCheckIntervalMs: 10_000,
  stepTimeouts: {},
};

/** The peer's answer to "are you active?"; `unreachable` when it did not answer. */
export type PeerAnswer = 'active' | 'passive' | 'unreachable';

/** A role change in progress. */
export interface AgentTransition {
  /** The request to answer when it ends; null when the watchdog started it. */
  readonly requestId: string | null;
  /** The steps and where they are. */
  readonly run: SequenceRun<AgentAction>;
  /** The token the running step's result must carry. */
  readonly token: number;
  /** When the change started. */
  readonly startedAt: number;
}

interface AgentCommon {
  readonly config: AgentMachineConfig;
  readonly startedAt: number;
  /** Last authenticated manager request, null when none yet. */
  readonly lastHeartbeatAt: number | null;
  /** The pending peer question's token, null when none is pending. */
  readonly peerQuestion: number | null;
  /** No peer question before this instant. */
  readonly nextPeerCheckAt: number;
  /** The previous peer answer, to log changes loudly and repeats quietly. */
  readonly lastPeerAnswer: PeerAnswer | null;
  /** The last token handed out. */
  readonly token: number;
}

/** The agent machine's state: a union on `status`. */
export type AgentState =
  | (AgentCommon & { readonly status: 'passive' })
  | (AgentCommon & { readonly status: 'active' })
  | (AgentCommon & { readonly status: 'activating' | 'deactivating'; readonly transition: AgentTransition });

/** What the agent machine reacts to. `at` is the app's clock reading. */
export type AgentEvent =
  | { readonly type: 'become-active'; readonly requestId: string; readonly skipIdentity: boolean; readonly at: number }
  | { readonly type: 'become-passive'; readonly requestId: string; readonly at: number }
  | { readonly type: 'step-result'; readonly token: number; readonly result: StepResult; readonly at: number }
  /** An authenticated manager request arrived; the app never sends this for unauthenticated ones. */
  | { readonly type: 'manager-heartbeat'; readonly at: number }
  | { readonly type: 'watchdog-tick'; readonly at: number }
  | { readonly type: 'peer-answer'; readonly token: number; readonly answer: PeerAnswer; readonly detail: string | null; readonly at: number };

/** The answer to a role-change request. */
export type AgentResponse =
  | { readonly result: 'ok'; readonly changed: boolean; readonly role: Role; readonly message: string; readonly warnings: readonly string[] }
  /** Another change is in progress; the app answers 409. */
  | { readonly result: 'busy'; readonly role: Role; readonly message: string }
  | { readonly result: 'failed'; readonly role: Role; readonly message: string; readonly step: AgentAction['kind']; readonly detail: string };

/** What the agent app does. */
export type AgentEffect =
  | { readonly kind: 'run-step'; readonly token: number; readonly step: PlanStep<AgentAction>; readonly attempt: number; readonly compensating: boolean }
  | { readonly kind: 'respond'; readonly requestId: string; readonly response: AgentResponse }
  | { readonly kind: 'ask-peer'; readonly token: number }
  | LogEffect;

/** A new state and the effects to execute, in order. */
export interface AgentStep {
  /** The next state. */
  readonly state: AgentState;
  /** Effects to execute, in order. */
  readonly effects: readonly AgentEffect[];
}

/** The initial state: the role the app determined at start-up (gossip, identity, config). */
export function createAgentState(role: 'active' | 'passive', now: number, config: Partial<AgentMachineConfig> = {}): AgentState {
  return {
    status: role,
    config: { ...DEFAULT_AGENT_MACHINE_CONFIG, ...config },
    startedAt: now,
    lastHeartbeatAt: null,
    peerQuestion: null,
    nextPeerCheckAt: now,
    lastPeerAnswer: null,
    token: 0,
  };
}

/** Folds one event into the agent state. Total: every event is handled in every state. */
export function stepAgent(state: AgentState, event: AgentEvent): AgentStep {
  switch (event.type) {
    case 'become-active':
    case 'become-passive':
      return onRequest(state, event);
    case 'step-result':
      return onStepResult(state, event.token, event.result, event.at);
    case 'manager-heartbeat':
      return { state: { ...state, lastHeartbeatAt: event.at }, effects: [] };
    case 'watchdog-tick':
      return onWatchdog(state, event.at);
    case 'peer-answer':
      return onPeerAnswer(state, event);
  }
}

function onRequest(state: AgentState, event: Extract<AgentEvent, { type: 'become-active' | 'become-passive' }>): AgentStep {
  const target = event.type === 'become-active' ? 'active' : 'passive';
  if (state.status === 'activating' || state.status === 'deactivating') {
    const response: AgentResponse = { result: 'busy', role: state.status, message: `a role change is in progress (${state.status}); try again when it ends` };
    return { state, effects: [respond(event.requestId, response)] };
  }
  if (state.status === target) {
    const response: AgentResponse = { result: 'ok', changed: false, role: target, message: `already ${target}`, warnings: [] };
    return { state, effects: [respond(event.requestId, response)] };
  }
  const steps = event.type === 'become-active' ? becomeActiveSteps(event.skipIdentity, state.config.stepTimeouts) : becomePassiveSteps(state.config.stepTimeouts);
  return beginTransition(state, steps, event.requestId, event.at, `${event.type} requested`);
}

function beginTransition(state: AgentState, steps: readonly PlanStep<AgentAction>[], requestId: string | null, at: number, why: string): AgentStep {
  const status = state.status === 'passive' ? 'activating' : 'deactivating';
  const started = startSequence(steps);
  const log: AgentEffect = { kind: 'log', level: 'info', message: `${status}: ${why}`, fields: { requestId } };
  if (started.kind === 'done') {
    return finish(state, requestId, started.result, status, [log]);
  }
  const token = state.token + 1;
  const transition: AgentTransition = { requestId, run: started.run, token, startedAt: at };
  return { state: { ...state, status, transition, token }, effects: [log, runStep(token, started.run)] };
}

function onStepResult(state: AgentState, token: number, result: StepResult, at: number): AgentStep {
  if (state.status !== 'activating' && state.status !== 'deactivating') {
    return { state, effects: [{ kind: 'log', level: 'warn', message: 'ignored a step result: no role change in progress', fields: { token } }] };
  }
  const { transition } = state;
  if (token !== transition.token) {
    return { state, effects: [{ kind: 'log', level: 'warn', message: 'ignored a stale step result', fields: { token, expected: transition.token } }] };
  }
  const effects: AgentEffect[] = [];
  if (!result.ok) {
    const { action } = transition.run.current;
    effects.push({ kind: 'log', level: 'warn', message: `step ${action.kind} failed (attempt ${transition.run.attempt})`, fields: { detail: result.detail } });
  }
  const next: SequenceNext<AgentAction> = advanceSequence(transition.run, result);
  if (next.kind === 'done') {
    const done = finish(state, transition.requestId, next.result, state.status, effects);
    return { state: done.state, effects: [...done.effects, { kind: 'log', level: 'info', message: 'role change took', fields: { ms: at - transition.startedAt } }] };
  }
  const nextToken = state.token + 1;
  return {
    state: { ...state, token: nextToken, transition: { ...transition, run: next.run, token: nextToken } },
    effects: [...effects, runStep(nextToken, next.run)],
  };
}

/**
 * Where a role change ends. A change that did not complete leaves the node claiming
 * whichever role cannot produce a second voter: a failed demotion stays active (the identity
 * may still be loaded), a failed promotion whose undo also failed claims active too.
 */
function finish(
  state: AgentState,
  requestId: string | null,
  result: SequenceOutcome<AgentAction>,
  status: 'activating' | 'deactivating',
  effects: readonly AgentEffect[],
): AgentStep {
  const target = status === 'activating' ? 'active' : 'passive';
  let role: 'active' | 'passive';
  let response: AgentResponse;
  if (result.outcome === 'completed') {
    role = target;
    const warnings = result.warnings.map((w) => `${w.step.action.kind}: ${w.detail}`);
    response = { result: 'ok', changed: true, role, message: `now ${target}`, warnings };
  } else {
    const { step, detail } = result.failure;
    const undone = result.outcome === 'rolled-back' || result.outcome === 'aborted';
    role = status === 'activating' && undone ? 'passive' : 'active';
    const what =
      status === 'activating'
        ? undone
          ? `could not become active (${step.action.kind} failed); still passive`
          : `could not become active and could not undo (${result.outcome === 'failed' ? result.compensation.step.action.kind : step.action.kind} failed); may hold the staked identity, claiming active`
        : `could not become passive (${step.action.kind} failed); the staked identity may still be loaded, still active`;
    response = { result: 'failed', role, message: what, step: step.action.kind, detail };
  }
  const { transition: _ended, ...common } = state as AgentCommon & { transition?: AgentTransition };
  const level = response.result === 'ok' ? 'info' : 'error';
  const out: AgentEffect[] = [...effects, { kind: 'log', level, message: response.message, fields: { requestId } }];
  if (requestId !== null) out.push(respond(requestId, response));
  return { state: { ...common, status: role }, effects: out };
}

function onWatchdog(state: AgentState, at: number): AgentStep {
  if (state.status !== 'active' || state.peerQuestion !== null || at < state.nextPeerCheckAt) {
    return { state, effects: [] };
  }
  const silentFor = state.lastHeartbeatAt === null ? null : at - state.lastHeartbeatAt;
  const silent =
    silentFor === null ? at - state.startedAt >= Math.max(state.config.startupGraceMs, state.config.managerTimeoutMs) : silentFor >= state.config.managerTimeoutMs;
  if (!silent) return { state, effects: [] };
  const token = state.token + 1;
  return {
    state: { ...state, token, peerQuestion: token },
    effects: [
      { kind: 'log', level: 'warn', message: silentFor === null ? 'no manager heard since start-up; asking the peer' : 'manager silent; asking the peer', fields: { silentForMs: silentFor } },
      { kind: 'ask-peer', token },
    ],
  };
}

function onPeerAnswer(state: AgentState, event: Extract<AgentEvent, { type: 'peer-answer' }>): AgentStep {
  if (event.token !== state.peerQuestion) {
    return { state, effects: [{ kind: 'log', level: 'debug', message: 'ignored a stale peer answer', fields: { token: event.token } }] };
  }
  const answered = { ...state, peerQuestion: null, nextPeerCheckAt: event.at + state.config.peerCheckIntervalMs, lastPeerAnswer: event.answer };
  if (state.status !== 'active') {
    return { state: answered, effects: [{ kind: 'log', level: 'info', message: `peer is ${event.answer}; no longer active here, nothing to do` }] };
  }
  if (event.answer === 'active') {
    // Two actives with one identity is double voting; the Go tool's rule, kept: the node
    // that lost its manager is the one that yields.
    return beginTransition(answered, becomePassiveSteps(state.config.stepTimeouts), null, event.at, 'manager silent and the peer is active; stepping down');
  }
  const level = event.answer === state.lastPeerAnswer ? 'debug' : 'warn';
  const message = `manager silent; peer is ${event.answer}; staying active`;
  return { state: answered, effects: [{ kind: 'log', level, message, fields: { detail: event.detail } }] };
}

function runStep(token: number, run: SequenceRun<AgentAction>): AgentEffect {
  return { kind: 'run-step', token, step: run.current, attempt: run.attempt, compensating: run.compensating };
}

function respond(requestId: string, response: AgentResponse): AgentEffect {
  return { kind: 'respond', requestId, response };
}
