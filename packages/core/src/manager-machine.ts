/**
 * The manager's decision machine. Each heartbeat the app feeds a `tick` with what it
 * observed; the machine counts misses, applies the gates of DESIGN §2 and answers with
 * effects: run a failover step, notify, log. Step results come back as events, so a whole
 * failover is a fold over events and can be replayed in tests without a network.
 *
 * States: `monitoring`, `failing-over` (one plan in flight, never two), `cooldown` (after a
 * failover ended, whatever its outcome). A failover that is wanted but not allowed is a
 * hold with a {@link BlockCause}, reported once per cause. A node seen claiming the identity
 * that this manager gave to the other one is fenced: demoted at once by a plan of its own.
 * When nobody holds the identity after a known holder stepped down on its own, one node is
 * promoted by a recovery plan (`manager-recovery`). Each run and each step is journaled before it
 * is acted on and once its outcome is known (`manager-journal`); a manager that starts again
 * takes up what its journal holds (`manager-restore`). An operator's pause (`manager-pause`) turns
 * every wanted failover and recovery into a hold; the fence and a half-done plan still run.
 */
import type { BlockCause, FailoverReason, StepTiming } from './events';
import type { FailoverPlan } from './failover-plan';
import {
  OLD_ACTIVE_HEALTHY,
  createFailoverPlan,
  createFencePlan,
  createRecoveryPlan,
  describeAction,
} from './failover-plan';
import type { ManagerMachineOptions } from './manager-config';
import { resolveManagerConfig } from './manager-config';
import type { JournalRecord } from './manager-journal';
import {
  abandonRun,
  finishFailover,
  holdFailover,
  journal,
  journaledPlan,
  notify,
  setHold,
  startStep,
} from './manager-outcomes';
import type { RecoveryDecision } from './manager-recovery';
import { towerFloorGate } from './cluster-evidence';
import { decideRecovery, trackNobodyVoting } from './manager-recovery';
import { expirePause, pausedCause, requestPause, requestResume } from './manager-pause';
import { resumeInterrupted } from './manager-restore';
import type { RoleResolution } from './manager-roles';
import { isChangingRole, mayHoldIdentity, proveStoppedVoting, resolveRoles } from './manager-roles';
import { alpenglowVeto, promotionEligibility } from './phase-evidence';
import type {
  FailoverRun,
  ManagerEffect,
  ManagerEvent,
  ManagerState,
  ManagerStep,
  RunInfo,
  StepRefusal,
  SwitchoverRefusal,
} from './manager-state';
import { freshTrack, summarize, trackNodes, type NodeTrack } from './manager-tracking';
import type { StepResult } from './step-sequence';
import { advanceSequence, startSequence } from './step-sequence';
import type { NodeId, Observation } from './types';
import { otherNode } from './types';

/** The initial state, at the manager's start. */
export function createManagerState(options: ManagerMachineOptions, now: number): ManagerState {
  const config = resolveManagerConfig(options);
  return {
    status: 'monitoring',
    config,
    startedAt: now,
    nodes: { validator1: freshTrack(), validator2: freshTrack() },
    active: config.initialActive,
    holder: null,
    lastHolder: null,
    nobodyVoting: null,
    hold: null,
    nextStatusReportAt: now + config.statusReportIntervalMs,
    lastObservation: null,
    token: 0,
    term: 0,
    runs: 0,
    interrupted: null,
    journalFailure: null,
    pause: null,
    pauseBefore: null,
  };
}

/** Folds one event into the manager state. Total: every event is handled in every state. */
export function stepManager(state: ManagerState, event: ManagerEvent): ManagerStep {
  switch (event.type) {
    case 'tick':
      return onTick(state, event.observation);
    case 'step-result':
      return onStepResult(state, event.token, event.result, event.at, event.refusal);
    case 'switchover-requested':
      return onSwitchover(state, event);
    case 'pause-requested':
      return requestPause(state, event);
    case 'resume-requested':
      return requestResume(state, event);
    case 'journal-failed':
      return onJournalFailed(state, event.detail, event.records, event.at);
    case 'config-changed':
      return {
        state: { ...state, config: resolveManagerConfig(event.options, state.config) },
        effects: [
          {
            kind: 'log',
            level: 'info',
            message: 'configuration changed',
            fields: { keys: Object.keys(event.options) },
          },
        ],
      };
  }
}

