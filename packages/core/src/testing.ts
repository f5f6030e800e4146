/**
 * Test helpers for users of `@failover/core` and for this repository's own tests. Kept out of
 * the main entry point so production bundles never carry them.
 */
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './logger';

interface ScheduledTimer {
  readonly handle: TimerHandle;
  readonly dueAt: number;
  readonly order: number;
  readonly fn: () => void;
}

/**
 * A {@link Clock} that only moves when told to. `advance(ms)` fires every timer that falls due
 * inside the window, earliest first (ties in scheduling order), with `now()` equal to each
 * timer's due time while it runs — the same contract as xstate's `SimulatedClock`.
 */
export class SimulatedClock implements Clock {
  private current: number;
  private timers: ScheduledTimer[] = [];
  private scheduled = 0;

  /** @param start the initial `now()`, milliseconds since the epoch. @default 0 */
  constructor(start = 0) {
    this.current = start;
  }

  /** The simulated instant. */
  now(): number {
    return this.current;
  }

  /** Schedules `fn` at `now() + ms` (negative delays count as 0, as Node does). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.timers.push({ handle, dueAt: this.current + Math.max(0, ms), order: this.scheduled++, fn });
    return handle;
  }

  /** Cancels a pending timer; fired or unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.handle !== handle);
  }

  /** Number of timers not yet fired or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Timers scheduled by a firing
   * callback also fire when they fall inside the window.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`SimulatedClock.advance: ms must be a finite number >= 0, got ${ms}`);
    }
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.current = next.dueAt;
      next.fn();
    }
    this.current = target;
  }

  private nextDue(limit: number): ScheduledTimer | undefined {
    let best: ScheduledTimer | undefined;
    for (const timer of this.timers) {
      if (timer.dueAt > limit) continue;
      if (best === undefined || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.order < best.order)) {
        best = timer;
      }
    }
    return best;
  }
}

/** A {@link Logger} that drops every line, for tests that do not look at the log. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
