/**
 * When a planned switchover may start. Moving the identity while it is the leader drops the
 * blocks it was about to produce, so a switchover can wait until the identity has no leader
 * slot in the next N slots; and it starts right after a slot boundary so the whole slot is
 * available for the demotion.
 */
import type { Clock } from '@failover/core';
import { sleep, type ClusterRpc } from '@failover/protocol';

/**
 * The first slot at or after `from` such that none of `[slot, slot + gapSlots)` is one of
 * `leaderSlots` (ascending); `from` itself when the window is already clear.
 */
export function firstLeaderGap(leaderSlots: readonly number[], from: number, gapSlots: number): number {
  let start = from;
  for (const slot of leaderSlots) {
    if (slot < start) continue;
    if (slot >= start + gapSlots) break;
    start = slot + 1;
  }
  return start;
}

/** Options of {@link waitForSwitchoverWindow}. */
export interface SwitchoverWindowOptions {
  readonly rpc: ClusterRpc;
  readonly clock: Clock;
  readonly identity: string;
  /** Slots without a leader slot of the identity to wait for; 0 does not wait. */
  readonly gapSlots: number;
  /** Give up waiting after this long and report it. */
  readonly maxWaitMs: number;
  /** Between two slot reads. @default 100 */
  readonly pollMs?: number;
}

/** How the wait ended; the caller starts the switchover only on `ready`. */
export type SwitchoverWindow =
  | { readonly status: 'ready'; readonly slot: number; readonly waitedMs: number }
  | { readonly status: 'timeout'; readonly waitedMs: number; readonly detail: string }
  | { readonly status: 'rpc-unavailable'; readonly detail: string };

/**
 * Waits until the identity has no leader slot in the next `gapSlots` slots and a new slot has
 * just begun. Without a gap requirement it still aligns to a slot boundary.
 */
export async function waitForSwitchoverWindow(options: SwitchoverWindowOptions): Promise<SwitchoverWindow> {
  const started = options.clock.now();
  const pollMs = options.pollMs ?? 100;
  const first = await options.rpc.getSlot();
  if (!first.ok) return { status: 'rpc-unavailable', detail: first.message };
  let leaderSlots: readonly number[] = [];
  if (options.gapSlots > 0) {
    const schedule = await options.rpc.getLeaderSlots(options.identity);
    if (!schedule.ok) return { status: 'rpc-unavailable', detail: schedule.message };
    leaderSlots = schedule.value;
  }
  let previous = first.value;
  for (;;) {
    const waitedMs = options.clock.now() - started;
    if (waitedMs > options.maxWaitMs) {
      const next = firstLeaderGap(leaderSlots, previous + 1, options.gapSlots);
      return {
        status: 'timeout',
        waitedMs,
        detail: `no ${options.gapSlots}-slot window without a leader slot began within ${options.maxWaitMs} ms (next at slot ${next})`,
      };
    }
    await sleep(options.clock, pollMs);
    const slot = await options.rpc.getSlot();
    if (!slot.ok) return { status: 'rpc-unavailable', detail: slot.message };
    // A slot that changed since the last read has just begun (within one poll interval).
    const boundary = slot.value > previous;
    if (boundary && firstLeaderGap(leaderSlots, slot.value, options.gapSlots) === slot.value) {
      return { status: 'ready', slot: slot.value, waitedMs: options.clock.now() - started };
    }
    previous = slot.value;
  }
}
