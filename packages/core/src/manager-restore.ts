/**
 * A manager that starts again reads its journal (`manager-journal`) and decides what to do with
 * it: who holds the identity, whether the last run's cooldown still holds, and what becomes of
 * the plan it stopped in the middle of. Rules, in order:
 *
 * 1. The holder this manager gave the identity to, and the node last seen holding it, are taken
 *    from the journal: a fence stays licensed, and a pair whose holder stepped down while the
 *    manager was away is recovered (`manager-recovery`) instead of held as "never had one". An
 *    operator's pause is taken from it too: a restart or a new leader does not end maintenance.
 * 2. The plan in flight is rebuilt from its journaled inputs and its journaled step results are
 *    replayed through the step sequencer; at the first heartbeat it is taken up where it
 *    stopped. A step the manager did not see end is run again: every step is idempotent (an
 *    agent answers a role it already has at once, and a busy one is waited out).
 * 3. A step that would give a node the identity is not taken up while the other node is seen
 *    claiming it: that step counts as finally failed and the plan compensates as on any failure
 *    (the promotion is taken off again, the old active handed back only if it is healthy). A
 *    switchover's steps before its first change are taken up while the old active still holds it.
 * 4. A compensation whose guard no longer holds ends the plan as failed, as the sequencer does.
 * 5. The plan is closed without acting — failed when a step of it was executed, else aborted —
 *    when the journal does not replay against it, when dry run is on, or when it was taken up
 *    {@link MAX_RUN_RESUMES} times already.
 */
import type { StepTiming } from './events';
import type { FailoverAction, FailoverPlan } from './failover-plan';
import {
  OLD_ACTIVE_HEALTHY,
  createFailoverPlan,
  createFencePlan,
  createRecoveryPlan,
  describeAction,
} from './failover-plan';
import type { ManagerMachineConfig } from './manager-config';
import type { JournaledPlan, JournaledStep, JournalRecord, ManagerJournalState } from './manager-journal';
import { nextRunId, openRun } from './manager-journal';
import { finishFailover, notify, startStep } from './manager-outcomes';
import { mayHoldIdentity } from './manager-roles';
import type { FailoverRun, ManagerEffect, ManagerState, ManagerStep, RunInfo } from './manager-state';
import type { PlanStep, SequenceOutcome, SequenceRun, StepResult } from './step-sequence';
import { advanceSequence, startSequence } from './step-sequence';
import type { NodeId, Observation } from './types';
import { otherNode } from './types';

/**
 * A plan is taken up at most this many times: a manager that keeps stopping in the same plan
 * (a step that crashes it) must end in a known state rather than loop.
 */
export const MAX_RUN_RESUMES = 3;

/** What a manager finds at start. */
export interface ManagerRestore {
  /** The term it runs in. */
  readonly term: number;
  /** What its journal holds. */
  readonly journal: ManagerJournalState;
}

/**
 * Folds the journal into a freshly created state (rule 1 and the plan to take up). The
 * cooldown of the last failover carries over, so a restart does not re-arm a flapping pair.
 */
export function restoreManagerState(state: ManagerState, restore: ManagerRestore): ManagerStep {
  const { journal, term } = restore;
  const holder = journal.holder?.node ?? null;
  const lastHolder = journal.lastHolder?.node ?? null;
  const interrupted = openRun(journal) ?? null;
  const restored: ManagerState = {
    ...state,
    term,
    runs: nextRunId(journal) - 1,
    holder,
    lastHolder,
    active: state.active ?? lastHolder,
    interrupted,
    pause: journal.pause,
    pauseBefore: journal.pause,
  };
  const effects: ManagerEffect[] = [
    {
      kind: 'log',
      level: 'info',
      message:
        holder === null
          ? `journal: no holder recorded${lastHolder === null ? '' : `; ${lastHolder} was last seen holding the identity`}`
          : `journal: ${holder} holds the staked identity, given in term ${journal.holder?.term ?? 0}`,
      fields: { term, runs: journal.runs.length },
    },
  ];
  if (journal.pause !== null) {
    const { pause } = journal;
    effects.push({
      kind: 'log',
      level: 'warn',
      message: `journal: paused since ${new Date(pause.at).toISOString()} (${pause.reason}), ${pause.until === null ? 'until resumed' : `until ${new Date(pause.until).toISOString()}`}; no automatic failover or recovery`,
      fields: { pausedInTerm: pause.term },
    });
  }
  if (interrupted !== null) {
    effects.push({
      kind: 'log',
      level: 'warn',
      message: `journal: ${interrupted.plan.kind} ${interrupted.plan.from} → ${interrupted.plan.to} (run ${interrupted.id}) was interrupted; it is taken up at the first heartbeat`,
    });
    return { state: restored, effects };
  }
  const last = journal.runs[journal.runs.length - 1];
  // A fence and a stale-tower hold leave no cooldown behind them, as in `manager-outcomes`.
  const end = last?.plan.kind === 'fence' || last?.end?.outcome === 'held' ? null : (last?.end ?? null);
  const until = end === null ? 0 : end.at + state.config.cooldownMs;
  if (until > state.startedAt) return { state: { ...restored, status: 'cooldown', until }, effects };
  return { state: restored, effects };
}

