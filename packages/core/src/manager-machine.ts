/**
 * The manager's decision machine. Each heartbeat the app feeds a `tick` with what it
 * observed; the machine counts misses, applies the gates of DESIGN §2 and answers with
 * effects: run a failover step, notify, log. Step results come back as events, so a whole
 * failover is a fold over events and can be replayed in tests without a network.
 *
 * States: `monitoring`, `failing-over` (one plan in flight, never two), `cooldown` (after a
 * failover ended, whatever its outcome). A failover that is wanted but not allowed is a
 * hold with a {@link BlockCause}, reported once per cause.
 */
import type { BlockCause, FailoverEvent, FailoverReason, StepTiming } from './events';
import { blockCauseKey } from './events';
import type { FailoverAction, FailoverPlan } from './failover-plan';
import { OLD_ACTIVE_HEALTHY, createFailoverPlan, describeAction } from './failover-plan';
import type { LogEffect } from './log-effect';
import type { ManagerMachineConfig, ManagerMachineOptions } from './manager-config';
import { resolveManagerConfig } from './manager-config';
import type { RoleResolution } from './manager-roles';
import { proveStoppedVoting, resolveRoles } from './manager-roles';
import type { NodeTrack } from './manager-tracking';
import { freshTrack, summarize, trackNodes } from './manager-tracking';
import type { PlanStep, SequenceOutcome, SequenceRun, StepResult } from './step-sequence';
import { advanceSequence, startSequence } from './step-sequence';
import type { NodeId, Observation } from './types';
import { NODE_IDS, otherNode } from './types';

/** The failover in flight. */
export interface FailoverRun {
  /** The plan being run. */
  readonly plan: FailoverPlan;
  /** Why it was started. */
  readonly reason: FailoverReason;
  /** When it started. */
  readonly startedAt: number;
  /** Where the plan is. */
  readonly run: SequenceRun<FailoverAction>;
  /** The token the running step's result must carry. */
  readonly token: number;
  /** When the running step's first attempt started. */
  readonly stepStartedAt: number;
  /** Steps finished so far. */
  readonly timings: readonly StepTiming[];
}

interface ManagerCommon {
  readonly config: ManagerMachineConfig;
  readonly startedAt: number;
  readonly nodes: Readonly<Record<NodeId, NodeTrack>>;
  /** The node last known to hold the staked identity. */
  readonly active: NodeId | null;
  /** The cause currently holding a failover back, already reported. */
  readonly hold: BlockCause | null;
  readonly nextStatusReportAt: number;
  readonly lastObservation: Observation | null;
  /** The last token handed out. */
  readonly token: number;
}

/** The manager machine's state: a union on `status`. */
export type ManagerState =
  | (ManagerCommon & { readonly status: 'monitoring' })
  | (ManagerCommon & { readonly status: 'failing-over'; readonly failover: FailoverRun })
  | (ManagerCommon & { readonly status: 'cooldown'; readonly until: number });

/** What the manager machine reacts to. */
export type ManagerEvent =
  | { readonly type: 'tick'; readonly observation: Observation }
  | { readonly type: 'step-result'; readonly token: number; readonly result: StepResult; readonly at: number }
  | { readonly type: 'switchover-requested'; readonly requestId: string; readonly reason: string; readonly to: NodeId | null; readonly at: number }
  | { readonly type: 'config-changed'; readonly options: ManagerMachineOptions; readonly at: number };

/** Why a switchover request was refused. */
export type SwitchoverRefusal = BlockCause | { readonly kind: 'busy' } | { readonly kind: 'no-observation' } | { readonly kind: 'already-active'; readonly node: NodeId };

/** The answer to a switchover request. */
export type SwitchoverAnswer =
  | { readonly accepted: true; readonly plan: FailoverPlan }
  | { readonly accepted: false; readonly refusal: SwitchoverRefusal };

/** What the manager app does. */
export type ManagerEffect =
  /** A failover begins; informational, the steps follow as `run-step`. */
  | { readonly kind: 'failover'; readonly plan: FailoverPlan; readonly reason: FailoverReason }
  | { readonly kind: 'run-step'; readonly token: number; readonly step: PlanStep<FailoverAction>; readonly attempt: number; readonly compensating: boolean }
  | { readonly kind: 'notify'; readonly event: FailoverEvent }
  | { readonly kind: 'switchover-answer'; readonly requestId: string; readonly answer: SwitchoverAnswer }
  | LogEffect;

/** A new state and the effects to execute, in order. */
export interface ManagerStep {
  /** The next state. */
  readonly state: ManagerState;
  /** Effects to execute, in order. */
  readonly effects: readonly ManagerEffect[];
}