/** The decision of one tick outside a failover. */
type Decision =
  | { readonly kind: 'none' }
  | { readonly kind: 'hold'; readonly cause: BlockCause; readonly reason: FailoverReason | null }
  | {
      readonly kind: 'failover';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly fromReachable: boolean;
      readonly reason: FailoverReason;
    }
  | RecoveryDecision;

function onTick(previous: ManagerState, observation: Observation): ManagerStep {
  const at = observation.at;
  const tracked = trackNodes(previous.nodes, observation, previous.config.health);
  const effects: ManagerEffect[] = [...tracked.events.map(notify)];
  let state: ManagerState = { ...previous, nodes: tracked.nodes, lastObservation: observation };

  if (at >= state.nextStatusReportAt) {
    effects.push(notify({ type: 'status-report', at, active: state.active, nodes: summarize(state.nodes) }));
    state = { ...state, nextStatusReportAt: at + state.config.statusReportIntervalMs };
  }
  // A pause given a duration ends on time, a failover in flight or not.
  const expired = state.journalFailure === null ? expirePause(state, at) : null;
  if (expired !== null) {
    state = expired.state;
    effects.push(...expired.effects);
  }
  // Claims seen mid-failover are the plan's own transitions; the outcome decides `active`.
  // The run of passive ticks is not counted either: between a demotion and a promotion both
  // nodes are passive by design.
  if (state.status === 'failing-over') return { state, effects };
  if (state.journalFailure !== null) {
    const held = setHold(state, { kind: 'journal-unwritable', detail: state.journalFailure }, at);
    return { state: held.state, effects: [...effects, ...held.effects] };
  }
  // The plan a previous run of this manager stopped in the middle of comes first: it was
  // decided then, and the pair may be half way through it. A pause does not hold it: stopping
  // between a demotion and a promotion would leave nobody voting (L2).
  if (state.interrupted !== null) {
    const resumed = resumeInterrupted(state, observation);
    return { state: resumed.state, effects: [...effects, ...resumed.effects] };
  }
  state = {
    ...state,
    nobodyVoting: trackNobodyVoting(
      state.nobodyVoting,
      observation,
      state.config.stakedIdentityPubkey,
      state.config.gossipMaxAgeMs,
    ),
  };

  // Before anything else: a second claimant next to the recorded holder is fenced even in
  // cooldown, since a returning old active is most likely right after a failover, and even
  // while paused: two voters with one identity outrank an operator's pause (S1).
  const intruder = fenceTarget(state, observation);
  if (intruder !== null && state.holder !== null) {
    const held = setHold(state, null, at);
    const plan = createFencePlan({ node: intruder, holder: state.holder, timeouts: state.config.planTimeouts });
    const started = beginFailover(held.state, plan, { kind: 'fence', node: intruder, holder: state.holder }, at);
    return { state: started.state, effects: [...effects, ...held.effects, ...started.effects] };
  }

  const roles = rolesOf(state, observation);
  const records: JournalRecord[] = [];
  // A heartbeat read while a promotion ran shows the target mid-change, and may reach the
  // machine after that promotion was refused: the node never took the identity. Until the
  // change settles, nobody is announced, no hold ends and no failover starts.
  const seen = roles.kind === 'resolved' ? observation.nodes[roles.active] : null;
  const changing = seen?.reachable === true && isChangingRole(seen.status, state.config.stakedIdentityPubkey);
  // Only a holder seen claiming the identity is news; an unreachable one is active by
  // elimination and may not hold it at all.
  if (roles.kind === 'resolved' && seen?.reachable === true && !changing) {
    // Journaled, so that a manager started after this holder stepped down still knows a
    // holder existed and may recover a voter (`manager-recovery`).
    if (state.lastHolder !== roles.active)
      records.push({ kind: 'holder-seen', at, term: state.term, node: roles.active });
    if (roles.active !== state.active) {
      effects.push(
        state.active === null
          ? { kind: 'log', level: 'info', message: `${roles.active} holds the staked identity` }
          : notify({ type: 'activated', at, node: roles.active, previous: state.active }),
      );
    }
    state = { ...state, active: roles.active, lastHolder: roles.active };
  }
  if (state.status === 'cooldown' && at >= state.until) {
    effects.push({ kind: 'log', level: 'info', message: 'cooldown over; automatic failover armed again' });
    state = { ...state, status: 'monitoring' };
  }

  if (changing && roles.kind === 'resolved') {
    effects.push({
      kind: 'log',
      level: 'debug',
      message: `${roles.active} is changing its role; waiting for it to settle`,
    });
    return { state, effects };
  }

  const decision = whilePaused(state, decide(state, observation, roles));
  if (decision.kind === 'hold' || decision.kind === 'none') {
    const held = setHold(state, decision.kind === 'hold' ? decision.cause : null, at);
    if (decision.kind === 'hold' && decision.cause.kind === 'dry-run' && held.changed) {
      effects.push({
        kind: 'log',
        level: 'warn',
        message: `would fail over ${decision.cause.from} → ${decision.cause.to} (dry run)`,
        fields: { reason: decision.reason },
      });
    }
    return withRecords({ state: held.state, effects: [...effects, ...held.effects] }, records);
  }
  // A stale tower is retried every tick under the same hold: the retry is news only when
  // it succeeds, or when something else holds the failover.
  const retrying = state.hold?.kind === 'stale-tower';
  const held = retrying ? { state, effects: [] } : setHold(state, null, at);
  const plan =
    decision.kind === 'recover'
      ? createRecoveryPlan({
          node: decision.node,
          lastHolder: decision.reason.node,
          secureMode: state.config.secureMode,
          hooks: state.config.hooks,
          timeouts: state.config.planTimeouts,
        })
      : createFailoverPlan({
          ...decision,
          secureMode: state.config.secureMode,
          hooks: state.config.hooks,
          timeouts: state.config.planTimeouts,
        });
  const started = beginFailover(held.state, plan, decision.reason, at, retrying);
  return withRecords({ state: started.state, effects: [...effects, ...held.effects, ...started.effects] }, records);
}