/** Where the journal left the plan. */
type Replay =
  | { readonly kind: 'at'; readonly run: SequenceRun<FailoverAction>; readonly inFlight: boolean }
  | { readonly kind: 'done'; readonly result: SequenceOutcome<FailoverAction> }
  | { readonly kind: 'diverged'; readonly detail: string };

/**
 * Takes up the interrupted plan at the first heartbeat after start (rules 2–5). The state must
 * hold one (`interrupted`); the tick's tracking is already folded in.
 */
export function resumeInterrupted(state: ManagerState, observation: Observation): ManagerStep {
  const journaled = state.interrupted;
  const base: ManagerState = { ...state, interrupted: null };
  if (journaled === null) return { state: base, effects: [] };
  const at = observation.at;
  const plan = rebuildPlan(journaled.plan, state.config);
  const info: RunInfo = {
    id: journaled.id,
    plan,
    reason: journaled.reason,
    startedAt: journaled.startedAt,
    resumeCooldownUntil: null,
  };
  const timings = timingsOf(journaled.steps);
  const records: JournalRecord[] = [{ kind: 'run-resumed', run: journaled.id, at, term: state.term }];
  const replayed = replay(plan, journaled.steps);
  const close = (detail: string): ManagerStep =>
    closeUnresumed(base, info, at, timings, journaled.steps, replayed, detail, records);

  if (replayed.kind === 'diverged') return close(`the journal does not replay against the plan: ${replayed.detail}`);
  if (replayed.kind === 'done') return finishFailover(base, info, at, timings, replayed.result, [], records);
  if (state.config.dryRun) return close('dry run is on, and a dry-run manager executes nothing');
  if (journaled.resumes.length >= MAX_RUN_RESUMES)
    return close(
      `the manager stopped during this plan ${journaled.resumes.length + 1} times; it is not taken up again`,
    );

  const { run, inFlight } = replayed;
  const demotedAt: Partial<Record<NodeId, number>> = {};
  for (const step of journaled.steps) if (step.action.kind === 'demote') demotedAt[step.action.node] = step.startedAt;
  const label = describeAction(run.current.action);
  const allows = (guard: string): boolean =>
    guard === OLD_ACTIVE_HEALTHY && state.nodes[plan.from].health?.healthy === true;
  const failed = (detail: string): JournalRecord[] =>
    finishedRecords(state, journaled.id, run, inFlight, at, { ok: false, detail });

  const guard = run.current.guard;
  if (run.compensating && guard !== undefined && !allows(guard) && run.failure !== null) {
    const detail = `not attempted: ${guard} does not hold`;
    const result: SequenceOutcome<FailoverAction> = {
      outcome: 'failed',
      failure: run.failure,
      compensation: { step: run.current, detail },
      warnings: run.warnings,
    };
    return finishFailover(base, info, at, timings, result, [], [...records, ...failed(detail)]);
  }

  const claimant = conflictingClaimant(plan, run, observation, state.config.stakedIdentityPubkey);
  if (claimant !== null) {
    const detail = `${claimant} claims the staked identity; ${label} is not taken up (S1)`;
    const next = advanceSequence({ ...run, attempt: run.current.attempts }, { ok: false, detail }, allows);
    const timing: StepTiming = {
      step: label,
      ms: at - stepStartedAt(journaled.steps, run, at),
      attempts: run.attempt,
      ok: false,
      compensating: run.compensating,
    };
    const log: ManagerEffect = { kind: 'log', level: 'error', message: `resuming run ${journaled.id}: ${detail}` };
    if (next.kind === 'done')
      return finishFailover(base, info, at, [...timings, timing], next.result, [log], [...records, ...failed(detail)]);
    const taken = { run: next.run, startedAt: at, timings: [...timings, timing], term: journaled.term, demotedAt };
    return takeUp(base, info, taken, at, [log], [...records, ...failed(detail)]);
  }
  const taken = { run, startedAt: stepStartedAt(journaled.steps, run, at), timings, term: journaled.term, demotedAt };
  return takeUp(base, info, taken, at, [], records);
}

