/**
 * What the agent machine does without being asked: demote a validator found running the
 * staked identity while this node is passive (S3), step an isolated active down before the
 * manager may promote past it (S1), step down at once when the tower store shows another
 * holder (S1), and end a role change that outlived its deadline. Each is a pure fold of a
 * watchdog tick or of the answer to a probe the machine asked for.
 */
import { becomePassiveSteps, demoteStrayIdentitySteps, stepName } from './agent-plan';
import type { AgentEvent, AgentState, AgentStep } from './agent-state';
import { beginTransition, continueTransition, finish } from './agent-transition';
import { advanceSequence } from './step-sequence';

/** Settled in a role that may hold the staked identity: `active`, or `unconfirmed` after a failed promotion. */
export function mayVote(state: AgentState): state is AgentState & { readonly status: 'active' | 'unconfirmed' } {
  return state.status === 'active' || state.status === 'unconfirmed';
}

/**
 * A settled passive node asks for the validator's identity every `identityCheckIntervalMs`.
 * Only a settled passive: a node being promoted holds the staked identity on purpose.
 */
export function passiveChecks(state: AgentState, at: number): AgentStep {
  if (state.status !== 'passive' || state.identityQuestion !== null || at < state.nextIdentityCheckAt)
    return { state, effects: [] };
  const token = state.token + 1;
  return { state: { ...state, token, identityQuestion: token }, effects: [{ kind: 'check-identity', token }] };
}

/**
 * The answer to an identity check. A staked validator behind a passive agent votes beside the
 * holder (a restart on a stale symlink, a set-identity by hand): demote it at once. The guard
 * then stays latched until the validator is seen unstaked again, so a dry run, which changes
 * nothing, demotes once rather than at every check.
 */
export function onIdentityObserved(
  state: AgentState,
  event: Extract<AgentEvent, { type: 'identity-observed' }>,
): AgentStep {
  if (state.status !== 'passive' || event.token !== state.identityQuestion) {
    return {
      state,
      effects: [
        { kind: 'log', level: 'debug', message: 'ignored a stale identity check', fields: { token: event.token } },
      ],
    };
  }
  const answered = {
    ...state,
    identityQuestion: null,
    nextIdentityCheckAt: event.at + state.config.identityCheckIntervalMs,
  };
  if (event.identity === 'unknown') return { state: answered, effects: [] };
  if (event.identity === 'unstaked') return { state: { ...answered, strayGuard: 'armed' }, effects: [] };
  if (state.strayGuard === 'fired') {
    return {
      state: answered,
      effects: [
        {
          kind: 'log',
          level: 'debug',
          message: 'the validator still reports the staked identity; already demoted once',
          fields: { detail: event.detail },
        },
      ],
    };
  }
  const message = 'the validator ran the staked identity while this node was passive (S3)';
  return beginTransition(
    { ...answered, strayGuard: 'fired', alert: { message, at: event.at } },
    demoteStrayIdentitySteps('stray-identity', state.config.stepTimeouts),
    { requestId: null, origin: 'stray-identity', status: 'deactivating' },
    event.at,
    `${message}; demoting it`,
  );
}

function probeIntervalMs(state: AgentState): number {
  return Math.max(250, Math.floor(state.config.isolationTimeoutMs / 4));
}

/**
 * Records who answered a reachability probe. The cluster RPC counts as heard only when its
 * slot moved past the last one it gave: `cluster_rpc` is often the node's own RPC, which a
 * node cut off from the cluster still answers, with a slot that no longer advances, and an
 * answer alone would keep the cut-off active holding the identity.
 */
export function onReachability(state: AgentState, event: Extract<AgentEvent, { type: 'reachability' }>): AgentStep {
  if (event.token !== state.reachabilityProbe) {
    return {
      state,
      effects: [
        { kind: 'log', level: 'debug', message: 'ignored a stale reachability probe', fields: { token: event.token } },
      ],
    };
  }
  const advanced =
    event.clusterSlot !== null && state.lastClusterSlot !== null && event.clusterSlot > state.lastClusterSlot;
  return {
    state: {
      ...state,
      reachabilityProbe: null,
      nextReachabilityProbeAt: event.at + probeIntervalMs(state),
      lastPeerContactAt: event.peer ? event.at : state.lastPeerContactAt,
      lastClusterContactAt: advanced ? event.at : state.lastClusterContactAt,
      lastClusterSlot:
        event.clusterSlot === null
          ? state.lastClusterSlot
          : Math.max(event.clusterSlot, state.lastClusterSlot ?? event.clusterSlot),
    },
    effects: [],
  };
}