/** The initial state, at the manager's start. */
export function createManagerState(options: ManagerMachineOptions, now: number): ManagerState {
  const config = resolveManagerConfig(options);
  return {
    status: 'monitoring',
    config,
    startedAt: now,
    nodes: { validator1: freshTrack(), validator2: freshTrack() },
    active: config.initialActive,
    hold: null,
    nextStatusReportAt: now + config.statusReportIntervalMs,
    lastObservation: null,
    token: 0,
  };
}

/** Folds one event into the manager state. Total: every event is handled in every state. */
export function stepManager(state: ManagerState, event: ManagerEvent): ManagerStep {
  switch (event.type) {
    case 'tick':
      return onTick(state, event.observation);
    case 'step-result':
      return onStepResult(state, event.token, event.result, event.at);
    case 'switchover-requested':
      return onSwitchover(state, event);
    case 'config-changed':
      return {
        state: { ...state, config: resolveManagerConfig(event.options, state.config) },
        effects: [{ kind: 'log', level: 'info', message: 'configuration changed', fields: { keys: Object.keys(event.options) } }],
      };
  }
}

/** The decision of one tick outside a failover. */
type Decision =
  | { readonly kind: 'none' }
  | { readonly kind: 'hold'; readonly cause: BlockCause; readonly reason: FailoverReason | null }
  | { readonly kind: 'failover'; readonly from: NodeId; readonly to: NodeId; readonly fromReachable: boolean; readonly reason: FailoverReason };

function onTick(previous: ManagerState, observation: Observation): ManagerStep {
  const at = observation.at;
  const tracked = trackNodes(previous.nodes, observation, previous.config.health);
  const effects: ManagerEffect[] = [...tracked.events.map(notify)];
  let state: ManagerState = { ...previous, nodes: tracked.nodes, lastObservation: observation };

  if (at >= state.nextStatusReportAt) {
    effects.push(notify({ type: 'status-report', at, active: state.active, nodes: summarize(state.nodes) }));
    state = { ...state, nextStatusReportAt: at + state.config.statusReportIntervalMs };
  }
  // Claims seen mid-failover are the plan's own transitions; the outcome decides `active`.
  if (state.status === 'failing-over') return { state, effects };

  const roles = rolesOf(state, observation);
  if (roles.kind === 'resolved' && roles.active !== state.active) {
    // Only a holder seen claiming the identity is news; an unreachable one is active by
    // elimination and may not hold it at all.
    if (observation.nodes[roles.active].reachable) {
      effects.push(
        state.active === null
          ? { kind: 'log', level: 'info', message: `${roles.active} holds the staked identity` }
          : notify({ type: 'activated', at, node: roles.active, previous: state.active }),
      );
      state = { ...state, active: roles.active };
    }
  }
  if (state.status === 'cooldown' && at >= state.until) {
    effects.push({ kind: 'log', level: 'info', message: 'cooldown over; automatic failover armed again' });
    state = { ...state, status: 'monitoring' };
  }

  const decision = decide(state, observation, roles);
  if (decision.kind !== 'failover') {
    const held = setHold(state, decision.kind === 'hold' ? decision.cause : null, at);
    if (decision.kind === 'hold' && decision.cause.kind === 'dry-run' && held.changed) {
      effects.push({ kind: 'log', level: 'warn', message: `would fail over ${decision.cause.from} → ${decision.cause.to} (dry run)`, fields: { reason: decision.reason } });
    }
    return { state: held.state, effects: [...effects, ...held.effects] };
  }
  const held = setHold(state, null, at);
  const plan = createFailoverPlan({ ...decision, secureMode: state.config.secureMode, timeouts: state.config.planTimeouts });
  const started = beginFailover(held.state, plan, decision.reason, at);
  return { state: started.state, effects: [...effects, ...held.effects, ...started.effects] };
}

function rolesOf(state: ManagerState, observation: Observation): RoleResolution {
  return resolveRoles({
    observation,
    lastKnownActive: state.active,
    stakedIdentityPubkey: state.config.stakedIdentityPubkey,
    gossipMaxAgeMs: state.config.gossipMaxAgeMs,
  });
}

