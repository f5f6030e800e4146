/**
 * The real clock of every process, and the one way to wait on a clock. `@failover/core` never
 * reads time (its lint forbids it), so the implementation the apps and the notifier inject
 * lives here; tests inject core's `SimulatedClock` instead.
 */
import type { Clock, TimerHandle } from '@failover/core';

/** The process's wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Resolves `ms` milliseconds from now on `clock`. When `signal` aborts first, the timer is
 * cleared and the promise resolves at once (it never rejects): the caller checks why it woke.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const wake = (): void => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = clock.setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}