/** Where a plan is taken up: its run, when its current step began, its timings so far, the term that began it, and when its demotions were sent. */
interface TakenUp {
  readonly run: SequenceRun<FailoverAction>;
  readonly startedAt: number;
  readonly timings: readonly StepTiming[];
  readonly term: number;
  readonly demotedAt: Partial<Record<NodeId, number>>;
}

/** Runs `run`'s current step as the plan's next, and says the plan was taken up. */
function takeUp(
  state: ManagerState,
  info: RunInfo,
  taken: TakenUp,
  at: number,
  effects: readonly ManagerEffect[],
  records: readonly JournalRecord[],
): ManagerStep {
  const { plan, reason } = info;
  const { run, term } = taken;
  const step = describeAction(run.current.action);
  const token = state.token + 1;
  const failover: FailoverRun = { ...info, run, token, stepStartedAt: taken.startedAt, timings: taken.timings };
  return {
    state: { ...state, status: 'failing-over', failover, token },
    effects: [
      ...effects,
      {
        kind: 'log',
        level: 'warn',
        message: `resuming ${plan.kind} ${plan.from} → ${plan.to} (run ${info.id}) at ${run.compensating ? 'undo: ' : ''}${step}`,
      },
      notify({
        type: 'failover-resumed',
        at,
        plan: plan.kind,
        from: plan.from,
        to: plan.to,
        reason,
        step,
        startedAt: info.startedAt,
        term,
      }),
      { kind: 'failover', plan, reason, run: info.id, term: state.term, demotedAt: taken.demotedAt },
      ...startStep(state, info.id, token, run, at, records),
    ],
  };
}

/** Rule 5: ends the plan without acting. */
function closeUnresumed(
  state: ManagerState,
  info: RunInfo,
  at: number,
  timings: readonly StepTiming[],
  steps: readonly JournaledStep[],
  replayed: Replay,
  detail: string,
  records: readonly JournalRecord[],
): ManagerStep {
  const journaledAction = steps[steps.length - 1]?.action ?? info.plan.steps[0]?.action;
  const step: PlanStep<FailoverAction> =
    replayed.kind === 'at'
      ? replayed.run.current
      : { action: journaledAction ?? { kind: 'verify-demotion', node: info.plan.from }, ...AS_JOURNALED };
  const failure = { step, detail: `the manager stopped during this plan and did not take it up: ${detail}` };
  const result: SequenceOutcome<FailoverAction> =
    steps.length === 0
      ? { outcome: 'aborted', failure, warnings: [] }
      : { outcome: 'failed', failure, compensation: { step, detail: 'not attempted' }, warnings: [] };
  const effects: ManagerEffect[] = [{ kind: 'log', level: 'error', message: `run ${info.id} not taken up: ${detail}` }];
  return finishFailover(state, info, at, timings, result, effects, records);
}

/** A step known only from the journal, named in a notification. */
const AS_JOURNALED = { attempts: 1, timeoutMs: 0, onFailure: 'stop', why: 'as journaled' } as const;

/** The plan built from its journaled inputs (its hooks among them), with the time limits in force now. */
export function rebuildPlan(plan: JournaledPlan, config: ManagerMachineConfig): FailoverPlan {
  const timeouts = config.planTimeouts;
  switch (plan.kind) {
    case 'fence':
      return createFencePlan({ node: plan.from, holder: plan.to, timeouts });
    case 'recovery':
      return createRecoveryPlan({
        node: plan.to,
        lastHolder: plan.from,
        secureMode: plan.secureMode,
        hooks: plan.hooks,
        timeouts,
      });
    case 'switchover':
      return createFailoverPlan({ ...plan, timeouts });
  }
}

/**
 * Replays the journaled attempts through the sequencer. An attempt the manager did not see end
 * and that a later record follows was interrupted and run again by a resume; a failed attempt
 * followed by another step was final (a resume that found the step's target contested).
 */
function replay(plan: FailoverPlan, steps: readonly JournaledStep[]): Replay {
  let next = startSequence(plan.steps);
  for (const [index, step] of steps.entries()) {
    if (next.kind === 'done') return { kind: 'diverged', detail: `${describeAction(step.action)} follows the end` };
    const run = next.run;
    if (!sameStep(run, step)) {
      return {
        kind: 'diverged',
        detail: `journaled ${describeAction(step.action)} (attempt ${step.attempt}${step.compensating ? ', undoing' : ''}) where the plan runs ${describeAction(run.current.action)} (attempt ${run.attempt}${run.compensating ? ', undoing' : ''})`,
      };
    }
    const following = steps[index + 1];
    if (step.finished === null) {
      if (following === undefined) return { kind: 'at', run, inFlight: true };
      continue;
    }
    const result: StepResult = step.finished.ok ? { ok: true } : { ok: false, detail: step.finished.detail ?? '' };
    const retried =
      following !== undefined &&
      following.compensating === step.compensating &&
      sameAction(following.action, step.action);
    const final = !result.ok && following !== undefined && !retried;
    next = advanceSequence(final ? { ...run, attempt: run.current.attempts } : run, result, () => true);
  }
  return next.kind === 'done' ? { kind: 'done', result: next.result } : { kind: 'at', run: next.run, inFlight: false };
}