/**
 * Self-fencing of an isolated active. The manager may promote past an unreachable active once
 * the cluster shows its votes stale; if this node is cut off from everything, its validator
 * would resume voting beside the new active when the network heals. So an active node that for
 * `isolationTimeoutMs` heard neither the manager, nor its peer, nor a cluster slot advance demotes
 * its own validator. Hearing any of them keeps it active: the Go tool's rule (manager silent, peer
 * unreachable, cluster reachable → stay) is unchanged. While the manager is silent the peer
 * and the cluster are probed every quarter of the timeout.
 */
export function onIsolation(state: AgentState, at: number): AgentStep {
  const limit = state.config.isolationTimeoutMs;
  if (!mayVote(state) || limit <= 0) return { state, effects: [] };
  // Silence is counted from when the role settled (no probe runs during a role change) and
  // from the last resume of a paused agent (a pause is not a partition).
  const heard = Math.max(
    state.settledAt,
    state.resumedAt ?? 0,
    state.lastHeartbeatAt ?? 0,
    state.lastPeerContactAt ?? 0,
    state.lastClusterContactAt ?? 0,
  );
  if (at - heard >= limit) {
    const message = `isolated: no manager, peer or advancing cluster slot for ${Math.round((at - heard) / 1000)}s; demoting the validator so it cannot vote beside a new active when the network heals`;
    return beginTransition(
      { ...state, reachabilityProbe: null, alert: { message, at } },
      becomePassiveSteps(state.config.stepTimeouts),
      { requestId: null, origin: 'isolation', status: 'deactivating' },
      at,
      message,
    );
  }
  const interval = probeIntervalMs(state);
  const managerQuiet = state.lastHeartbeatAt === null || at - state.lastHeartbeatAt >= interval;
  if (!managerQuiet || state.reachabilityProbe !== null || at < state.nextReachabilityProbeAt)
    return { state, effects: [] };
  const token = state.token + 1;
  return { state: { ...state, token, reachabilityProbe: token }, effects: [{ kind: 'probe-reachability', token }] };
}

/**
 * A tower backup refused as fenced: the store holds a tower another agent wrote since this one
 * last read or wrote it, which happens only when another machine was given the identity — an
 * old active that was cut off or paused while the manager promoted past it (F1). Step down at
 * once, without a final backup: the holder's backup must not be overwritten by this node's.
 * Only a settled holder reacts; a change in progress ends on its own terms.
 */
export function onTowerFenced(state: AgentState, event: Extract<AgentEvent, { type: 'tower-fenced' }>): AgentStep {
  if (!mayVote(state)) {
    return {
      state,
      effects: [
        {
          kind: 'log',
          level: 'debug',
          message: `tower backup fenced while ${state.status}; nothing to step down from`,
          fields: { detail: event.detail },
        },
      ],
    };
  }
  const message =
    'the tower store shows another holder of the staked identity (fenced backup); stepping down so two machines never vote';
  return beginTransition(
    { ...state, reachabilityProbe: null, alert: { message, at: event.at } },
    demoteStrayIdentitySteps('fenced', state.config.stepTimeouts),
    { requestId: null, origin: 'fenced', status: 'deactivating' },
    event.at,
    `${message}: ${event.detail}`,
  );
}

/**
 * A role change past its deadline starts no further forward step. A demotion then ends as
 * failed and the node keeps claiming active; a promotion undoes what it did, the step in
 * progress included (set-identity may have half-happened), as if that step had failed. An
 * undo already running is left to finish: each of its steps has its own limit, and cutting it
 * would leave a half-state.
 */
export function onDeadline(state: AgentState, at: number): AgentStep {
  if (state.status !== 'activating' && state.status !== 'deactivating') return { state, effects: [] };
  const { transition } = state;
  const { run } = transition;
  if (at < transition.deadlineAt || run.compensating) return { state, effects: [] };
  const detail = `deadline of ${Math.round((transition.deadlineAt - transition.startedAt) / 1000)}s passed during ${stepName(run.current.action)}`;
  const log = {
    kind: 'log',
    level: 'error',
    message: `${state.status}: ${detail}; stopping`,
    fields: { requestId: transition.requestId },
  } as const;
  const cause = { requestId: transition.requestId, origin: transition.origin, status: state.status };
  if (state.status === 'deactivating') {
    return finish(
      state,
      cause,
      { outcome: 'aborted', failure: { step: run.current, detail }, warnings: run.warnings },
      at,
      [log],
    );
  }
  const { fallback: _skipped, ...current } = run.current;
  const next = advanceSequence(
    { ...run, current: { ...current, onFailure: 'stop' }, attempt: current.attempts },
    { ok: false, detail },
  );
  return continueTransition(state, next, at, [log]);
}
