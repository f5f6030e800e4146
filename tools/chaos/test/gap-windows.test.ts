import type { VoteRecord } from '@failover/solana-sim';
import { gapWindows, openGapWaitMs } from '../src/gap-windows';

/** A landed vote of `validator` at wall time `timeMs`, with the cluster tip at `tipSlot`. */
function vote(validator: string, tipSlot: number, timeMs: number): VoteRecord {
  return { identity: 'staked', validator, slot: tipSlot, tipSlot, timeMs, landed: true };
}

describe('voting gaps in wall time', () => {
  const votes = [vote('v1', 10, 1_000), vote('v1', 11, 1_100), vote('v2', 40, 4_000), vote('v2', 41, 4_100)];

  it('finds a closed gap between two voters and an open one running to the end of observation', () => {
    expect(gapWindows(votes, { sinceMs: 0, now: { slot: 60, timeMs: 6_000 } })).toEqual([
      { startMs: 1_100, endMs: 4_000, open: false, slots: 28, fromValidator: 'v1', toValidator: 'v2' },
      { startMs: 4_100, endMs: 6_000, open: true, slots: 18, fromValidator: 'v2', toValidator: null },
    ]);
  });

  it('watches an open gap until it has outlasted the budget, and nothing when none is open', () => {
    const open = gapWindows(votes, { sinceMs: 0, now: { slot: 60, timeMs: 6_000 } });
    // Opened at 4.1 s: with a 5 s budget and 1 s margin, judged no earlier than 10.1 s.
    expect(openGapWaitMs(open, 5_000, 6_000)).toBe(4_100);
    expect(openGapWaitMs(open, 5_000, 12_000)).toBe(0);
    const closed = gapWindows(votes, { sinceMs: 0, now: { slot: 42, timeMs: 4_200 } });
    expect(closed.some((gap) => gap.open)).toBe(false);
    expect(openGapWaitMs(closed, 5_000, 4_200)).toBe(0);
  });
});
