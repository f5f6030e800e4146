/**
 * Planned switchover: `failover-manager switchover --reason …`, through the manager's control
 * API as the CLI sends it. Measures the voting gap (the simulator judge's handover: last landed
 * vote of the old active → first of the new) and the manager's orchestration overhead: its
 * time minus the time spent inside the two identity commands (set-identity to the unstaked key
 * on the old active, set-identity --require-tower on the new), which are the validator's work,
 * not the manager's.
 *
 * Usage: npm run bench:switchover -w @failover/bench [-- --runs 20 --profile default --slot-ms 400 --alpenglow]
 *
 * With `--alpenglow` the stack switches to Alpenglow first, and every switchover carries the
 * vote history.
 */
import { parseArgs } from 'node:util';
import { requestSwitchover } from '@failover/manager';
import type { SwitchoverLine } from '@failover/protocol';
import type { Stack } from '@failover/e2e';
import { demotionSince, promotionSince } from './agent-log';
import { agentLog, startBenchStack, timingProfile, waitUntilSteady, type TimingProfile } from './bench-stack';
import { printFooter, printHeader } from './machine';
import { formatMs, summarize } from './stats';
import { markdownTable } from './table';

/** One measured switchover. */
export interface SwitchoverSample {
  readonly from: string;
  readonly to: string;
  /** The manager's `total_ms`: accepted → done, every step including verify voting. */
  readonly totalMs: number;
  /** Each step's time as the manager streamed it, by step label without the node name. */
  readonly steps: Readonly<Record<string, number>>;
  /** `identity_remove_command` on the old active plus `identity_change_command` on the new. */
  readonly identityCommandsMs: number;
  /** totalMs − identityCommandsMs. */
  readonly overheadMs: number;
  /**
   * The critical path: old active's demotion start → new active's set-identity done, minus the
   * two identity commands. The voting gap is this plus the commands plus the first vote.
   */
  readonly criticalOverheadMs: number;
  /** The new active's whole role change by its own clock: restore, set-identity, symlink, confirm. */
  readonly agentPromoteMs: number;
  /** Of which the tower restore. */
  readonly towerRestoreMs: number;
  readonly gapSlots: number;
  readonly gapMs: number;
}

