/**
 * Host loss: the active's agent and validator killed together (`kill -9` of both, as when its
 * machine loses power or its network) → first vote of the new active. No agent is left to see
 * the exit, so only missed heartbeats tell; the manager then promotes past the unreachable old
 * active only on the proof rules (its guard bound expired and its vote account stopped voting,
 * docs/safety.md). The lost host does not come back, so every run starts a fresh stack. Each
 * loss lands at a random point of the heartbeat cycle.
 *
 * Usage: npm run bench:host-loss -w @failover/bench [-- --runs 20 --profile default,fast --slot-ms 400]
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '@failover/e2e';
import { toFailoverReport } from '@failover/e2e';
import {
  detectionBudgetMs,
  eventSince,
  failoverEnd,
  handoverAfter,
  startBenchStack,
  waitUntilSteady,
  type TimingProfile,
} from './bench-stack';
import { printFooter, printHeader } from './machine';
import { formatMs, summarize } from './stats';
import { markdownTable } from './table';
import { failoverProfiles } from './unplanned-failover';

/**
 * One measured host loss and failover. `heldBy` names the hold that stopped it instead: a
 * `stale-tower` when the lost active voted after its last tower backup landed (S2: no promotion
 * from a tower older than the vote account's last vote; an operator must act), and the timings
 * are then NaN.
 */
export interface HostLossSample {
  readonly heldBy: string | null;
  /** Loss → the manager's `failover-started`. */
  readonly detectionMs: number;
  /** `failover-started` → `failover-complete` (the proof, the tower restore, the promotion, verify voting). */
  readonly failoverMs: number;
  /** Loss → first landed vote of the new active. */
  readonly totalMs: number;
  /** Slots without a vote between the old active's last vote and the new one's first (judge). */
  readonly gapSlots: number;
}

async function measureOne(stack: Stack, profile: TimingProfile): Promise<HostLossSample> {
  const [lost, next] = stack.agents;
  await waitUntilSteady(stack, 0, 120_000);
  await sleep(Math.random() * profile.heartbeatMs);
  const lostSlot = await stack.cluster.slot();
  const lostAt = Date.now();
  await Promise.all([lost.process.kill(), lost.validator.crash()]);

  const bound = detectionBudgetMs(profile) + profile.requestTimeoutMs + 120_000;
  const staleTower = (line: Parameters<ReturnType<typeof eventSince>>[0]): boolean =>
    eventSince('blocked', lostAt)(line) &&
    (line.fields['cause'] as { kind?: unknown } | undefined)?.kind === 'stale-tower';
  const ended = await failoverEnd(stack, lostAt, bound, staleTower);
  if (ended !== undefined && staleTower(ended))
    return {
      heldBy: 'stale-tower',
      detectionMs: Number.NaN,
      failoverMs: Number.NaN,
      totalMs: Number.NaN,
      gapSlots: Number.NaN,
    };
  const report = ended === undefined ? undefined : toFailoverReport(ended);
  if (report?.outcome !== 'failover-complete')
    throw new Error(
      `the failover after the loss of ${lost.name}'s host did not complete: ${report?.message ?? 'no outcome within the bound'}`,
    );
  const started = stack.manager.log.all().find(eventSince('failover-started', lostAt));
  if (started === undefined) throw new Error('no failover-started event after the host loss');
  const startedAt = started.fields['at'] as number;
  const handover = await handoverAfter(stack, lost, next, lostAt, lostSlot);
  return {
    heldBy: null,
    detectionMs: startedAt - lostAt,
    failoverMs: report.at - startedAt,
    totalMs: handover.firstVoteMs - lostAt,
    gapSlots: handover.gapSlots,
  };
}

/** Runs `runs` host losses with `profile`, a fresh stack each; prints one line per run. */
export async function benchHostLoss(profile: TimingProfile, runs: number, slotMs: number): Promise<HostLossSample[]> {
  const samples: HostLossSample[] = [];
  let violations = 0;
  for (let run = 1; run <= runs; run++) {
    const stack = await startBenchStack(profile, { slotMs });
    try {
      const sample = await measureOne(stack, profile);
      samples.push(sample);
      if (sample.heldBy !== null)
        process.stdout.write(
          `  run ${String(run).padStart(2)}: held: ${sample.heldBy} (no promotion; see the method)\n`,
        );
      else
        process.stdout.write(
          `  run ${String(run).padStart(2)}: detection ${formatMs(sample.detectionMs)} ms, failover ${formatMs(sample.failoverMs)} ms; ` +
            `loss → vote ${formatMs(sample.totalMs)} ms; handover gap ${sample.gapSlots} slots\n`,
        );
      const found = await stack.cluster.judge.violations();
      violations += found.length;
      if (found.length > 0) process.stdout.write(`  judge: violations: ${JSON.stringify(found)}\n`);
    } finally {
      await stack.stop();
    }
  }
  process.stdout.write(`  judge: ${violations} violations over ${runs} host losses\n`);
  return samples;
}

/** The result table of one profile. */
export function hostLossTable(profile: TimingProfile, samples: readonly HostLossSample[]): string {
  const row = (name: string, pick: (s: HostLossSample) => number): string[] => {
    const s = summarize(samples.filter((sample) => sample.heldBy === null).map(pick));
    return [name, formatMs(s.median), formatMs(s.p95), formatMs(s.min), formatMs(s.max)];
  };
  const budget = detectionBudgetMs(profile);
  const held = samples.filter((s) => s.heldBy !== null);
  const completed = samples.filter((s) => s.heldBy === null);
  const total = summarize(completed.map((s) => s.totalMs));
  const table = markdownTable(
    ['part (ms unless noted)', 'median', 'p95', 'min', 'max'],
    [
      row(
        'detection and proof: loss → manager decides (missed heartbeats, then the stopped-voting proof)',
        (s) => s.detectionMs,
      ),
      row('failover: started → complete (proof, restore, promotion, verify voting)', (s) => s.failoverMs),
      row('**host loss → first vote**', (s) => s.totalMs),
      row('judge handover gap, slots', (s) => s.gapSlots),
    ],
  );
  const verdict = total.p95 <= budget + 500 ? 'met' : 'missed';
  const heldLine = `${completed.length} of ${samples.length} runs promoted; held: ${held.length} (${held.map((s) => s.heldBy).join(', ') || 'none'})`;
  return `${table}\n\n${heldLine}\ntarget: host loss → first vote ≤ detection budget (${profile.misses} × ${profile.heartbeatMs} ms = ${budget} ms) + 500 ms = ${budget + 500} ms at p95; p95 ${formatMs(total.p95)} ms, median ${formatMs(total.median)} ms: ${verdict}`;
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { runs: { type: 'string' }, profile: { type: 'string' }, 'slot-ms': { type: 'string' } },
  });
  const runs = Number(values.runs ?? 20);
  const slotMs = Number(values['slot-ms'] ?? 400);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${values.runs}'`);
  if (!Number.isInteger(slotMs) || slotMs < 20)
    throw new Error(`--slot-ms: expected an integer ≥ 20, got '${values['slot-ms']}'`);
  for (const profile of failoverProfiles(values.profile)) {
    printHeader(
      `Host loss — ${profile.name}`,
      `${profile.label}; ${runs} runs, a fresh stack each; ${slotMs} ms slots`,
    );
    const samples = await benchHostLoss(profile, runs, slotMs);
    process.stdout.write(`\n${hostLossTable(profile, samples)}\n`);
    printFooter();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