/**
 * Adds records to the step's journal write: to the first one, which comes before any step is
 * run, or as a write of their own at the end.
 */
function withRecords(step: ManagerStep, records: readonly JournalRecord[]): ManagerStep {
  if (records.length === 0) return step;
  const index = step.effects.findIndex((e) => e.kind === 'journal');
  const first = step.effects[index];
  if (first?.kind !== 'journal') return { state: step.state, effects: [...step.effects, journal(records)] };
  const merged = journal([...records, ...first.records]);
  return { state: step.state, effects: [...step.effects.slice(0, index), merged, ...step.effects.slice(index + 1)] };
}

/**
 * The journal could not be written: the effects after the write were not executed. The run in
 * flight, if any, is abandoned and every later decision is a hold until the manager restarts.
 */
function onJournalFailed(
  state: ManagerState,
  detail: string,
  records: readonly JournalRecord[],
  at: number,
): ManagerStep {
  // A pause or resume whose record was not written is not in force: the journal, which a
  // restart reads, still holds the pause before it, and so does the status.
  const pauseLost = records.some((record) => record.kind === 'paused' || record.kind === 'resumed');
  const failed: ManagerState = {
    ...state,
    journalFailure: detail,
    ...(pauseLost ? { pause: state.pauseBefore } : {}),
  };
  const ended = failed.status === 'failing-over' ? abandonRun(failed, failed.failover, detail, at) : null;
  const held = setHold(ended?.state ?? failed, { kind: 'journal-unwritable', detail }, at);
  return {
    state: held.state,
    effects: [
      {
        kind: 'log',
        level: 'error',
        message: `the journal could not be written: ${detail}; nothing is acted on until the manager is restarted`,
      },
      ...(ended?.effects ?? []),
      ...held.effects,
    ],
  };
}

/**
 * The node to fence: not the recorded holder, reachable, and claiming the identity. Never in
 * dry run, where the manager executes nothing and two claimants stay a `both-active` hold.
 */
function fenceTarget(state: ManagerState, observation: Observation): NodeId | null {
  if (state.holder === null || state.config.dryRun) return null;
  const other = otherNode(state.holder);
  const seen = observation.nodes[other];
  return seen.reachable && mayHoldIdentity(seen.status, state.config.stakedIdentityPubkey) ? other : null;
}

