/**
 * The manager's journal: what it writes before it acts and after it learns an outcome, so a
 * manager that starts again knows who holds the identity and where a half-done plan stopped
 * (DESIGN §2, "The manager writes before it acts"). The machine emits records as a `journal`
 * effect; the app makes them durable before it executes the next effect, and folds them into
 * the journal's state with {@link applyJournalRecords}. Where the state is kept (a local file,
 * later etcd) is the app's business; this module only says what it holds.
 */
import type { FailoverReason } from './events';
import type { FailoverAction, FailoverPlan } from './failover-plan';
import type { NodeId } from './types';

/** The inputs a plan is built from; the steps are rebuilt from them (`manager-restore`). */
export type JournaledPlan = Pick<FailoverPlan, 'kind' | 'from' | 'to' | 'fromReachable' | 'secureMode' | 'hooks'>;

/** How a journaled run ended. `held`: a refused stale tower held it before anything changed hands. */
export type RunOutcome = 'completed' | 'rolled-back' | 'aborted' | 'failed' | 'held';

/** One durable fact. `term` is the term of the manager that wrote it; `at` its clock. */
export type JournalRecord =
  /** A plan begins; written before its first step. */
  | {
      readonly kind: 'run-started';
      readonly run: number;
      readonly at: number;
      readonly term: number;
      readonly plan: JournaledPlan;
      readonly reason: FailoverReason;
    }
  /** One attempt of a step is about to be executed. */
  | {
      readonly kind: 'step-started';
      readonly run: number;
      readonly at: number;
      readonly term: number;
      readonly action: FailoverAction;
      readonly attempt: number;
      readonly compensating: boolean;
    }
  /** The attempt in flight ended. */
  | {
      readonly kind: 'step-finished';
      readonly run: number;
      readonly at: number;
      readonly term: number;
      readonly ok: boolean;
      readonly detail: string | null;
    }
  /** A manager that started again took the run up where the journal left it. */
  | { readonly kind: 'run-resumed'; readonly run: number; readonly at: number; readonly term: number }
  /** The run ended. */
  | {
      readonly kind: 'run-ended';
      readonly run: number;
      readonly at: number;
      readonly term: number;
      readonly outcome: RunOutcome;
      readonly detail: string | null;
    }
  /** A run gave the identity to `node` (null: a failed run left nobody known to hold it). */
  | { readonly kind: 'holder'; readonly at: number; readonly term: number; readonly node: NodeId | null }
  /** `node` was seen holding the identity (a claim in a heartbeat). */
  | { readonly kind: 'holder-seen'; readonly at: number; readonly term: number; readonly node: NodeId }
  /** An operator paused automatic failover for maintenance, until `until` (null: until resumed). */
  | {
      readonly kind: 'paused';
      readonly at: number;
      readonly term: number;
      readonly reason: string;
      readonly until: number | null;
    }
  /** The pause ended: an operator resumed, or the pause given a duration expired. */
  | { readonly kind: 'resumed'; readonly at: number; readonly term: number; readonly reason: 'operator' | 'expired' };

/** A maintenance pause as the journal keeps it: why, since when, by which term, and until when. */
export interface JournaledPause {
  /** The operator's reason. */
  readonly reason: string;
  /** When it began. */
  readonly at: number;
  /** The term of the manager that recorded it. */
  readonly term: number;
  /** When it expires by itself; null: only a resume ends it. */
  readonly until: number | null;
}

/** A node with the term and instant it was recorded in. */
export interface JournaledNode {
  /** The node. */
  readonly node: NodeId;
  /** The term of the manager that recorded it. */
  readonly term: number;
  /** When it was recorded. */
  readonly at: number;
}

/** One attempt of one step. */
export interface JournaledStep {
  /** What was executed. */
  readonly action: FailoverAction;
  /** The attempt, from 1. */
  readonly attempt: number;
  /** Whether it undid an earlier step. */
  readonly compensating: boolean;
  /** The term of the manager that executed it. */
  readonly term: number;
  /** When it started. */
  readonly startedAt: number;
  /** How it ended; null while in flight, or when the manager stopped before it ended. */
  readonly finished: { readonly at: number; readonly ok: boolean; readonly detail: string | null } | null;
}

/** One plan, from its start to its end. */
export interface JournaledRun {
  /** Increasing with every run this journal has seen. */
  readonly id: number;
  /** The term that started it. */
  readonly term: number;
  /** What it was for. */
  readonly plan: JournaledPlan;
  /** Why. */
  readonly reason: FailoverReason;
  /** When it started. */
  readonly startedAt: number;
  /** Every attempt, in order. */
  readonly steps: readonly JournaledStep[];
  /** Each time a restarted manager took it up. */
  readonly resumes: readonly { readonly at: number; readonly term: number }[];
  /** How it ended; null while it runs (or was interrupted). */
  readonly end: {
    readonly at: number;
    readonly term: number;
    readonly outcome: RunOutcome;
    readonly detail: string | null;
  } | null;
}

