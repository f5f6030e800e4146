import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError } from './errors';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** What is awaited, for the timeout message ("etcd to elect a leader"). */
  description: string;
  /** Give up after this long. @default 5000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 25 */
  intervalMs?: number;
}

/**
 * Polls `predicate` until it returns a value other than `false`, `undefined` or `null`, and
 * returns that value. A predicate that throws counts as "not yet"; its last error is attached
 * to the {@link WaitTimeoutError} so a timeout explains itself.
 */
export async function waitFor<T>(
  predicate: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== false && value !== undefined && value !== null) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.description, timeoutMs, lastError);
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}