function rolesOf(state: ManagerState, observation: Observation): RoleResolution {
  return resolveRoles({
    observation,
    lastKnownActive: state.active,
    stakedIdentityPubkey: state.config.stakedIdentityPubkey,
    gossipMaxAgeMs: state.config.gossipMaxAgeMs,
  });
}

/**
 * While paused, a failover or a recovery the gates would start, or a dry run would report, is a
 * hold with the pause as its cause. Other holds keep their own cause: they say what would stop a
 * failover with or without the pause.
 */
function whilePaused(state: ManagerState, decision: Decision): Decision {
  if (state.pause === null) return decision;
  if (decision.kind === 'failover' || decision.kind === 'recover')
    return { kind: 'hold', cause: pausedCause(state.pause), reason: decision.reason };
  if (decision.kind === 'hold' && decision.cause.kind === 'dry-run')
    return { kind: 'hold', cause: pausedCause(state.pause), reason: decision.reason };
  return decision;
}

/** The gates of DESIGN §2, in order; the first that fails names the cause. */
function decide(state: ManagerState, observation: Observation, roles: RoleResolution): Decision {
  if (roles.kind === 'conflict')
    return roles.cause.kind === 'no-active'
      ? decideRecovery(state, observation)
      : { kind: 'hold', cause: roles.cause, reason: null };
  if (roles.kind === 'unknown') return { kind: 'none' };
  const { active, passive } = roles;
  const track = state.nodes[active];
  // Without a vote account nothing is ever promoted: held from the first tick, so the alert
  // and the status say so before a failover is needed.
  const standing = state.config.voteAccountConfigured ? null : towerFloorGate(state.config, observation, passive);
  // A validator exit its agent saw, confirmed by this check, needs no further misses: a process
  // that is gone votes no more, and waiting for misses would only add detection time. A process
  // that runs again by now (a restart) or an agent that does not report exits is counted as usual.
  if (track.misses < state.config.missesBeforeFailover && !exitConfirmed(track))
    return standing === null ? { kind: 'none' } : { kind: 'hold', cause: standing, reason: null };
  const reason: FailoverReason = {
    kind: 'unhealthy',
    node: active,
    misses: track.misses,
    reasons: track.health?.reasons ?? [],
  };
  const graceEnds = state.startedAt + state.config.startupGracePeriodMs;
  if (observation.at < graceEnds) return { kind: 'hold', cause: { kind: 'startup-grace', until: graceEnds }, reason };
  if (state.status === 'cooldown') return { kind: 'hold', cause: { kind: 'cooldown', until: state.until }, reason };
  // Under Alpenglow a standstill or an excluded vote account stalls every node alike: no
  // failover fixes either, and a promotion on them would flap.
  const veto = alpenglowVeto(observation);
  if (veto !== null) return { kind: 'hold', cause: veto, reason };
  const gate = gatePromotion(state, observation, active, passive);
  if (gate !== null) return { kind: 'hold', cause: gate, reason };
  if (state.config.dryRun) return { kind: 'hold', cause: { kind: 'dry-run', from: active, to: passive }, reason };
  return { kind: 'failover', from: active, to: passive, fromReachable: observation.nodes[active].reachable, reason };
}

/** The last check found the validator process down, and its agent had seen it exit. */
function exitConfirmed(track: NodeTrack): boolean {
  return (
    track.health?.reasons.some((reason) => reason.kind === 'process-down' && reason.exitedAt !== undefined) === true
  );
}

/**
 * The gates every promotion passes, automatic or requested: the target is reachable and
 * healthy now, an unreachable old active is proven to have stopped voting, and outside dry run
 * the vote account gives the tower floor. Under Alpenglow the target must be on the cluster's
 * Alpenglow genesis, and the phase may veto the vote proof (`phase-evidence.ts`).
 */
