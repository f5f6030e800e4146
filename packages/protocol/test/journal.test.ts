import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { FailoverReason, ManagerJournalState } from '@failover/core';
import { EMPTY_JOURNAL, NO_PLAN_HOOKS, applyJournalRecords } from '@failover/core';
import {
  JOURNAL_FILE_NAME,
  ManagerJournalFileSchema,
  durableJsonFile,
  toJournalFile,
  toJournalState,
} from '@failover/protocol';

const plan = {
  kind: 'switchover',
  from: 'validator1',
  to: 'validator2',
  fromReachable: false,
  secureMode: true,
  hooks: { preFailover: 'must-succeed', postFailover: true },
} as const;

function journalWith(reason: FailoverReason): ManagerJournalState {
  return applyJournalRecords(EMPTY_JOURNAL, [
    { kind: 'holder-seen', at: 1, term: 3, node: 'validator1' },
    { kind: 'run-started', run: 7, at: 10, term: 3, plan, reason },
    {
      kind: 'step-started',
      run: 7,
      at: 10,
      term: 3,
      action: { kind: 'hook', hook: 'pre_failover', node: 'validator2' },
      attempt: 1,
      compensating: false,
    },
    { kind: 'step-finished', run: 7, at: 10, term: 3, ok: true, detail: null },
    {
      kind: 'step-started',
      run: 7,
      at: 10,
      term: 3,
      action: { kind: 'prove-stopped-voting', node: 'validator1' },
      attempt: 1,
      compensating: false,
    },
    { kind: 'step-finished', run: 7, at: 20, term: 3, ok: true, detail: null },
    {
      kind: 'step-started',
      run: 7,
      at: 20,
      term: 3,
      action: { kind: 'promote', node: 'validator2', via: 'ssh' },
      attempt: 1,
      compensating: false,
    },
    { kind: 'run-resumed', run: 7, at: 90, term: 4 },
    { kind: 'step-finished', run: 7, at: 95, term: 4, ok: false, detail: 'ssh: connect' },
    { kind: 'run-ended', run: 7, at: 99, term: 4, outcome: 'failed', detail: 'ssh: connect' },
    { kind: 'holder', at: 99, term: 4, node: null },
  ]);
}

describe('the journal file', () => {
  it.each<[string, FailoverReason]>([
    [
      'an unhealthy active',
      {
        kind: 'unhealthy',
        node: 'validator1',
        misses: 5,
        reasons: [
          { kind: 'unreachable', reason: 'timeout', detail: 'no answer' },
          { kind: 'crash-loop', restarts: 3, windowMs: 600_000 },
          { kind: 'lagging', slotsBehind: 120, threshold: 100 },
          { kind: 'rpc-unhealthy', detail: null },
          { kind: 'process-down' },
          { kind: 'process-unhealthy' },
          { kind: 'identity-unconfirmed' },
        ],
      },
    ],
    ['a planned switchover', { kind: 'switchover', text: 'kernel upgrade' }],
    ['a fence', { kind: 'fence', node: 'validator1', holder: 'validator2' }],
    ['nobody voting', { kind: 'no-voter', node: 'validator1', since: 5, ticks: 3 }],
  ])('keeps a run started for %s as it was, in snake_case', (_name, reason) => {
    const journal = journalWith(reason);
    const file = toJournalFile(journal);
    expect(Value.Check(ManagerJournalFileSchema, file)).toBe(true);
    expect(toJournalState(file)).toEqual(journal);
    expect(file.runs[0]).toMatchObject({ plan: { from_reachable: false, secure_mode: true }, started_at: 10 });
  });

  it('keeps a maintenance pause, and reads a file written before pauses existed as not paused', () => {
    const journal = {
      ...journalWith({ kind: 'switchover', text: 'x' }),
      pause: { reason: 'kernel upgrade', at: 5, term: 2, until: 65 },
    };
    const file = toJournalFile(journal);
    expect(Value.Check(ManagerJournalFileSchema, file)).toBe(true);
    expect(file.pause).toEqual({ reason: 'kernel upgrade', at: 5, term: 2, until: 65 });
    expect(toJournalState(file)).toEqual(journal);
    const { pause: _pause, ...older } = file;
    expect(Value.Check(ManagerJournalFileSchema, older)).toBe(true);
    expect(toJournalState(older).pause).toBeNull();
  });

  it('keeps the hooks a plan runs, and reads a plan written before the manager had hooks as running none', () => {
    const file = toJournalFile(journalWith({ kind: 'switchover', text: 'x' }));
    expect(file.runs[0]?.plan.hooks).toEqual({ pre_failover: 'must-succeed', post_failover: true });
    const [run] = file.runs;
    const { hooks: _hooks, ...olderPlan } = run!.plan;
    const older = { ...file, runs: [{ ...run!, plan: olderPlan }] };
    expect(Value.Check(ManagerJournalFileSchema, older)).toBe(true);
    expect(toJournalState(older).runs[0]?.plan.hooks).toEqual(NO_PLAN_HOOKS);
  });

  it('is written whole and read back, and a file of another shape is refused, not read as empty', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'journal-'));
    try {
      const file = durableJsonFile(path.join(dir, JOURNAL_FILE_NAME), ManagerJournalFileSchema);
      const journal = journalWith({ kind: 'switchover', text: 'x' });
      await file.write(toJournalFile(journal));
      const read = await file.read();
      expect(read === undefined ? undefined : toJournalState(read)).toEqual(journal);
      await writeFile(file.path, JSON.stringify({ version: 1, holder: null, last_holder: null, runs: [{ id: 0 }] }));
      await expect(file.read()).rejects.toThrow(/^FAILOVER_STATE_FILE: state file .*journal\.json does not hold/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
