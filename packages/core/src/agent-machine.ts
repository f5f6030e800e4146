/**
 * The agent's role machine: passive ⇄ active through `activating` / `deactivating`, and the
 * watchdog that steps an active node down when the manager is gone and the peer has taken
 * over. `stepAgent(state, event) → { state, effects }` is pure; the agent app executes the
 * effects (runs a step, answers a request, asks the peer) and feeds the results back. The
 * guards that act without a request (a passive validator found staked, an isolated active,
 * a role change past its deadline) live in `agent-guards`.
 */
import {
  mayVote,
  onDeadline,
  onIdentityObserved,
  onIsolation,
  onReachability,
  onTowerFenced,
  passiveChecks,
} from './agent-guards';
import { becomeActiveSteps, becomePassiveSteps } from './agent-plan';
import type { AgentEvent, AgentResponse, AgentState, AgentStep } from './agent-state';
import { beginTransition, onStepResult, onTowerStale, respond } from './agent-transition';

export * from './agent-state';

/** Folds one event into the agent state. Total: every event is handled in every state. */
export function stepAgent(state: AgentState, event: AgentEvent): AgentStep {
  switch (event.type) {
    case 'become-active':
    case 'become-passive':
      return onRequest(state, event);
    case 'step-result':
      return event.towerStale === undefined
        ? onStepResult(state, event.token, event.result, event.at)
        : onTowerStale(state, event.token, event.towerStale, event.at);
    case 'manager-heartbeat':
      return { state: { ...state, lastHeartbeatAt: event.at }, effects: [] };
    case 'watchdog-tick':
      return onTick(state, event.at);
    case 'peer-answer':
      return onPeerAnswer(state, event);
    case 'identity-observed':
      return onIdentityObserved(state, event);
    case 'reachability':
      return onReachability(state, event);
    case 'tower-fenced':
      return onTowerFenced(state, event);
  }
}

function onTick(previous: AgentState, at: number): AgentStep {
  // A tick long overdue means this process was paused: what it did not hear meanwhile says
  // nothing about the network, so isolation is counted from the resume.
  const paused = previous.lastTickAt !== null && at - previous.lastTickAt > 3 * previous.config.tickIntervalMs;
  const state: AgentState = { ...previous, lastTickAt: at, resumedAt: paused ? at : previous.resumedAt };
  if (state.status === 'activating' || state.status === 'deactivating') return onDeadline(state, at);
  if (state.status === 'passive') return passiveChecks(state, at);
  const isolated = onIsolation(state, at);
  if (!mayVote(isolated.state)) return isolated;
  const watched = onWatchdog(isolated.state, at);
  return { state: watched.state, effects: [...isolated.effects, ...watched.effects] };
}

function onRequest(
  state: AgentState,
  event: Extract<AgentEvent, { type: 'become-active' | 'become-passive' }>,
): AgentStep {
  const target = event.type === 'become-active' ? 'active' : 'passive';
  if (state.status === 'activating' || state.status === 'deactivating') {
    const response: AgentResponse = {
      result: 'busy',
      role: state.status,
      message: `a role change is in progress (${state.status}); try again when it ends`,
    };
    return { state, effects: [respond(event.requestId, response)] };
  }
  if (state.status === target) {
    const response: AgentResponse = {
      result: 'ok',
      changed: false,
      role: target,
      message: `already ${target}`,
      warnings: [],
    };
    return { state, effects: [respond(event.requestId, response)] };
  }
  // From `unconfirmed` a become_active runs every step again: answering "already active"
  // would let the manager wait for votes from a validator that never took the identity (F3).
  const why =
    state.status === 'unconfirmed' && target === 'active'
      ? 'become-active requested; the last promotion was not confirmed, running its steps again'
      : `${event.type} requested`;
  const steps =
    event.type === 'become-active'
      ? becomeActiveSteps(event.skipIdentity, state.config.stepTimeouts, event.minTowerSlot, event.minVoteHistorySlot)
      : becomePassiveSteps(state.config.stepTimeouts);
  const status = event.type === 'become-active' ? 'activating' : 'deactivating';
  return beginTransition(
    { ...state, alert: null },
    steps,
    {
      requestId: event.requestId,
      origin: 'request',
      status,
      ...(event.context === undefined ? {} : { request: event.context }),
      skipIdentity: event.type === 'become-active' && event.skipIdentity,
    },
    event.at,
    why,
  );
}

function onWatchdog(state: AgentState, at: number): AgentStep {
  if (!mayVote(state) || state.peerQuestion !== null || at < state.nextPeerCheckAt) {
    return { state, effects: [] };
  }
  const silentFor = state.lastHeartbeatAt === null ? null : at - state.lastHeartbeatAt;
  const silent =
    silentFor === null
      ? at - state.startedAt >= Math.max(state.config.startupGraceMs, state.config.managerTimeoutMs)
      : silentFor >= state.config.managerTimeoutMs;
  if (!silent) return { state, effects: [] };
  const token = state.token + 1;
  return {
    state: { ...state, token, peerQuestion: token },
    effects: [
      {
        kind: 'log',
        level: 'warn',
        message:
          silentFor === null ? 'no manager heard since start-up; asking the peer' : 'manager silent; asking the peer',
        fields: { silentForMs: silentFor },
      },
      { kind: 'ask-peer', token },
    ],
  };
}

function onPeerAnswer(state: AgentState, event: Extract<AgentEvent, { type: 'peer-answer' }>): AgentStep {
  if (event.token !== state.peerQuestion) {
    return {
      state,
      effects: [
        { kind: 'log', level: 'debug', message: 'ignored a stale peer answer', fields: { token: event.token } },
      ],
    };
  }
  const answered = {
    ...state,
    peerQuestion: null,
    nextPeerCheckAt: event.at + state.config.peerCheckIntervalMs,
    lastPeerAnswer: event.answer,
    lastPeerContactAt: event.answer === 'unreachable' ? state.lastPeerContactAt : event.at,
  };
  if (!mayVote(state)) {
    return {
      state: answered,
      effects: [
        { kind: 'log', level: 'info', message: `peer is ${event.answer}; no longer active here, nothing to do` },
      ],
    };
  }
  if (event.answer === 'active') {
    // Two actives with one identity is double voting; the Go tool's rule, kept: the node
    // that lost its manager is the one that yields.
    return beginTransition(
      answered,
      becomePassiveSteps(state.config.stepTimeouts),
      { requestId: null, origin: 'watchdog', status: 'deactivating' },
      event.at,
      'manager silent and the peer is active; stepping down',
    );
  }
  const level = event.answer === state.lastPeerAnswer ? 'debug' : 'warn';
  const message = `manager silent; peer is ${event.answer}; staying active`;
  return { state: answered, effects: [{ kind: 'log', level, message, fields: { detail: event.detail } }] };
}
