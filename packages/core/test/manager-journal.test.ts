import type { JournalRecord, ManagerJournalState } from '@failover/core';
import {
  EMPTY_JOURNAL,
  JOURNAL_KEEP_RUNS,
  NO_PLAN_HOOKS,
  applyJournalRecords,
  nextRunId,
  openRun,
} from '@failover/core';

const plan = {
  kind: 'switchover',
  from: 'validator1',
  to: 'validator2',
  fromReachable: true,
  secureMode: false,
  hooks: NO_PLAN_HOOKS,
} as const;
const reason = { kind: 'switchover', text: 'upgrade' } as const;

function started(run: number, at: number, term = 1): JournalRecord {
  return { kind: 'run-started', run, at, term, plan, reason };
}

function ended(run: number, at: number, outcome: 'completed' | 'held' = 'completed'): JournalRecord {
  return { kind: 'run-ended', run, at, term: 1, outcome, detail: null };
}

describe('the journal', () => {
  it('keeps a run with each attempt, its end and the holder it gave the identity to', () => {
    const journal = applyJournalRecords(EMPTY_JOURNAL, [
      started(1, 100),
      {
        kind: 'step-started',
        run: 1,
        at: 100,
        term: 1,
        action: { kind: 'demote', node: 'validator1' },
        attempt: 1,
        compensating: false,
      },
      { kind: 'step-finished', run: 1, at: 300, term: 1, ok: false, detail: 'timeout' },
      {
        kind: 'step-started',
        run: 1,
        at: 300,
        term: 1,
        action: { kind: 'demote', node: 'validator1' },
        attempt: 2,
        compensating: false,
      },
      { kind: 'step-finished', run: 1, at: 400, term: 1, ok: true, detail: null },
      ended(1, 900),
      { kind: 'holder', at: 900, term: 1, node: 'validator2' },
    ]);
    expect(journal.holder).toEqual({ node: 'validator2', term: 1, at: 900 });
    expect(journal.lastHolder).toEqual({ node: 'validator2', term: 1, at: 900 });
    expect(journal.runs).toEqual([
      {
        id: 1,
        term: 1,
        plan,
        reason,
        startedAt: 100,
        resumes: [],
        end: { at: 900, term: 1, outcome: 'completed', detail: null },
        steps: [
          {
            action: { kind: 'demote', node: 'validator1' },
            attempt: 1,
            compensating: false,
            term: 1,
            startedAt: 100,
            finished: { at: 300, ok: false, detail: 'timeout' },
          },
          {
            action: { kind: 'demote', node: 'validator1' },
            attempt: 2,
            compensating: false,
            term: 1,
            startedAt: 300,
            finished: { at: 400, ok: true, detail: null },
          },
        ],
      },
    ]);
    expect(openRun(journal)).toBeUndefined();
    expect(nextRunId(journal)).toBe(2);
  });

  it('names the run that has not ended as open, and counts its resumes with their terms', () => {
    const journal = applyJournalRecords(EMPTY_JOURNAL, [
      started(4, 100),
      { kind: 'run-resumed', run: 4, at: 500, term: 2 },
    ]);
    expect(openRun(journal)).toMatchObject({ id: 4, resumes: [{ at: 500, term: 2 }], end: null });
    expect(nextRunId(journal)).toBe(5);
  });

  it('keeps the last holder when a failed run leaves nobody known to hold the identity', () => {
    const journal = applyJournalRecords(EMPTY_JOURNAL, [
      { kind: 'holder-seen', at: 10, term: 1, node: 'validator1' },
      { kind: 'holder', at: 20, term: 1, node: null },
    ]);
    expect(journal).toMatchObject({ holder: null, lastHolder: { node: 'validator1', at: 10 } });
  });

  it('ignores records of a run it does not hold, and the end of an attempt that already ended', () => {
    const journal = applyJournalRecords(EMPTY_JOURNAL, [
      started(1, 0),
      { kind: 'step-finished', run: 1, at: 5, term: 1, ok: true, detail: null },
      { kind: 'step-finished', run: 9, at: 5, term: 1, ok: true, detail: null },
      ended(9, 6),
    ]);
    expect(journal.runs).toEqual([expect.objectContaining({ id: 1, steps: [], end: null })]);
  });

  it(`keeps the last ${JOURNAL_KEEP_RUNS} ended runs and the open one`, () => {
    const records: JournalRecord[] = [];
    for (let run = 1; run <= JOURNAL_KEEP_RUNS + 5; run += 1) records.push(started(run, run), ended(run, run));
    records.push(started(JOURNAL_KEEP_RUNS + 6, 1000));
    const journal = applyJournalRecords(EMPTY_JOURNAL, records);
    expect(journal.runs).toHaveLength(JOURNAL_KEEP_RUNS + 1);
    expect(journal.runs[0]?.id).toBe(6);
    expect(openRun(journal)?.id).toBe(JOURNAL_KEEP_RUNS + 6);
  });

  it('keeps only the latest of consecutive stale-tower holds of one plan', () => {
    const journal: ManagerJournalState = applyJournalRecords(EMPTY_JOURNAL, [
      started(1, 0),
      ended(1, 1),
      started(2, 2),
      ended(2, 3, 'held'),
      started(3, 4),
      ended(3, 5, 'held'),
      started(4, 6),
      ended(4, 7, 'held'),
    ]);
    expect(journal.runs.map((run) => run.id)).toEqual([1, 4]);
  });

  it('keeps the pause in force: a new pause replaces it, a resume ends it', () => {
    const paused = applyJournalRecords(EMPTY_JOURNAL, [
      { kind: 'paused', at: 10, term: 1, reason: 'kernel upgrade', until: null },
      { kind: 'paused', at: 20, term: 2, reason: 'disk swap', until: 80 },
    ]);
    expect(paused.pause).toEqual({ reason: 'disk swap', at: 20, term: 2, until: 80 });
    expect(applyJournalRecords(paused, [{ kind: 'resumed', at: 30, term: 2, reason: 'operator' }]).pause).toBeNull();
    expect(EMPTY_JOURNAL.pause).toBeNull();
  });
});
