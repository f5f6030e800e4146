import type { PlanStep, SequenceNext, SequenceOutcome, StepResult } from '@failover/core';
import { advanceSequence, startSequence } from '@failover/core';

type Act = string;

function s(action: Act, extra: Partial<PlanStep<Act>> = {}): PlanStep<Act> {
  return { action, attempts: 1, timeoutMs: 1000, onFailure: 'stop', why: action, ...extra };
}

const ok: StepResult = { ok: true };
const fail: StepResult = { ok: false, detail: 'boom' };

/** Runs a sequence against a script of results, returning the actions run and the outcome. */
function play(
  steps: PlanStep<Act>[],
  results: StepResult[],
  allows?: (guard: string) => boolean,
): { ran: string[]; result: SequenceOutcome<Act> } {
  const ran: string[] = [];
  let next: SequenceNext<Act> = startSequence(steps);
  for (const r of results) {
    if (next.kind === 'done') throw new Error('script longer than the run');
    ran.push(`${next.run.compensating ? 'undo:' : ''}${next.run.current.action}#${next.run.attempt}`);
    next = advanceSequence(next.run, r, allows);
  }
  if (next.kind !== 'done') throw new Error(`run not done; at ${next.run.current.action}`);
  return { ran, result: next.result };
}

describe('step sequences', () => {
  it('runs every step in order and completes', () => {
    const { ran, result } = play([s('a'), s('b'), s('c')], [ok, ok, ok]);
    expect(ran).toEqual(['a#1', 'b#1', 'c#1']);
    expect(result).toEqual({ outcome: 'completed', warnings: [] });
  });

  it('completes an empty list at once', () => {
    expect(startSequence([])).toEqual({ kind: 'done', result: { outcome: 'completed', warnings: [] } });
  });

  it('retries a failed step until its attempts are used', () => {
    const { ran, result } = play([s('a', { attempts: 3 }), s('b')], [fail, fail, ok, ok]);
    expect(ran).toEqual(['a#1', 'a#2', 'a#3', 'b#1']);
    expect(result.outcome).toBe('completed');
  });

  it('aborts when a step with nothing to undo before it fails', () => {
    const { ran, result } = play([s('a', { attempts: 2 }), s('b')], [fail, fail]);
    expect(ran).toEqual(['a#1', 'a#2']);
    expect(result).toMatchObject({ outcome: 'aborted', failure: { step: { action: 'a' }, detail: 'boom' } });
  });

  it('continues past a non-critical step and records a warning', () => {
    const { ran, result } = play([s('a', { onFailure: 'continue' }), s('b')], [fail, ok]);
    expect(ran).toEqual(['a#1', 'b#1']);
    expect(result).toMatchObject({ outcome: 'completed', warnings: [{ step: { action: 'a' }, detail: 'boom' }] });
  });

  it('tries the fallback in place of a step that failed for good, then goes on', () => {
    const { ran, result } = play(
      [s('remove', { attempts: 2, fallback: s('restart') }), s('confirm')],
      [fail, fail, ok, ok],
    );
    expect(ran).toEqual(['remove#1', 'remove#2', 'restart#1', 'confirm#1']);
    expect(result.outcome).toBe('completed');
  });

  it('undoes completed steps latest first when a later step stops the run', () => {
    const steps = [s('a', { undo: [s('undo-a')] }), s('b', { undo: [s('undo-b1'), s('undo-b2')] }), s('c')];
    const { ran, result } = play(steps, [ok, ok, fail, ok, ok, ok]);
    expect(ran).toEqual(['a#1', 'b#1', 'c#1', 'undo:undo-b1#1', 'undo:undo-b2#1', 'undo:undo-a#1']);
    expect(result).toMatchObject({ outcome: 'rolled-back', failure: { step: { action: 'c' } } });
  });

  it('undoes the failed step itself first when it may have half-happened', () => {
    const steps = [s('a', { undo: [s('undo-a')] }), s('b', { undo: [s('undo-b')], undoIfFailed: true })];
    const { ran } = play(steps, [ok, fail, ok, ok]);
    expect(ran).toEqual(['a#1', 'b#1', 'undo:undo-b#1', 'undo:undo-a#1']);
  });

  it('ends failed when a compensation fails, naming both failures', () => {
    const steps = [s('a', { undo: [s('undo-a', { attempts: 2 })] }), s('b')];
    const { ran, result } = play(steps, [ok, fail, fail, { ok: false, detail: 'still broken' }]);
    expect(ran).toEqual(['a#1', 'b#1', 'undo:undo-a#1', 'undo:undo-a#2']);
    expect(result).toMatchObject({
      outcome: 'failed',
      failure: { step: { action: 'b' } },
      compensation: { step: { action: 'undo-a' }, detail: 'still broken' },
    });
  });

  it('ends failed without running a compensation whose guard is refused', () => {
    const steps = [s('a', { undo: [s('undo-a', { guard: 'old-healthy' })] }), s('b')];
    const { ran, result } = play(steps, [ok, fail], (guard) => guard !== 'old-healthy');
    expect(ran).toEqual(['a#1', 'b#1']);
    expect(result).toMatchObject({ outcome: 'failed', compensation: { step: { action: 'undo-a' } } });
  });
});
