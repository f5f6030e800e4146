/**
 * False failovers: a healthy active, stalled now and then and starved of CPU, must never lose
 * the identity. For `--minutes` (30 by default) at the project's default timing, faults land at
 * random intervals of 10–30 s, one of:
 * - an RPC stall: the active validator frozen (SIGSTOP, then SIGCONT) for 1–2 s: no RPC answer,
 *   no vote, yet the process exists;
 * - an unhealthy RPC: `getHealth` answers an error for 1–2 s;
 * - CPU contention: as many busy loops as the host has cores, for 5–20 s.
 * Every `failover-started` of the manager in that time is a false failover, since the active
 * never stops for longer than a stall. The judge checks the votes at the end.
 *
 * Usage: npm run bench:false-failover -w @failover/bench [-- --minutes 30 --profile default --slot-ms 400]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchStack, waitUntilSteady, type TimingProfile } from './bench-stack';
import { printFooter, printHeader } from './machine';
import { failoverProfiles } from './unplanned-failover';

type FaultKind = 'rpc-stall' | 'rpc-unhealthy' | 'cpu-contention';

/** What one run saw. */
export interface FalseFailoverReport {
  readonly minutes: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  /** `failover-started` events: each is a failover of a healthy active. */
  readonly falseFailovers: number;
  /** Double votes and lockout violations the simulator's judge found. */
  readonly violations: number;
}

const between = (min: number, max: number): number => min + Math.random() * (max - min);

/**
 * A busy loop that ends itself when the benchmark is gone: a loop never yields to an event loop,
 * so it checks its parent between bursts (a killed benchmark once left two loops on the cores).
 */
const BUSY_LOOP =
  'const parent = process.ppid; for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== parent) process.exit(0); }';

/** Busy loops on every core for `ms`. */
async function contend(ms: number): Promise<void> {
  const loops: ChildProcess[] = [];
  for (let i = 0; i < availableParallelism(); i++)
    loops.push(spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' }));
  await sleep(ms);
  await Promise.all(
    loops.map(
      (loop) =>
        new Promise<void>((resolve) => {
          if (loop.exitCode !== null || loop.signalCode !== null) return resolve();
          loop.once('exit', () => resolve());
          loop.kill('SIGKILL');
        }),
    ),
  );
}

/** Runs the faults for `minutes` on a fresh stack and counts the failovers. */
export async function benchFalseFailover(
  profile: TimingProfile,
  minutes: number,
  slotMs: number,
): Promise<FalseFailoverReport> {
  const faults: Record<FaultKind, number> = { 'rpc-stall': 0, 'rpc-unhealthy': 0, 'cpu-contention': 0 };
  const stack = await startBenchStack(profile, { slotMs });
  try {
    await waitUntilSteady(stack, 0, 120_000);
    const validator = stack.agents[0].validator;
    const startedAt = Date.now();
    const endAt = startedAt + minutes * 60_000;
    while (Date.now() < endAt) {
      await sleep(Math.min(between(10_000, 30_000), Math.max(0, endAt - Date.now())));
      if (Date.now() >= endAt) break;
      const kinds: FaultKind[] = ['rpc-stall', 'rpc-unhealthy', 'cpu-contention'];
      const kind = kinds[Math.floor(Math.random() * kinds.length)] ?? 'rpc-stall';
      faults[kind] += 1;
      const ms = kind === 'cpu-contention' ? between(5_000, 20_000) : between(1_000, 2_000);
      process.stdout.write(
        `  ${new Date().toISOString()} ${kind} for ${Math.round(ms)} ms (${Math.round((Date.now() - startedAt) / 1000)} s in)\n`,
      );
      if (kind === 'rpc-stall') {
        validator.hang();
        await sleep(ms);
        validator.resume();
      } else if (kind === 'rpc-unhealthy') {
        await validator.setRpcUnhealthy(true);
        await sleep(ms);
        await validator.setRpcUnhealthy(false);
      } else {
        await contend(ms);
      }
    }
    // The last fault's effects settle before the count.
    await sleep(2 * profile.heartbeatMs);
    const falseFailovers = stack.manager.log.all().filter((line) => line.event === 'failover-started');
    for (const line of falseFailovers) process.stdout.write(`  false failover: ${line.msg}\n`);
    const violations = await stack.cluster.judge.violations();
    return { minutes, faults, falseFailovers: falseFailovers.length, violations: violations.length };
  } finally {
    await stack.stop();
  }
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { minutes: { type: 'string' }, profile: { type: 'string' }, 'slot-ms': { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? 30);
  const slotMs = Number(values['slot-ms'] ?? 400);
  if (!(minutes > 0)) throw new Error(`--minutes: expected a positive number, got '${values.minutes}'`);
  if (!Number.isInteger(slotMs) || slotMs < 20)
    throw new Error(`--slot-ms: expected an integer ≥ 20, got '${values['slot-ms']}'`);
  for (const profile of failoverProfiles(values.profile ?? 'default')) {
    printHeader(
      `False failovers — ${profile.name}`,
      `${profile.label}; ${minutes} min of RPC stalls (1–2 s), unhealthy RPC (1–2 s) and CPU contention (5–20 s, every core) on the active, one every 10–30 s; ${slotMs} ms slots`,
    );
    const report = await benchFalseFailover(profile, minutes, slotMs);
    const total = Object.values(report.faults).reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `\nfaults: ${total} (${Object.entries(report.faults)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')}); false failovers: ${report.falseFailovers}; judge violations: ${report.violations}\n` +
        `target: no false failover in ${report.minutes} min: ${report.falseFailovers === 0 ? 'met' : 'missed'}\n`,
    );
    printFooter();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