/** The gates of DESIGN §2, in order; the first that fails names the cause. */
function decide(state: ManagerState, observation: Observation, roles: RoleResolution): Decision {
  if (roles.kind === 'conflict') return { kind: 'hold', cause: roles.cause, reason: null };
  if (roles.kind === 'unknown') return { kind: 'none' };
  const { active, passive } = roles;
  const track = state.nodes[active];
  if (track.misses < state.config.missesBeforeFailover) return { kind: 'none' };
  const reason: FailoverReason = { kind: 'unhealthy', node: active, misses: track.misses, reasons: track.health?.reasons ?? [] };
  const graceEnds = state.startedAt + state.config.startupGracePeriodMs;
  if (observation.at < graceEnds) return { kind: 'hold', cause: { kind: 'startup-grace', until: graceEnds }, reason };
  if (state.status === 'cooldown') return { kind: 'hold', cause: { kind: 'cooldown', until: state.until }, reason };
  const gate = gatePromotion(state, observation, active, passive);
  if (gate !== null) return { kind: 'hold', cause: gate, reason };
  if (state.config.dryRun) return { kind: 'hold', cause: { kind: 'dry-run', from: active, to: passive }, reason };
  return { kind: 'failover', from: active, to: passive, fromReachable: observation.nodes[active].reachable, reason };
}

/**
 * The gates every promotion passes, automatic or requested: the target is reachable and
 * healthy now, and an unreachable old active is proven to have stopped voting.
 */
function gatePromotion(state: ManagerState, observation: Observation, from: NodeId, to: NodeId): BlockCause | null {
  const target = observation.nodes[to];
  if (!target.reachable) return { kind: 'passive-unreachable', node: to, detail: `${target.reason}: ${target.detail}` };
  const health = state.nodes[to].health;
  if (health === null || !health.healthy) return { kind: 'passive-unhealthy', node: to, reasons: health?.reasons ?? [] };
  if (!observation.nodes[from].reachable) {
    const proof = proveStoppedVoting(observation, from, state.config.voteProof);
    if (!proof.proven) return proof.cause;
  }
  return null;
}

/** Reports a cause once: on arrival, on change of cause, and when it clears. */
function setHold(state: ManagerState, cause: BlockCause | null, at: number): { state: ManagerState; effects: ManagerEffect[]; changed: boolean } {
  const before = state.hold;
  if ((before === null && cause === null) || (before !== null && cause !== null && blockCauseKey(before) === blockCauseKey(cause))) {
    return { state: { ...state, hold: cause }, effects: [], changed: false };
  }
  const effects: ManagerEffect[] = [];
  if (before !== null) effects.push(notify({ type: 'unblocked', at, cause: before }));
  if (cause !== null) {
    effects.push(notify({ type: 'blocked', at, cause }));
    effects.push({ kind: 'log', level: cause.kind === 'dry-run' || cause.kind === 'startup-grace' ? 'warn' : 'error', message: `failover blocked: ${cause.kind}`, fields: { cause } });
  }
  return { state: { ...state, hold: cause }, effects, changed: true };
}

function beginFailover(state: ManagerState, plan: FailoverPlan, reason: FailoverReason, at: number): ManagerStep {
  const started = startSequence(plan.steps);
  const head: ManagerEffect[] = [
    { kind: 'log', level: 'warn', message: `failover ${plan.from} → ${plan.to} started`, fields: { reason } },
    notify({ type: 'failover-started', at, from: plan.from, to: plan.to, reason }),
    { kind: 'failover', plan, reason },
  ];
  if (started.kind === 'done') return finishFailover(state, plan, reason, at, [], started.result, head);
  const token = state.token + 1;
  const failover: FailoverRun = { plan, reason, startedAt: at, run: started.run, token, stepStartedAt: at, timings: [] };
  return { state: { ...state, status: 'failing-over', failover, token }, effects: [...head, runStep(token, started.run)] };
}

function onStepResult(state: ManagerState, token: number, result: StepResult, at: number): ManagerStep {
  if (state.status !== 'failing-over' || token !== state.failover.token) {
    return { state, effects: [{ kind: 'log', level: 'warn', message: 'ignored a step result that belongs to no running step', fields: { token } }] };
  }
  const { failover } = state;
  const { run, plan } = failover;
  const effects: ManagerEffect[] = [];
  if (!result.ok) {
    effects.push({ kind: 'log', level: 'warn', message: `${describeAction(run.current.action)} failed (attempt ${run.attempt} of ${run.current.attempts})`, fields: { detail: result.detail } });
  }
  // An unknown guard is refused: a compensation nobody can vouch for is not run.
  const allows = (guard: string): boolean => guard === OLD_ACTIVE_HEALTHY && state.nodes[plan.from].health?.healthy === true;
  const next = advanceSequence(run, result, allows);
  const retrying = next.kind === 'run' && next.run.current === run.current && next.run.attempt === run.attempt + 1;
  const timings = retrying
    ? failover.timings
    : [...failover.timings, { step: describeAction(run.current.action), ms: at - failover.stepStartedAt, attempts: run.attempt, ok: result.ok, compensating: run.compensating }];
  if (next.kind === 'done') {
    return finishFailover(state, plan, failover.reason, at, timings, next.result, effects, failover.startedAt);
  }
  const nextToken = state.token + 1;
  const updated: FailoverRun = { ...failover, run: next.run, token: nextToken, stepStartedAt: retrying ? failover.stepStartedAt : at, timings };
  return { state: { ...state, failover: updated, token: nextToken }, effects: [...effects, runStep(nextToken, next.run)] };
}