/** What the journal holds. */
export interface ManagerJournalState {
  /** The node a run of this manager last gave the identity to; null when none did, or a failed run lost track. */
  readonly holder: JournaledNode | null;
  /** The node last seen holding the identity or given it; null when never known. */
  readonly lastHolder: JournaledNode | null;
  /** Runs, oldest first: the last {@link JOURNAL_KEEP_RUNS} that ended, and the one in flight. */
  readonly runs: readonly JournaledRun[];
  /** The maintenance pause in force; null when automatic failover is armed. */
  readonly pause: JournaledPause | null;
}

/** A journal nothing was written to. */
export const EMPTY_JOURNAL: ManagerJournalState = { holder: null, lastHolder: null, runs: [], pause: null };

/**
 * Ended runs kept in full; older ones are dropped, so the journal stays small enough to be
 * rewritten whole before every step. A stale-tower hold is retried every heartbeat, each
 * retry a run: consecutive held runs of the same plan keep only the latest.
 */
export const JOURNAL_KEEP_RUNS = 50;

/** The id the next run gets. */
export function nextRunId(journal: ManagerJournalState): number {
  return (journal.runs[journal.runs.length - 1]?.id ?? 0) + 1;
}

/** The run that has not ended, if any: the plan a manager stopped in the middle of. */
export function openRun(journal: ManagerJournalState): JournaledRun | undefined {
  const last = journal.runs[journal.runs.length - 1];
  return last !== undefined && last.end === null ? last : undefined;
}

/** Folds records into the journal, in order. Records for a run it does not hold are ignored. */
export function applyJournalRecords(
  journal: ManagerJournalState,
  records: readonly JournalRecord[],
  keepRuns: number = JOURNAL_KEEP_RUNS,
): ManagerJournalState {
  return records.reduce((state, record) => applyRecord(state, record, keepRuns), journal);
}

function applyRecord(journal: ManagerJournalState, record: JournalRecord, keepRuns: number): ManagerJournalState {
  switch (record.kind) {
    case 'holder': {
      const entry = record.node === null ? null : { node: record.node, term: record.term, at: record.at };
      return { ...journal, holder: entry, lastHolder: entry ?? journal.lastHolder };
    }
    case 'holder-seen':
      return { ...journal, lastHolder: { node: record.node, term: record.term, at: record.at } };
    case 'paused':
      return { ...journal, pause: { reason: record.reason, at: record.at, term: record.term, until: record.until } };
    case 'resumed':
      return { ...journal, pause: null };
    case 'run-started': {
      const run: JournaledRun = {
        id: record.run,
        term: record.term,
        plan: record.plan,
        reason: record.reason,
        startedAt: record.at,
        steps: [],
        resumes: [],
        end: null,
      };
      return { ...journal, runs: [...journal.runs, run] };
    }
    case 'step-started':
      return updateRun(journal, record.run, (run) => ({
        ...run,
        steps: [
          ...run.steps,
          {
            action: record.action,
            attempt: record.attempt,
            compensating: record.compensating,
            term: record.term,
            startedAt: record.at,
            finished: null,
          },
        ],
      }));
    case 'step-finished':
      return updateRun(journal, record.run, (run) => {
        const last = run.steps[run.steps.length - 1];
        if (last === undefined || last.finished !== null) return run;
        const finished = { at: record.at, ok: record.ok, detail: record.detail };
        return { ...run, steps: [...run.steps.slice(0, -1), { ...last, finished }] };
      });
    case 'run-resumed':
      return updateRun(journal, record.run, (run) => ({
        ...run,
        resumes: [...run.resumes, { at: record.at, term: record.term }],
      }));
    case 'run-ended': {
      const ended = updateRun(journal, record.run, (run) => ({
        ...run,
        end: { at: record.at, term: record.term, outcome: record.outcome, detail: record.detail },
      }));
      return { ...ended, runs: trimRuns(ended.runs, keepRuns) };
    }
  }
}

function updateRun(
  journal: ManagerJournalState,
  id: number,
  update: (run: JournaledRun) => JournaledRun,
): ManagerJournalState {
  const index = journal.runs.findIndex((run) => run.id === id);
  const run = journal.runs[index];
  if (run === undefined) return journal;
  return { ...journal, runs: [...journal.runs.slice(0, index), update(run), ...journal.runs.slice(index + 1)] };
}

function trimRuns(runs: readonly JournaledRun[], keepRuns: number): JournaledRun[] {
  const last = runs[runs.length - 1];
  const before = runs[runs.length - 2];
  const coalesced =
    last !== undefined && before !== undefined && isHeldRetry(before, last) ? [...runs.slice(0, -2), last] : [...runs];
  const ended = coalesced.filter((run) => run.end !== null).length;
  let drop = Math.max(0, ended - keepRuns);
  return coalesced.filter((run) => {
    if (drop === 0 || run.end === null) return true;
    drop -= 1;
    return false;
  });
}

/** `later` retried `earlier`: both held by a stale tower, the same plan. */
function isHeldRetry(earlier: JournaledRun, later: JournaledRun): boolean {
  return (
    earlier.end?.outcome === 'held' &&
    later.end?.outcome === 'held' &&
    earlier.plan.kind === later.plan.kind &&
    earlier.plan.from === later.plan.from &&
    earlier.plan.to === later.plan.to
  );
}
