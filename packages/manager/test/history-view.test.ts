import type { JournalRecord } from '@failover/core';
import { EMPTY_JOURNAL, NO_PLAN_HOOKS, applyJournalRecords } from '@failover/core';
import { historyDocument, renderHistory } from '../src/history-view';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const run = (id: number, at: number, term: number): JournalRecord[] => [
  {
    kind: 'run-started',
    run: id,
    at,
    term,
    plan: {
      kind: 'switchover',
      from: 'validator1',
      to: 'validator2',
      fromReachable: true,
      secureMode: false,
      hooks: NO_PLAN_HOOKS,
    },
    reason: { kind: 'switchover', text: 'kernel upgrade' },
  },
  {
    kind: 'step-started',
    run: id,
    at,
    term,
    action: { kind: 'demote', node: 'validator1' },
    attempt: 1,
    compensating: false,
  },
  { kind: 'step-finished', run: id, at: at + 412, term, ok: true, detail: null },
  {
    kind: 'step-started',
    run: id,
    at: at + 412,
    term,
    action: { kind: 'promote', node: 'validator2', via: 'agent' },
    attempt: 1,
    compensating: false,
  },
];
const journal = applyJournalRecords(EMPTY_JOURNAL, [
  { kind: 'holder-seen', at: AT - 60_000, term: 2, node: 'validator1' },
  ...run(1, AT - 30_000, 2),
  {
    kind: 'step-finished',
    run: 1,
    at: AT - 20_000,
    term: 2,
    ok: false,
    detail: 'become_active to validator2: timeout',
  },
  {
    kind: 'run-ended',
    run: 1,
    at: AT - 20_000,
    term: 2,
    outcome: 'aborted',
    detail: 'become_active to validator2: timeout',
  },
  ...run(2, AT, 2),
  { kind: 'run-resumed', run: 2, at: AT + 5_000, term: 3 },
  {
    kind: 'step-started',
    run: 2,
    at: AT + 5_000,
    term: 3,
    action: { kind: 'promote', node: 'validator2', via: 'agent' },
    attempt: 1,
    compensating: false,
  },
  { kind: 'step-finished', run: 2, at: AT + 6_300, term: 3, ok: true, detail: null },
  { kind: 'run-ended', run: 2, at: AT + 6_300, term: 3, outcome: 'completed', detail: null },
  { kind: 'holder', at: AT + 6_300, term: 3, node: 'validator2' },
]);

describe('failover-manager history', () => {
  it('prints the holder, then each failover with every attempt, its time, term and outcome', () => {
    expect(renderHistory(journal, '/var/lib/failover-manager/journal.json', 1).split('\n')).toEqual([
      'journal: /var/lib/failover-manager/journal.json',
      'holder: validator2 (given in term 3, 2026-01-02T03:04:11.300Z)   last seen holding: validator2 (recorded in term 3, 2026-01-02T03:04:11.300Z)',
      'showing 1 of the 2 failovers kept, oldest first',
      '',
      'run 2  switchover validator1 → validator2  started 2026-01-02T03:04:05.000Z  completed in 6.3 s',
      '  term 2, taken up in term 3 at 2026-01-02T03:04:10.000Z',
      '  reason: planned switchover: kernel upgrade',
      `  ✓ ${'demote validator1'.padEnd(48)} ${'412 ms'.padStart(11)}  term 2`,
      `  ↺ ${'promote validator2 (via agent)'.padEnd(48)} ${'interrupted'.padStart(11)}  term 2`,
      `  ✓ ${'promote validator2 (via agent)'.padEnd(48)} ${'1.3 s'.padStart(11)}  term 3`,
      '',
    ]);
  });

  it('says why a failover ended as it did, and which attempt failed', () => {
    const text = renderHistory(journal, 'j', 10);
    expect(text).toContain(
      'run 1  switchover validator1 → validator2  started 2026-01-02T03:03:35.000Z  aborted in 10.0 s',
    );
    expect(text).toContain('  ✗ promote validator2 (via agent)');
    expect(text).toContain('  aborted: become_active to validator2: timeout');
  });

  it('prints the journal document itself as JSON, cut to the last failovers', () => {
    const document = historyDocument(journal, 'j', 1);
    expect(document).toMatchObject({ journal: 'j', version: 1, holder: { node: 'validator2', term: 3 } });
    expect(document.runs.map((r) => r.id)).toEqual([2]);
    expect(document.runs[0]).toMatchObject({ resumes: [{ term: 3 }], end: { outcome: 'completed' } });
  });

  it('shows the maintenance pause the journal holds, in the text and the JSON', () => {
    const paused = applyJournalRecords(EMPTY_JOURNAL, [
      { kind: 'paused', at: Date.UTC(2026, 0, 2), term: 4, reason: 'kernel upgrade', until: null },
    ]);
    expect(renderHistory(paused, 'j', 10).split('\n')[2]).toBe(
      'PAUSED: kernel upgrade (since 2026-01-02T00:00:00.000Z in term 4, until resumed); no automatic failover or recovery',
    );
    expect(historyDocument(paused, 'j', 10).pause).toEqual({
      reason: 'kernel upgrade',
      at: Date.UTC(2026, 0, 2),
      term: 4,
      until: null,
    });
  });

  it('says so when no failover is recorded', () => {
    expect(renderHistory(EMPTY_JOURNAL, 'j', 10)).toBe(
      'journal: j\nholder: none   last seen holding: none\nno failover recorded\n',
    );
  });
});
