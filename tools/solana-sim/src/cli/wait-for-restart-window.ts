import { callJsonRpc } from '../internal/json-rpc';
import type { CliIo } from './cli-io';

/** Options of `wait-for-restart-window` (and of `exit` without --force). */
export interface RestartWindowArgs {
  /** Minutes without leader slots needed; @default 10 */
  readonly minIdleTime: number;
  /** @default 5 */
  readonly maxDelinquentStake: number;
  readonly identity: string | undefined;
  readonly skipNewSnapshotCheck: boolean;
  readonly skipHealthCheck: boolean;
}

/** agave's DEFAULT_S_PER_SLOT: minutes become slots at 400 ms, whatever the real slot time. */
const DEFAULT_S_PER_SLOT = 0.4;

interface EpochInfo {
  absoluteSlot: number;
  slotIndex: number;
  slotsInEpoch: number;
  epoch: number;
}

/**
 * agave validator/src/commands/wait_for_restart_window: wait until the validator has no leader
 * slot within the idle time, is healthy, and (unless skipped) has made a new snapshot with low
 * cluster delinquency. It polls every 5 s on a real cluster; SOLANA_SIM_POLL_MS shortens that.
 */
export async function waitForRestartWindow(
  args: RestartWindowArgs,
  io: CliIo,
  admin: (method: string, params: unknown[]) => Promise<unknown>,
): Promise<number> {
  const pollMs = Number(io.env['SOLANA_SIM_POLL_MS'] ?? 5000);
  const minIdleSlots = Math.floor((args.minIdleTime * 60) / DEFAULT_S_PER_SLOT);
  const rpcAddress = (await admin('rpcAddress', [])) as string | null;
  if (rpcAddress === null) {
    io.stderr('failed to wait for restart window: validator RPC is unavailable\n');
    return 1;
  }
  const url = `http://${rpcAddress}`;
  const fail = (why: string): number => {
    io.stderr(`failed to wait for restart window: ${why}\n`);
    return 1;
  };
  try {
    const myIdentity = ((await callJsonRpc(url, 'getIdentity')) as { identity: string }).identity;
    const identity = args.identity ?? myIdentity;
    const another = identity !== myIdentity;
    io.stdout(`Identity: ${identity}\n`);
    io.stdout(`Minimum Idle Time: ${minIdleSlots} slots (~${args.minIdleTime} minutes)\n`);
    io.stdout(`Maximum permitted delinquency: ${args.maxDelinquentStake}%\n`);
    let epoch: number | undefined;
    let leaderSlots: number[] = [];
    let restartSnapshot: number | undefined;
    let lastStatus = '';
    for (;;) {
      const info = (await callJsonRpc(url, 'getEpochInfo', [{ commitment: 'processed' }])) as EpochInfo;
      const healthy =
        args.skipHealthCheck ||
        (await callJsonRpc(url, 'getHealth').then(
          () => true,
          () => false,
        ));
      if (epoch !== info.epoch) {
        const first = info.absoluteSlot - info.slotIndex;
        const schedule = (await callJsonRpc(url, 'getLeaderSchedule', [first, { identity }])) as Record<
          string,
          number[]
        > | null;
        if (schedule === null) return fail(`Unable to get leader schedule from slot ${first}`);
        leaderSlots = (schedule[identity] ?? []).map((i) => first + i).filter((s) => s > info.absoluteSlot);
        let start = info.absoluteSlot;
        let largest = 0;
        let anyWindow = false;
        for (const slot of leaderSlots) {
          largest = Math.max(largest, slot - start);
          if (slot - start > minIdleSlots) anyWindow = true;
          start = slot;
        }
        if (leaderSlots.length > 0 && !anyWindow) {
          return fail(
            `Validator has no idle window of at least ${minIdleSlots} slots. Largest idle window for epoch ${info.epoch} is ${largest} slots`,
          );
        }
        epoch = info.epoch;
      }
      let status: string;
      if (!healthy) status = 'Node is unhealthy';
      else if (info.slotIndex + minIdleSlots > info.slotsInEpoch) status = 'Current epoch is almost complete';
      else {
        leaderSlots = leaderSlots.filter((s) => s >= info.absoluteSlot);
        const next = leaderSlots[0];
        if (next !== undefined && next - info.absoluteSlot < minIdleSlots) {
          status = `Validator will be leader soon. Next leader slot is ${next}`;
        } else if (args.skipNewSnapshotCheck) {
          break;
        } else {
          const snapshot = (await callJsonRpc(url, 'getHighestSnapshotSlot')) as {
            full: number;
            incremental: number | null;
          };
          const snapshotSlot = snapshot.incremental ?? snapshot.full;
          restartSnapshot ??= snapshotSlot;
          const accounts = (await callJsonRpc(url, 'getVoteAccounts')) as {
            current: { activatedStake: number }[];
            delinquent: { activatedStake: number }[];
          };
          const sum = (list: { activatedStake: number }[]): number => list.reduce((a, v) => a + v.activatedStake, 0);
          const delinquent = sum(accounts.delinquent) / (sum(accounts.current) + sum(accounts.delinquent));
          if (restartSnapshot === snapshotSlot && !another) status = 'Waiting for a new snapshot';
          else if (delinquent >= args.maxDelinquentStake / 100) status = 'Delinquency too high';
          else break;
        }
      }
      if (status !== lastStatus) io.stderr(`Processed Slot: ${info.absoluteSlot} | ${status}\n`);
      lastStatus = status;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    io.stdout('Ready to restart\n');
    return 0;
  } catch (err) {
    return fail((err as Error).message);
  }
}
