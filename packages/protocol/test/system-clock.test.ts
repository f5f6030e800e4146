import { SimulatedClock } from '@failover/core/testing';
import { sleep, systemClock } from '@failover/protocol';

describe('sleep', () => {
  const settled = async (promise: Promise<void>): Promise<boolean> => {
    let done = false;
    void promise.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('resolves once the clock has moved by the given time, not before', async () => {
    const clock = new SimulatedClock();
    const slept = sleep(clock, 100);
    clock.advance(99);
    expect(await settled(slept)).toBe(false);
    clock.advance(1);
    expect(await settled(slept)).toBe(true);
  });

  it('wakes at once when its signal aborts, and leaves no timer behind', async () => {
    const clock = new SimulatedClock();
    const abort = new AbortController();
    const slept = sleep(clock, 60_000, abort.signal);
    abort.abort();
    expect(await settled(slept)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('does not wait at all on a signal that has already aborted', async () => {
    const clock = new SimulatedClock();
    expect(await settled(sleep(clock, 60_000, AbortSignal.abort()))).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('waits in real time on the system clock', async () => {
    const started = systemClock.now();
    await sleep(systemClock, 20);
    expect(systemClock.now() - started).toBeGreaterThanOrEqual(19);
  });
});