function sameStep(run: SequenceRun<FailoverAction>, step: JournaledStep): boolean {
  return (
    sameAction(run.current.action, step.action) &&
    run.compensating === step.compensating &&
    run.attempt === step.attempt
  );
}

function sameAction(a: FailoverAction, b: FailoverAction): boolean {
  return describeAction(a) === describeAction(b) && a.kind === b.kind;
}

/**
 * Rule 3: the node seen claiming the identity that the current step's plan must not find
 * holding it, or null. Forward, that is the node other than the target, except in the steps
 * that take the identity off it; in a compensation, the node other than the one being handed
 * the identity back.
 */
function conflictingClaimant(
  plan: FailoverPlan,
  run: SequenceRun<FailoverAction>,
  observation: Observation,
  stakedIdentityPubkey: string | null,
): NodeId | null {
  const action = run.current.action;
  let rival: NodeId | null;
  if (run.compensating) {
    rival = action.kind === 'promote' || action.kind === 'verify-voting' ? otherNode(action.node) : null;
  } else if (plan.kind === 'fence') {
    rival = null;
  } else {
    const other = otherNode(plan.to);
    const takesItOff = (action.kind === 'demote' || action.kind === 'verify-demotion') && action.node === other;
    rival = takesItOff || beforeAnyChange(plan, action) ? null : other;
  }
  if (rival === null) return null;
  const seen = observation.nodes[rival];
  return seen.reachable && mayHoldIdentity(seen.status, stakedIdentityPubkey) ? rival : null;
}

/**
 * A switchover's steps before its first change (the new node's `check_promote`, the manager's
 * `pre_failover` hook): the old active still holds the identity there by design, and the steps
 * after them take it off (the demotion) or prove it stopped (the proof), so they are taken up.
 */
function beforeAnyChange(plan: FailoverPlan, action: FailoverAction): boolean {
  if (plan.kind !== 'switchover') return false;
  return action.kind === 'check-promote' || (action.kind === 'hook' && action.hook === 'pre_failover');
}

/** The records that end the current attempt: it was in flight, or it is taken up and ended at once. */
function finishedRecords(
  state: ManagerState,
  run: number,
  sequence: SequenceRun<FailoverAction>,
  inFlight: boolean,
  at: number,
  result: StepResult,
): JournalRecord[] {
  const finished: JournalRecord = {
    kind: 'step-finished',
    run,
    at,
    term: state.term,
    ok: result.ok,
    detail: result.ok ? null : result.detail,
  };
  if (inFlight) return [finished];
  return [
    {
      kind: 'step-started',
      run,
      at,
      term: state.term,
      action: sequence.current.action,
      attempt: sequence.attempt,
      compensating: sequence.compensating,
    },
    finished,
  ];
}

/** Consecutive attempts of one step, as the notifications time them; the step in flight is not one yet. */
function timingsOf(steps: readonly JournaledStep[]): StepTiming[] {
  const timings: StepTiming[] = [];
  for (const group of groupAttempts(steps)) {
    const first = group[0];
    const last = group[group.length - 1];
    if (first === undefined || last === undefined || last.finished === null) continue;
    timings.push({
      step: describeAction(first.action),
      ms: last.finished.at - first.startedAt,
      attempts: last.attempt,
      ok: last.finished.ok,
      compensating: first.compensating,
    });
  }
  return timings;
}

/** When the first attempt of the step in progress started; `at` when it has not started. */
function stepStartedAt(steps: readonly JournaledStep[], run: SequenceRun<FailoverAction>, at: number): number {
  const groups = groupAttempts(steps);
  const last = groups[groups.length - 1];
  const first = last?.[0];
  const ongoing = last?.[last.length - 1]?.finished === null;
  return first !== undefined && ongoing && sameAction(first.action, run.current.action) ? first.startedAt : at;
}

function groupAttempts(steps: readonly JournaledStep[]): JournaledStep[][] {
  const groups: JournaledStep[][] = [];
  for (const step of steps) {
    const group = groups[groups.length - 1];
    const head = group?.[0];
    if (
      group !== undefined &&
      head !== undefined &&
      head.compensating === step.compensating &&
      sameAction(head.action, step.action)
    ) {
      group.push(step);
    } else {
      groups.push([step]);
    }
  }
  return groups;
}
