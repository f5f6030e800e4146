import fc from 'fast-check';
import { SimulatedClock } from '@failover/core/testing';
import type { ClusterRpc, RpcResult } from '@failover/protocol';
import { firstLeaderGap, waitForSwitchoverWindow, type SwitchoverWindow } from '../src/switchover-window';

describe('firstLeaderGap', () => {
  it.each([
    ['no leader slots', [], 100, 8, 100],
    ['leader slots before the start', [90, 91, 92, 93], 100, 8, 100],
    ['a group right ahead', [104, 105, 106, 107], 100, 8, 108],
    ['a group covering the start', [99, 100, 101, 102], 100, 8, 103],
    ['two groups too close together', [104, 105, 106, 107, 112, 113, 114, 115], 100, 8, 116],
    ['two groups with room between', [104, 105, 106, 107, 120, 121, 122, 123], 100, 8, 108],
    ['a zero-slot gap', [100, 101], 100, 0, 100],
  ])('with %s', (_name, leaderSlots, from, gap, expected) => {
    expect(firstLeaderGap(leaderSlots, from, gap)).toBe(expected);
  });

  it('returns the earliest start whose window holds no leader slot', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 })
          .map((slots) => [...slots].sort((a, b) => a - b)),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 20 }),
        (slots, from, gap) => {
          const start = firstLeaderGap(slots, from, gap);
          const clear = (s: number): boolean => !slots.some((slot) => slot >= s && slot < s + gap);
          expect(start).toBeGreaterThanOrEqual(from);
          expect(clear(start)).toBe(true);
          for (let s = from; s < start; s += 1) expect(clear(s)).toBe(false);
        },
      ),
    );
  });
});

describe('waitForSwitchoverWindow', () => {
  const SLOT_MS = 400;

  function clusterAt(clock: SimulatedClock, leaderSlots: number[], down = false): ClusterRpc {
    const endpoint = 'http://cluster.invalid';
    const unavailable = { ok: false, reason: 'unreachable', message: 'connection refused', endpoint } as const;
    return {
      getSlot: async (): Promise<RpcResult<number>> =>
        down ? unavailable : { ok: true, value: Math.floor(clock.now() / SLOT_MS), endpoint },
      getLeaderSlots: async () => ({ ok: true, value: leaderSlots, endpoint }),
      getEpochInfo: async () => unavailable,
      getVoteAccount: async () => unavailable,
      getSlotAndVoteAccount: async () => unavailable,
      getClusterNodes: async () => unavailable,
    };
  }

  async function drive(clock: SimulatedClock, waiting: Promise<SwitchoverWindow>): Promise<SwitchoverWindow> {
    let result: SwitchoverWindow | undefined;
    void waiting.then((r) => (result = r));
    for (let i = 0; i < 10_000 && result === undefined; i += 1) {
      for (let j = 0; j < 5; j += 1) await Promise.resolve();
      clock.advance(10);
    }
    return result ?? Promise.reject(new Error('never finished'));
  }

  it("starts at the first slot boundary after the identity's leader slots", async () => {
    const clock = new SimulatedClock(100 * SLOT_MS + 150);
    const rpc = clusterAt(clock, [101, 102, 103, 104]);
    const window = await drive(
      clock,
      waitForSwitchoverWindow({ rpc, clock, identity: 'X', gapSlots: 4, maxWaitMs: 10_000, pollMs: 20 }),
    );
    expect(window).toMatchObject({ status: 'ready', slot: 105 });
    // Within one poll of the slot's first instant.
    expect(clock.now() % SLOT_MS).toBeLessThanOrEqual(20);
  });

  it('without a gap requirement, still waits for the next slot boundary', async () => {
    const clock = new SimulatedClock(100 * SLOT_MS + 150);
    const window = await drive(
      clock,
      waitForSwitchoverWindow({
        rpc: clusterAt(clock, [101]),
        clock,
        identity: 'X',
        gapSlots: 0,
        maxWaitMs: 10_000,
        pollMs: 20,
      }),
    );
    expect(window).toMatchObject({ status: 'ready', slot: 101 });
  });

  it('gives up after its deadline and says when the next window is', async () => {
    const clock = new SimulatedClock(100 * SLOT_MS);
    const leaderSlots = Array.from({ length: 100 }, (_, i) => 100 + i);
    const window = await drive(
      clock,
      waitForSwitchoverWindow({
        rpc: clusterAt(clock, leaderSlots),
        clock,
        identity: 'X',
        gapSlots: 4,
        maxWaitMs: 2000,
        pollMs: 20,
      }),
    );
    expect(window).toMatchObject({ status: 'timeout' });
    if (window.status === 'timeout') expect(window.detail).toContain('next at slot 200');
  });

  it('reports an unavailable RPC instead of starting blind', async () => {
    const clock = new SimulatedClock(0);
    const window = await drive(
      clock,
      waitForSwitchoverWindow({ rpc: clusterAt(clock, [], true), clock, identity: 'X', gapSlots: 4, maxWaitMs: 2000 }),
    );
    expect(window).toMatchObject({ status: 'rpc-unavailable', detail: 'connection refused' });
  });
});
