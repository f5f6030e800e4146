import type { Clock, TimerHandle } from '@failover/core';

/** The process clock, for production use of the sinks. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    // Unref'd: a pending retry must not keep a stopping process alive.
    return setTimeout(fn, ms).unref();
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