/** Ends a failover: who holds the identity now, one notification that says so, cooldown. */
function finishFailover(
  state: ManagerState,
  plan: FailoverPlan,
  reason: FailoverReason,
  at: number,
  steps: readonly StepTiming[],
  result: SequenceOutcome<FailoverAction>,
  effects: readonly ManagerEffect[],
  startedAt = at,
): ManagerStep {
  const { from, to } = plan;
  let active: NodeId | null;
  let event: FailoverEvent;
  if (result.outcome === 'completed') {
    active = to;
    const warnings = result.warnings.map((w) => `${describeAction(w.step.action)}: ${w.detail}`);
    event = { type: 'failover-complete', at, from, to, reason, steps, totalMs: at - startedAt, warnings };
  } else if (result.outcome === 'rolled-back') {
    active = from;
    event = { type: 'rolled-back', at, from, to, reason, failedStep: describeAction(result.failure.step.action), detail: result.failure.detail, steps };
  } else {
    // Aborted: nothing changed hands, the old holder keeps it. Failed: nobody knows who
    // holds it; the next ticks' claims will tell, and until then nothing is promoted.
    active = result.outcome === 'aborted' ? from : null;
    const detail = result.outcome === 'failed' ? `${result.failure.detail}; then ${describeAction(result.compensation.step.action)}: ${result.compensation.detail}` : result.failure.detail;
    event = { type: 'failover-failed', at, from, to, reason, outcome: result.outcome, failedStep: describeAction(result.failure.step.action), detail, steps };
  }
  const nodes = Object.fromEntries(NODE_IDS.map((n) => [n, { ...state.nodes[n], misses: 0 }])) as Record<NodeId, NodeTrack>;
  const { failover: _ended, ...common } = state as ManagerCommon & { failover?: FailoverRun };
  const level = event.type === 'failover-complete' ? 'info' : 'error';
  return {
    state: { ...common, status: 'cooldown', until: at + state.config.cooldownMs, active, nodes, hold: null },
    effects: [...effects, { kind: 'log', level, message: `failover ${from} → ${to}: ${result.outcome}`, fields: { steps } }, notify(event)],
  };
}

function onSwitchover(state: ManagerState, event: Extract<ManagerEvent, { type: 'switchover-requested' }>): ManagerStep {
  const refuse = (refusal: SwitchoverRefusal): ManagerStep => ({
    state,
    effects: [
      { kind: 'log', level: 'warn', message: `switchover refused: ${refusal.kind}`, fields: { requestId: event.requestId, refusal } },
      { kind: 'switchover-answer', requestId: event.requestId, answer: { accepted: false, refusal } },
    ],
  });
  if (state.status === 'failing-over') return refuse({ kind: 'busy' });
  const observation = state.lastObservation;
  if (observation === null) return refuse({ kind: 'no-observation' });
  const roles = rolesOf(state, observation);
  let from: NodeId;
  if (roles.kind === 'resolved') {
    if (event.to === roles.active) return refuse({ kind: 'already-active', node: roles.active });
    from = roles.active;
  } else if (roles.kind === 'conflict' && roles.cause.kind === 'no-active' && event.to !== null) {
    // Nobody holds the identity: an operator may name the node to take it.
    from = otherNode(event.to);
  } else {
    return refuse(roles.kind === 'conflict' ? roles.cause : { kind: 'no-observation' });
  }
  const to = otherNode(from);
  const gate = gatePromotion(state, observation, from, to);
  if (gate !== null) return refuse(gate);
  if (state.config.dryRun) return refuse({ kind: 'dry-run', from, to });
  const plan = createFailoverPlan({ from, to, fromReachable: observation.nodes[from].reachable, secureMode: state.config.secureMode, timeouts: state.config.planTimeouts });
  const held = setHold(state, null, event.at);
  const started = beginFailover(held.state, plan, { kind: 'switchover', text: event.reason }, event.at);
  const answer: ManagerEffect = { kind: 'switchover-answer', requestId: event.requestId, answer: { accepted: true, plan } };
  return { state: started.state, effects: [answer, ...held.effects, ...started.effects] };
}

function runStep(token: number, run: SequenceRun<FailoverAction>): ManagerEffect {
  return { kind: 'run-step', token, step: run.current, attempt: run.attempt, compensating: run.compensating };
}

function notify(event: FailoverEvent): ManagerEffect {
  return { kind: 'notify', event };
}
