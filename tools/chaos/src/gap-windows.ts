/**
 * Voting gaps in wall time, from the judge's vote records. The judge's own `gaps()` counts
 * slots and ms but not when a gap began, and the verdict must line gaps up with the faults;
 * the rule is the judge's: cluster slots (tip to tip) that passed with no landed vote.
 */
import type { VoteRecord } from '@failover/solana-sim';
import type { GapWindow } from './verdict';

/** Options of {@link gapWindows}. */
export interface GapWindowOptions {
  /** Only gaps still running at or after this time (the fault window's start). */
  readonly sinceMs: number;
  /** The end of observation: an open gap runs to it. */
  readonly now: { readonly slot: number; readonly timeMs: number };
  /** Gaps of fewer slots are normal jitter, not gaps; @default 2 */
  readonly minSlots?: number;
}

/** Gaps of one identity's landed votes that reach into the observed period. */
export function gapWindows(votes: readonly VoteRecord[], options: GapWindowOptions): GapWindow[] {
  const minSlots = options.minSlots ?? 2;
  const landed = votes.filter((v) => v.landed).sort((a, b) => a.timeMs - b.timeMs);
  const gaps: GapWindow[] = [];
  for (let i = 1; i < landed.length; i += 1) {
    const before = landed[i - 1] as VoteRecord;
    const after = landed[i] as VoteRecord;
    const slots = Math.max(0, after.tipSlot - before.tipSlot - 1);
    if (slots < minSlots || after.timeMs < options.sinceMs) continue;
    gaps.push({
      startMs: before.timeMs,
      endMs: after.timeMs,
      open: false,
      slots,
      fromValidator: before.validator,
      toValidator: after.validator,
    });
  }
  const last = landed[landed.length - 1];
  const openSlots = last === undefined ? 0 : options.now.slot - last.tipSlot - 1;
  if (last !== undefined && openSlots >= minSlots) {
    gaps.push({
      startMs: last.timeMs,
      endMs: options.now.timeMs,
      open: true,
      slots: openSlots,
      fromValidator: last.validator,
      toValidator: null,
    });
  }
  return gaps;
}

/**
 * How much longer to watch before judging, when observation would end inside a gap: until the
 * open gap has outlasted `budgetMs` by `marginMs` (0 when no gap is open). A voter lost after
 * voting had resumed (a late fence, a rollback) must be judged as the gap it becomes, not pass
 * because observation stopped before the gap grew past the budget.
 */
export function openGapWaitMs(gaps: readonly GapWindow[], budgetMs: number, nowMs: number, marginMs = 1000): number {
  const last = gaps[gaps.length - 1];
  if (last === undefined || !last.open) return 0;
  return Math.max(0, last.startMs + budgetMs + marginMs - nowMs);
}