function gatePromotion(state: ManagerState, observation: Observation, from: NodeId, to: NodeId): BlockCause | null {
  const target = observation.nodes[to];
  if (!target.reachable) return { kind: 'passive-unreachable', node: to, detail: `${target.reason}: ${target.detail}` };
  const health = state.nodes[to].health;
  if (health === null || !health.healthy)
    return { kind: 'passive-unhealthy', node: to, reasons: health?.reasons ?? [] };
  const eligibility = promotionEligibility(observation, to);
  if (eligibility !== null) return eligibility;
  if (!observation.nodes[from].reachable) {
    const proof = proveStoppedVoting(observation, from, state.config.voteProof);
    if (!proof.proven) return proof.cause;
  }
  return towerFloorGate(state.config, observation, to);
}

function beginFailover(
  state: ManagerState,
  plan: FailoverPlan,
  reason: FailoverReason,
  at: number,
  quiet = false,
): ManagerStep {
  const started = startSequence(plan.steps);
  const head: ManagerEffect[] =
    plan.kind === 'fence'
      ? [
          {
            kind: 'log',
            level: 'error',
            message: `${plan.from} claims the staked identity that ${plan.to} holds; demoting ${plan.from} (fence)`,
          },
          notify({ type: 'fence-started', at, node: plan.from, holder: plan.to }),
        ]
      : quiet
        ? [
            {
              kind: 'log',
              level: 'info',
              message: `retrying failover ${plan.from} → ${plan.to} held by a stale tower`,
              fields: { reason },
            },
          ]
        : [
            { kind: 'log', level: 'warn', message: startedMessage(plan, reason), fields: { reason } },
            notify({ type: 'failover-started', at, from: plan.from, to: plan.to, reason }),
          ];
  const id = state.runs + 1;
  head.push({ kind: 'failover', plan, reason, run: id, term: state.term });
  const info: RunInfo = {
    id,
    plan,
    reason,
    startedAt: at,
    resumeCooldownUntil: state.status === 'cooldown' ? state.until : null,
  };
  const begun: JournalRecord = {
    kind: 'run-started',
    run: id,
    at,
    term: state.term,
    plan: journaledPlan(plan),
    reason,
  };
  if (started.kind === 'done')
    return finishFailover({ ...state, runs: id }, info, at, [], started.result, head, [begun]);
  const token = state.token + 1;
  const failover: FailoverRun = { ...info, run: started.run, token, stepStartedAt: at, timings: [] };
  return {
    state: { ...state, status: 'failing-over', failover, token, runs: id },
    effects: [...head, ...startStep(state, id, token, started.run, at, [begun])],
  };
}

function startedMessage(plan: FailoverPlan, reason: FailoverReason): string {
  if (reason.kind !== 'no-voter') return `failover ${plan.from} → ${plan.to} started`;
  return `nobody was voting: ${reason.node} stepped down on its own, both nodes passive for ${reason.ticks} heartbeats; promoting ${plan.to} (recovery)`;
}

