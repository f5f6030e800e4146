import type { Violation } from '@failover/solana-sim';
import { gapWindows } from '../src/gap-windows';
import { budgetOf, settingsFor } from '../src/settings';
import { judgeTrial, type FaultSpan, type GapWindow, type TrialObservation } from '../src/verdict';

const BUDGET = 10_000;
const gap = (startMs: number, endMs: number, open = false): GapWindow => ({
  startMs,
  endMs,
  open,
  slots: Math.round((endMs - startMs) / 100),
  fromValidator: 'v1',
  toValidator: open ? null : 'v2',
});
const fault = (label: string, appliedMs: number, healedMs: number, extra: Partial<FaultSpan> = {}): FaultSpan => ({
  label,
  appliedMs,
  healedMs,
  silencesManager: false,
  silencesTelegram: false,
  ...extra,
});
const doubleVote: Violation = {
  kind: 'double-vote',
  reason: 'same-slot',
  identity: 'X',
  validators: ['v1', 'v2'],
  firstSlot: 10,
  lastSlot: 12,
  firstTimeMs: 0,
  count: 3,
};
const lockout: Violation = {
  kind: 'lockout-violation',
  identity: 'X',
  validator: 'v2',
  previousValidator: 'v1',
  previousLastVote: 20,
  firstSlot: 19,
  lastSlot: 19,
  firstTimeMs: 0,
  count: 1,
};
const base: TrialObservation = { violations: [], gaps: [], faults: [], reports: [], telegramMs: [], budgetMs: BUDGET };

describe('the verdict of a trial', () => {
  it.each<[string, Partial<TrialObservation>, boolean, string]>([
    ['no gap at all', {}, true, 'restored'],
    [
      'a failover gap inside the budget',
      { gaps: [gap(1000, 4000)], faults: [fault('validator-kill(v1)', 900, 6000)] },
      true,
      'restored',
    ],
    ['a double vote, whatever else happened', { violations: [doubleVote], gaps: [gap(0, 100)] }, false, 'double-vote'],
    ['a lockout violation', { violations: [lockout] }, false, 'lockout-violation'],
    [
      'a failed check of a fencing class, with voting restored',
      { failedChecks: ['the replay was answered 200'], gaps: [gap(1000, 2000)] },
      false,
      'check-failed',
    ],
    [
      'a double vote and a failed check: the double vote is the outcome',
      { violations: [doubleVote], failedChecks: ['the replay was answered 200'] },
      false,
      'double-vote',
    ],
    ['a long gap with no fault in effect', { gaps: [gap(1000, 30_000)] }, false, 'not-restored'],
    [
      'a long gap held by a fault, reported and delivered, ending soon after the heal',
      {
        gaps: [gap(1000, 25_000)],
        faults: [fault('isolate-active(v1)', 900, 20_000)],
        reports: [{ atMs: 3000, event: 'blocked' }],
        telegramMs: [3100],
      },
      true,
      'blocked-and-notified',
    ],
    [
      'a long gap that outlasts the heal by more than the budget',
      {
        gaps: [gap(1000, 40_000)],
        faults: [fault('isolate-active(v1)', 900, 20_000)],
        reports: [{ atMs: 3000, event: 'blocked' }],
        telegramMs: [3100],
      },
      false,
      'not-restored',
    ],
    [
      'a long gap nobody reported',
      { gaps: [gap(1000, 25_000)], faults: [fault('validator-stop(v1)', 900, 20_000)] },
      false,
      'silent-gap',
    ],
    [
      'a long gap reported in the log while Telegram was up but never delivered',
      {
        gaps: [gap(1000, 25_000)],
        faults: [fault('validator-stop(v1)', 900, 20_000)],
        reports: [{ atMs: 3000, event: 'blocked' }],
      },
      false,
      'silent-gap',
    ],
    [
      'a long gap reported in the log while Telegram was down',
      {
        gaps: [gap(1000, 25_000)],
        faults: [
          fault('validator-stop(v1)', 900, 20_000),
          fault('telegram-down', 500, 21_000, { silencesTelegram: true }),
        ],
        reports: [{ atMs: 3000, event: 'failover-failed' }],
      },
      true,
      'blocked-and-notified',
    ],
    [
      'a long gap while the manager itself was down, so nobody could report it',
      {
        gaps: [gap(1000, 25_000)],
        faults: [
          fault('manager-kill', 500, 18_000, { silencesManager: true }),
          fault('validator-kill(v1)', 900, 20_000),
        ],
      },
      true,
      'blocked-and-notified',
    ],
    [
      'a gap still open at the end, well past the heal',
      {
        gaps: [gap(1000, 40_000, true)],
        faults: [fault('validator-kill(v1)', 900, 12_000)],
        reports: [{ atMs: 3000, event: 'blocked' }],
        telegramMs: [3000],
      },
      false,
      'not-restored',
    ],
  ])('%s', (_name, observation, pass, outcome) => {
    const verdict = judgeTrial({ ...base, ...observation });
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.pass).toBe(pass);
  });

  it('names the validators of a double vote in its notes', () => {
    expect(judgeTrial({ ...base, violations: [doubleVote] }).notes[0]).toMatch(
      /double vote \(same-slot\) by v1 and v2: slots 10\.\.12, 3x/,
    );
  });
});

describe('voting gaps in wall time', () => {
  const vote = (slot: number, timeMs: number, validator = 'v1', landed = true) => ({
    identity: 'X',
    slot,
    tipSlot: slot,
    validator,
    timeMs,
    landed,
  });

  it('finds the stretch between two landed votes that skipped slots, and ignores votes that did not land', () => {
    const votes = [vote(1, 100), vote(2, 200), vote(3, 300, 'v1', false), vote(9, 900, 'v2'), vote(10, 1000, 'v2')];
    expect(gapWindows(votes, { sinceMs: 0, now: { slot: 10, timeMs: 1000 } })).toEqual([
      { startMs: 200, endMs: 900, open: false, slots: 6, fromValidator: 'v1', toValidator: 'v2' },
    ]);
  });

  it('reports a gap still open at the end of observation', () => {
    expect(gapWindows([vote(1, 100)], { sinceMs: 0, now: { slot: 20, timeMs: 2000 } })).toEqual([
      { startMs: 100, endMs: 2000, open: true, slots: 18, fromValidator: 'v1', toValidator: null },
    ]);
  });

  it('leaves out gaps that ended before the fault window', () => {
    expect(
      gapWindows([vote(1, 100), vote(9, 900), vote(10, 1000)], { sinceMs: 950, now: { slot: 10, timeMs: 1000 } }),
    ).toEqual([]);
  });
});

describe('the budget', () => {
  it('adds detection, the vote-account proof and the failover allowance of the configured settings', () => {
    const budget = budgetOf(settingsFor(100));
    expect(budget).toEqual({
      detectionMs: 3 * (200 + 2500) + 200,
      proofMs: 40 * 100 + 200,
      allowanceMs: 3 * 2000 + 5000 + 1000 + 2000,
      totalMs: 8300 + 4200 + 14000,
    });
  });
});
