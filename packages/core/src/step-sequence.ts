/**
 * A pure runner for an ordered list of steps with retries, fallbacks and compensations (a
 * saga). The manager's failover plan and the agent's role changes are both such lists; this
 * module decides, from each step's result, what runs next. It never runs anything itself.
 *
 * Rules, in order, when a step's result arrives:
 * 1. ok → the next step (forward), or the next compensation.
 * 2. failed with attempts left → the same step again.
 * 3. failed, no attempts left, a `fallback` → the fallback step in its place.
 * 4. failed, no attempts left, `onFailure: 'continue'` → a warning, then the next step.
 * 5. failed, no attempts left, `onFailure: 'stop'` → compensate: the `undo` steps of every
 *    completed step, latest first (and of the failed step itself when `undoIfFailed`).
 * A compensation that fails, or whose `guard` the caller refuses, ends the run as `failed`:
 * a half-state nobody may paper over.
 */

/** One step and what its failure does. `A` is the caller's action type. */
export interface PlanStep<A> {
  /** What to do; plain data the app executes. */
  readonly action: A;
  /** Total attempts before the step counts as failed (at least 1). */
  readonly attempts: number;
  /** How long the executor lets one attempt run before reporting it failed. */
  readonly timeoutMs: number;
  /** What a final failure does to the rest of the run. */
  readonly onFailure: 'stop' | 'continue';
  /** A step tried in this one's place once its attempts are used up. */
  readonly fallback?: PlanStep<A>;
  /** Steps that undo this one, run when a later step stops the run. */
  readonly undo?: readonly PlanStep<A>[];
  /** Also undo this step when it is the one that failed (it may have half-happened). */
  readonly undoIfFailed?: boolean;
  /** A named condition the caller checks before running this step as a compensation. */
  readonly guard?: string;
  /** Why the step exists and why its failure is handled so; printed into the docs. */
  readonly why: string;
}

/** Where a run is. */
export interface SequenceRun<A> {
  /** The forward steps. */
  readonly steps: readonly PlanStep<A>[];
  /** Index of the forward step in progress, or `steps.length` once forward is done. */
  readonly index: number;
  /** The step in progress (a forward, fallback or compensation step). */
  readonly current: PlanStep<A>;
  /** The attempt of `current` in progress, from 1. */
  readonly attempt: number;
  /** Whether `current` is a compensation. */
  readonly compensating: boolean;
  /** Compensations still to run after `current`, in order. */
  readonly pendingUndo: readonly PlanStep<A>[];
  /** Forward steps finished (ok or continued past), for compensation. */
  readonly completed: readonly PlanStep<A>[];
  /** Failures continued past. */
  readonly warnings: readonly StepFailure<A>[];
  /** The failure that started compensation, if any. */
  readonly failure: StepFailure<A> | null;
}

/** A step that finally failed, with the executor's explanation. */
export interface StepFailure<A> {
  /** The step. */
  readonly step: PlanStep<A>;
  /** What went wrong, as the executor reported it. */
  readonly detail: string;
}

/** A step's result as the executor reports it. */
export type StepResult = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** How a run ended. */
export type SequenceOutcome<A> =
  | { readonly outcome: 'completed'; readonly warnings: readonly StepFailure<A>[] }
  /** Stopped with nothing to undo: nothing changed hands as far as the steps know. */
  | { readonly outcome: 'aborted'; readonly failure: StepFailure<A>; readonly warnings: readonly StepFailure<A>[] }
  /** Stopped, and every compensation succeeded. */
  | { readonly outcome: 'rolled-back'; readonly failure: StepFailure<A>; readonly warnings: readonly StepFailure<A>[] }
  /** Stopped, and a compensation failed or its guard was refused: a half-state. */
  | {
      readonly outcome: 'failed';
      readonly failure: StepFailure<A>;
      readonly compensation: StepFailure<A>;
      readonly warnings: readonly StepFailure<A>[];
    };

/** What the caller does next. */
export type SequenceNext<A> =
  | { readonly kind: 'run'; readonly run: SequenceRun<A> }
  | { readonly kind: 'done'; readonly result: SequenceOutcome<A> };

/** Starts a run at its first step; an empty list is completed at once. */
export function startSequence<A>(steps: readonly PlanStep<A>[]): SequenceNext<A> {
  const first = steps[0];
  if (first === undefined) return { kind: 'done', result: { outcome: 'completed', warnings: [] } };
  return {
    kind: 'run',
    run: {
      steps,
      index: 0,
      current: first,
      attempt: 1,
      compensating: false,
      pendingUndo: [],
      completed: [],
      warnings: [],
      failure: null,
    },
  };
}

/**
 * Folds the result of the step in progress into the run. `allows(guard)` answers a
 * compensation's guard; the default allows everything.
 */
export function advanceSequence<A>(
  run: SequenceRun<A>,
  result: StepResult,
  allows: (guard: string) => boolean = () => true,
): SequenceNext<A> {
  if (result.ok) {
    return run.compensating && run.failure !== null
      ? nextCompensation(run, run.failure, run.pendingUndo, allows)
      : nextForward({ ...run, completed: [...run.completed, run.current] });
  }
  if (run.attempt < run.current.attempts) {
    return { kind: 'run', run: { ...run, attempt: run.attempt + 1 } };
  }
  if (run.compensating && run.failure !== null) {
    return done({
      outcome: 'failed',
      failure: run.failure,
      compensation: { step: run.current, detail: result.detail },
      warnings: run.warnings,
    });
  }
  const fallback = run.current.fallback;
  if (fallback !== undefined) {
    return { kind: 'run', run: { ...run, current: fallback, attempt: 1 } };
  }
  if (run.current.onFailure === 'continue') {
    return nextForward({
      ...run,
      completed: [...run.completed, run.current],
      warnings: [...run.warnings, { step: run.current, detail: result.detail }],
    });
  }
  const failure = { step: run.current, detail: result.detail };
  const undoSelf = run.current.undoIfFailed === true ? (run.current.undo ?? []) : [];
  const undo = [...undoSelf, ...[...run.completed].reverse().flatMap((step) => step.undo ?? [])];
  if (undo.length === 0) {
    return done({ outcome: 'aborted', failure, warnings: run.warnings });
  }
  return nextCompensation({ ...run, failure }, failure, undo, allows);
}

function nextForward<A>(run: SequenceRun<A>): SequenceNext<A> {
  const index = run.index + 1;
  const step = run.steps[index];
  if (step === undefined) return done({ outcome: 'completed', warnings: run.warnings });
  return { kind: 'run', run: { ...run, index, current: step, attempt: 1 } };
}

function nextCompensation<A>(
  run: SequenceRun<A>,
  failure: StepFailure<A>,
  queue: readonly PlanStep<A>[],
  allows: (guard: string) => boolean,
): SequenceNext<A> {
  const [step, ...rest] = queue;
  if (step === undefined) {
    return done({ outcome: 'rolled-back', failure, warnings: run.warnings });
  }
  if (step.guard !== undefined && !allows(step.guard)) {
    return done({
      outcome: 'failed',
      failure,
      compensation: { step, detail: `not attempted: ${step.guard} does not hold` },
      warnings: run.warnings,
    });
  }
  return { kind: 'run', run: { ...run, current: step, attempt: 1, compensating: true, pendingUndo: rest } };
}

function done<A>(result: SequenceOutcome<A>): SequenceNext<A> {
  return { kind: 'done', result };
}