async function measureOne(stack: Stack, from: 0 | 1): Promise<SwitchoverSample> {
  const to = from === 0 ? 1 : 0;
  const [oldActive, newActive] = [stack.agents[from], stack.agents[to]];
  await waitUntilSteady(stack, from, 120_000);
  const startSlot = await stack.cluster.slot();
  const requestedAt = Date.now();
  const lines: SwitchoverLine[] = [];
  for await (const line of requestSwitchover(stack.manager.control, {
    reason: 'benchmark: planned switchover',
    wait_for_leader_gap_slots: 0,
  }))
    lines.push(line);
  const done = lines.find((l) => l.type === 'done');
  if (done?.type !== 'done' || done.outcome !== 'completed') {
    const refused = lines.find((l) => l.type === 'refused');
    throw new Error(`the switchover did not complete: ${JSON.stringify(done ?? refused ?? lines.at(-1))}`);
  }
  const steps: Record<string, number> = {};
  for (const line of lines) {
    if (line.type === 'step-finished') {
      const key = line.step.replace(/ validator[12]\b/, '').replace(/ \(via agent\)/, '');
      steps[key] = (steps[key] ?? 0) + line.ms;
    }
  }
  const demotion = demotionSince(agentLog(stack, oldActive), requestedAt);
  const promotion = promotionSince(agentLog(stack, newActive), requestedAt);
  if (demotion === undefined || promotion === undefined)
    throw new Error(
      `the agents' logs lack the ${demotion === undefined ? 'demotion' : 'promotion'} of this switchover`,
    );
  // The first vote of the new active must land before the gap can be read.
  let handover;
  for (let i = 0; i < 50 && handover === undefined; i++) {
    handover = (await stack.cluster.judge.gaps()).handovers.find(
      (g) => g.fromValidator === oldActive.name && g.toValidator === newActive.name && (g.toSlot ?? 0) > startSlot,
    );
    if (handover === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const identityCommandsMs = demotion.removeIdentityMs + promotion.setIdentityMs;
  return {
    from: oldActive.name,
    to: newActive.name,
    totalMs: done.total_ms,
    steps,
    identityCommandsMs,
    overheadMs: done.total_ms - identityCommandsMs,
    criticalOverheadMs: promotion.setIdentityEndedAt - demotion.startedAt - identityCommandsMs,
    agentPromoteMs: promotion.roleChangeMs ?? Number.NaN,
    towerRestoreMs: promotion.towerRestoreMs,
    gapSlots: handover?.slots ?? Number.NaN,
    gapMs: handover?.ms ?? Number.NaN,
  };
}

/** Runs `runs` switchovers, alternating direction; prints one line per run. */
export async function benchPlannedSwitchover(
  profile: TimingProfile,
  runs: number,
  slotMs: number,
  alpenglow = false,
): Promise<SwitchoverSample[]> {
  const stack = await startBenchStack(profile, { slotMs, alpenglow });
  const samples: SwitchoverSample[] = [];
  try {
    let active: 0 | 1 = 0;
    for (let run = 1; run <= runs; run++) {
      const s = await measureOne(stack, active);
      samples.push(s);
      const steps = Object.entries(s.steps)
        .map(([step, ms]) => `${step} ${ms}`)
        .join(', ');
      process.stdout.write(
        `  run ${String(run).padStart(2)}: ${s.from}→${s.to} gap ${s.gapSlots} slots / ${formatMs(s.gapMs)} ms; total ${s.totalMs} ms, identity commands ${s.identityCommandsMs} ms, ` +
          `overhead ${s.overheadMs} ms (critical path ${s.criticalOverheadMs} ms); agent promotion ${formatMs(s.agentPromoteMs)} ms; steps: ${steps}\n`,
      );
      active = active === 0 ? 1 : 0;
    }
    const violations = await stack.cluster.judge.violations();
    process.stdout.write(
      `  judge: ${violations.length} violations over ${runs} switchovers${violations.length > 0 ? `: ${JSON.stringify(violations)}` : ''}\n`,
    );
  } finally {
    await stack.stop();
  }
  return samples;
}

/** The result table: gap, totals, overheads and each step, median and p95. */
export function switchoverTable(samples: readonly SwitchoverSample[], slotMs: number): string {
  const row = (name: string, values: readonly number[]): string[] => {
    const s = summarize(values);
    return [name, formatMs(s.median), formatMs(s.p95), formatMs(s.min), formatMs(s.max)];
  };
  const stepNames = [...new Set(samples.flatMap((s) => Object.keys(s.steps)))];
  const gap = summarize(samples.map((s) => s.gapSlots));
  const overhead = summarize(samples.map((s) => s.overheadMs));
  const critical = summarize(samples.map((s) => s.criticalOverheadMs));
  const table = markdownTable(
    ['quantity (ms unless noted)', 'median', 'p95', 'min', 'max'],
    [
      row(
        '**voting gap, slots** (judge)',
        samples.map((s) => s.gapSlots),
      ),
      row(
        'voting gap, ms (judge)',
        samples.map((s) => s.gapMs),
      ),
      row(
        'switchover total (manager, accepted → done)',
        samples.map((s) => s.totalMs),
      ),
      ...stepNames.map((step) =>
        row(
          `  step: ${step}`,
          samples.map((s) => s.steps[step] ?? 0),
        ),
      ),
      row(
        '  new active, by its agent: whole role change',
        samples.map((s) => s.agentPromoteMs),
      ),
      row(
        '  new active, by its agent: tower (and vote history) restore',
        samples.map((s) => s.towerRestoreMs),
      ),
      row(
        'identity commands (remove + set-identity)',
        samples.map((s) => s.identityCommandsMs),
      ),
      row(
        '**orchestration overhead** (total − identity commands)',
        samples.map((s) => s.overheadMs),
      ),
      row(
        'critical-path overhead (demote start → set-identity done − commands)',
        samples.map((s) => s.criticalOverheadMs),
      ),
    ],
  );
  return (
    `${table}\n\n` +
    `target: 0 slots without a vote (${slotMs} ms slots) at p99 over ${samples.length} runs (the target asks 50): p99 ${gap.p99} slots, median ${gap.median}: ${gap.p99 <= 0 ? 'met' : 'missed'}\n` +
    `target: critical-path overhead ≤ 50 ms at p95: p95 ${formatMs(critical.p95)} ms: ${critical.p95 <= 50 ? 'met' : 'missed'} ` +
    `(verify voting runs after set-identity, off the critical path; with it the orchestration overhead p95 is ${formatMs(overhead.p95)} ms)`
  );
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string' },
      profile: { type: 'string' },
      'slot-ms': { type: 'string' },
      alpenglow: { type: 'boolean' },
    },
  });
  const alpenglow = values.alpenglow === true;
  const runs = Number(values.runs ?? 20);
  const slotMs = Number(values['slot-ms'] ?? 400);
  const name = values.profile ?? 'default';
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${values.runs}'`);
  if (!Number.isInteger(slotMs) || slotMs < 20)
    throw new Error(`--slot-ms: expected an integer ≥ 20, got '${values['slot-ms']}'`);
  if (name !== 'default' && name !== 'go' && name !== 'fast')
    throw new Error(`--profile: unknown profile '${name}' (default, go, fast)`);
  const profile = timingProfile(name);
  printHeader(
    `Planned switchover${alpenglow ? ', Alpenglow' : ''}`,
    `${profile.label}; ${runs} runs; ${slotMs} ms slots; wait_for_leader_gap_slots 0`,
  );
  const samples = await benchPlannedSwitchover(profile, runs, slotMs, alpenglow);
  process.stdout.write(`\n${switchoverTable(samples, slotMs)}\n`);
  printFooter();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
