/**
 * Time, injected. Core never reads the real clock; the apps pass a real implementation and
 * tests pass `SimulatedClock` from `@failover/core/testing`, so every timeout rule can be
 * tested without sleeping.
 */

/** An opaque handle for a scheduled callback (Node's `Timeout` object fits). */
export type TimerHandle = object;

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once, `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a callback scheduled with {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}