function onStepResult(
  state: ManagerState,
  token: number,
  result: StepResult,
  at: number,
  refusal: StepRefusal | undefined,
): ManagerStep {
  if (state.status !== 'failing-over' || token !== state.failover.token) {
    return {
      state,
      effects: [
        {
          kind: 'log',
          level: 'warn',
          message: 'ignored a step result that belongs to no running step',
          fields: { token },
        },
      ],
    };
  }
  const { failover } = state;
  const { run, plan } = failover;
  const effects: ManagerEffect[] = [];
  const finished: JournalRecord = {
    kind: 'step-finished',
    run: failover.id,
    at,
    term: state.term,
    ok: result.ok,
    detail: result.ok ? null : result.detail,
  };
  if (!result.ok) {
    effects.push({
      kind: 'log',
      level: 'warn',
      message: `${describeAction(run.current.action)} failed (attempt ${run.attempt} of ${run.current.attempts})`,
      fields: { detail: result.detail },
    });
  }
  const action = run.current.action;
  // Past an unreachable old active, or while nobody holds the identity, a refused stale tower
  // is a hold, not a failure: nothing changed hands, nobody else can vote, and a later backup
  // may carry the missing votes. A promotion without a floor was never sent: it holds too, in
  // every plan, since a rollback would need the same floor it lacks.
  if (
    !result.ok &&
    refusal !== undefined &&
    refusal.kind !== 'hook-refused' &&
    (!plan.fromReachable || plan.kind === 'recovery' || refusal.kind === 'no-tower-floor') &&
    !run.compensating &&
    (action.kind === 'promote' || action.kind === 'restore-tower')
  ) {
    const timing: StepTiming = {
      step: describeAction(action),
      ms: at - failover.stepStartedAt,
      attempts: run.attempt,
      ok: false,
      compensating: false,
    };
    const cause: BlockCause =
      refusal.kind === 'stale-tower'
        ? {
            kind: 'stale-tower',
            node: action.node,
            ...(refusal.file === undefined ? {} : { file: refusal.file }),
            towerSlot: refusal.towerSlot,
            lastVote: refusal.lastVote,
          }
        : { kind: 'no-tower-floor', node: action.node, detail: refusal.detail };
    return holdFailover(state, failover, cause, result.detail, [...failover.timings, timing], at, effects, [finished]);
  }
  // An unknown guard is refused: a compensation nobody can vouch for is not run.
  const allows = (guard: string): boolean =>
    guard === OLD_ACTIVE_HEALTHY && state.nodes[plan.from].health?.healthy === true;
  // A hook's veto is the operator's answer, not a transient failure: asking again would run the
  // hook again for the same answer.
  const vetoed = !result.ok && refusal?.kind === 'hook-refused';
  const next = advanceSequence(vetoed ? { ...run, attempt: run.current.attempts } : run, result, allows);
  const retrying = next.kind === 'run' && next.run.current === run.current && next.run.attempt === run.attempt + 1;
  const timings = retrying
    ? failover.timings
    : [
        ...failover.timings,
        {
          step: describeAction(run.current.action),
          ms: at - failover.stepStartedAt,
          attempts: run.attempt,
          ok: result.ok,
          compensating: run.compensating,
        },
      ];
  if (next.kind === 'done') {
    return finishFailover(state, failover, at, timings, next.result, effects, [finished]);
  }
  const nextToken = state.token + 1;
  const updated: FailoverRun = {
    ...failover,
    run: next.run,
    token: nextToken,
    stepStartedAt: retrying ? failover.stepStartedAt : at,
    timings,
  };
  return {
    state: { ...state, failover: updated, token: nextToken },
    effects: [...effects, ...startStep(state, failover.id, nextToken, next.run, at, [finished])],
  };
}

function onSwitchover(
  state: ManagerState,
  event: Extract<ManagerEvent, { type: 'switchover-requested' }>,
): ManagerStep {
  const refuse = (refusal: SwitchoverRefusal): ManagerStep => ({
    state,
    effects: [
      {
        kind: 'log',
        level: 'warn',
        message: `switchover refused: ${refusal.kind}`,
        fields: { requestId: event.requestId, refusal },
      },
      { kind: 'switchover-answer', requestId: event.requestId, answer: { accepted: false, refusal } },
    ],
  });
  if (state.journalFailure !== null) return refuse({ kind: 'journal-unwritable', detail: state.journalFailure });
  if (state.status === 'failing-over' || state.interrupted !== null) return refuse({ kind: 'busy' });
  // While paused only an operator who names the node moves the identity: "switch over" alone
  // could be a habit from before the maintenance began.
  if (state.pause !== null && event.to === null) return refuse({ kind: 'paused-needs-to' });
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
  // With nobody holding the identity there is nothing to demote and no final backup to take:
  // the named node is promoted as in a recovery, whose undo takes the identity off it again
  // and never hands it to the node the operator did not name.
  const plan =
    roles.kind === 'resolved'
      ? createFailoverPlan({
          from,
          to,
          fromReachable: observation.nodes[from].reachable,
          secureMode: state.config.secureMode,
          hooks: state.config.hooks,
          timeouts: state.config.planTimeouts,
        })
      : createRecoveryPlan({
          node: to,
          lastHolder: state.lastHolder ?? from,
          secureMode: state.config.secureMode,
          hooks: state.config.hooks,
          timeouts: state.config.planTimeouts,
        });
  const held = setHold(state, null, event.at);
  const started = beginFailover(held.state, plan, { kind: 'switchover', text: event.reason }, event.at);
  const answer: ManagerEffect = {
    kind: 'switchover-answer',
    requestId: event.requestId,
    answer: { accepted: true, plan },
  };
  return { state: started.state, effects: [answer, ...held.effects, ...started.effects] };
}
