/**
 * Agent `/status` latency under load: signed `POST /status` at 200 requests/s for 30 s from a
 * separate process (src/status-load.ts), against the active agent and then the passive one,
 * with the manager's own heartbeats running as usual. `GET /health` (no validator probe, no
 * authentication) at the same rate is the baseline that shows what the HTTP stack alone costs.
 *
 * Usage: npm run bench:status -w @failover/bench [-- --rate 200 --seconds 30]
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Stack, StackAgent } from '@failover/e2e';
import { startBenchStack, timingProfile, waitUntilSteady } from './bench-stack';
import { printFooter, printHeader } from './machine';
import { cpuPercent, readProc } from './proc-stats';
import { formatNumber, summarize } from './stats';
import type { LoadResult } from './status-load';
import { markdownTable } from './table';

const LOAD_SCRIPT = path.join(__dirname, 'status-load.ts');
// Run from the repository root, as the bench scripts are: the packages then load from their
// builds (what the agent and manager processes run), not from sources under edit.
const REPO = path.resolve(__dirname, '../../..');

/** One load run against one agent. */
export interface LatencyRun {
  readonly target: string;
  readonly result: LoadResult;
  /** The agent's own CPU during the run, % of one core. */
  readonly agentCpuPercent: number;
}

function runLoadProcess(args: readonly string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', LOAD_SCRIPT, ...args],
      { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the load generator failed: ${stderr.trim() || error.message}`));
        else resolve(JSON.parse(stdout) as LoadResult);
      },
    );
  });
}

async function measure(
  stack: Stack,
  agent: StackAgent,
  endpoint: 'status' | 'health',
  rate: number,
  seconds: number,
): Promise<LatencyRun> {
  const pid = agent.process.pid;
  if (pid === undefined) throw new Error(`agent ${agent.name} is not running`);
  const before = readProc(pid);
  const result = await runLoadProcess([
    '--url',
    agent.url,
    '--secret-file',
    stack.secretPath,
    '--endpoint',
    endpoint,
    '--rate',
    String(rate),
    '--seconds',
    String(seconds),
  ]);
  return {
    target: `${endpoint === 'status' ? 'POST /status' : 'GET /health'} → agent ${agent.name}`,
    result,
    agentCpuPercent: cpuPercent(before, readProc(pid)),
  };
}

/** The table: one row per run. */
export function latencyTable(runs: readonly LatencyRun[]): string {
  return markdownTable(
    ['target', 'answered', 'failed', 'skipped', 'achieved req/s', 'p50 ms', 'p99 ms', 'max ms', 'agent CPU %'],
    runs.map(({ target, result, agentCpuPercent }) => {
      const s = summarize(result.latenciesMs);
      return [
        target,
        String(result.ok),
        String(result.failed),
        String(result.skipped),
        formatNumber((1000 * (result.ok + result.failed)) / result.elapsedMs, 0),
        formatNumber(s.median, 2),
        formatNumber(s.p99, 2),
        formatNumber(s.max, 1),
        formatNumber(agentCpuPercent, 0),
      ];
    }),
  );
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { rate: { type: 'string' }, seconds: { type: 'string' }, 'slot-ms': { type: 'string' } },
  });
  const rate = Number(values.rate ?? 200);
  const seconds = Number(values.seconds ?? 30);
  const slotMs = Number(values['slot-ms'] ?? 400);
  if (!(rate > 0 && rate <= 2000)) throw new Error(`--rate: expected 1–2000 requests/s, got '${values.rate}'`);
  if (!(seconds > 0 && seconds <= 600)) throw new Error(`--seconds: expected 1–600, got '${values.seconds}'`);
  const profile = timingProfile('default');
  const processes = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  printHeader(
    'Agent /status latency',
    `${rate} signed requests/s for ${seconds} s per row from a separate process, open loop, at most 100 in flight; ${profile.label}; ${slotMs} ms slots; ${processes} processes on the host (the probe scans /proc)`,
  );
  const stack = await startBenchStack(profile, { slotMs });
  const runs: LatencyRun[] = [];
  try {
    await waitUntilSteady(stack, 0, 120_000);
    for (const [agent, endpoint] of [
      [stack.agents[0], 'health'],
      [stack.agents[0], 'status'],
      [stack.agents[1], 'status'],
    ] as const) {
      const run = await measure(stack, agent, endpoint, rate, seconds);
      runs.push(run);
      if (run.result.failures.length > 0)
        process.stdout.write(`  ${run.target}: failures: ${run.result.failures.join(' | ')}\n`);
    }
    // The manager's own heartbeats share the agents with the load: a failover it started means
    // the load made an agent miss heartbeats, which an operator must know before polling /status hard.
    const failovers = stack.manager.log.events('failover-started').length;
    process.stdout.write(`  manager failovers started during the load: ${failovers}\n`);
  } finally {
    await stack.stop();
  }
  const status = runs.filter((r) => r.target.startsWith('POST'));
  const worst = Math.max(...status.map((r) => summarize(r.result.latenciesMs).p99));
  process.stdout.write(
    `${latencyTable(runs)}\n\ntarget: /status p99 ≤ 10 ms: worst p99 ${formatNumber(worst, 2)} ms: ${worst <= 10 ? 'met' : 'missed'}\n`,
  );
  printFooter();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
