/**
 * What one probe of the validator process costs on a busy host: `--processes` idle processes
 * are started beside one named like the validator, and the agent's process probe is timed, once
 * scanning /proc whole at every probe (`fullScanMs: 0`) and once as the agent runs it, following
 * the validator by its PID between full scans (every 2 s at a probe every 400 ms, the agent's
 * sampling interval). Wall time of each `probe()`, and the process's CPU time per probe.
 *
 * Usage: npm run bench:process-probe -w @failover/bench [-- --processes 500 --probes 200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createProcessProbe } from '@failover/agent';
import { SimulatedClock } from '@failover/core/testing';
import { printFooter, printHeader } from './machine';
import { formatNumber, summarize } from './stats';
import { markdownTable } from './table';

/** The agent's sampling interval: a probe every 400 ms. */
const PROBE_INTERVAL_MS = 400;

function startIdle(count: number, validatorName: string): ChildProcess[] {
  const idle = Array.from({ length: count }, () => spawn('sleep', ['3600'], { stdio: 'ignore' }));
  const validator = spawn(
    process.execPath,
    ['-e', `process.title = ${JSON.stringify(validatorName)}; setInterval(() => {}, 1000);`],
    { stdio: 'ignore' },
  );
  return [...idle, validator];
}

async function timeProbes(
  validatorName: string,
  fullScanMs: number | undefined,
  probes: number,
): Promise<{ wallMs: number[]; cpuMsPerProbe: number }> {
  // Simulated time, advanced one interval per probe: the probes run back to back.
  const clock = new SimulatedClock(0);
  const probe = createProcessProbe({
    processName: validatorName,
    clock,
    ...(fullScanMs === undefined ? {} : { fullScanMs }),
  });
  if (!(await probe.probe()).running) throw new Error(`${validatorName} is not running`);
  const wallMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < probes; i++) {
    clock.advance(PROBE_INTERVAL_MS);
    const start = process.hrtime.bigint();
    const snapshot = await probe.probe();
    wallMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!snapshot.running) throw new Error(`${validatorName} stopped during the run`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs, cpuMsPerProbe: (cpu.user + cpu.system) / 1000 / probes };
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { processes: { type: 'string' }, probes: { type: 'string' } },
  });
  const count = Number(values.processes ?? 500);
  const probes = Number(values.probes ?? 200);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`--processes: expected an integer ≥ 0, got '${values.processes}'`);
  if (!Number.isInteger(probes) || probes < 1)
    throw new Error(`--probes: expected a positive integer, got '${values.probes}'`);
  const validatorName = `probe-${randomBytes(3).toString('hex')}`;
  const children = startIdle(count, validatorName);
  try {
    // Let every child reach exec, so the scans see the processes they will see in production.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const onHost = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
    printHeader(
      'Process probe cost',
      `${onHost} processes on the host (${count} idle ones started for the run, and one named like the validator); ${probes} probes each, one per ${PROBE_INTERVAL_MS} ms of simulated time, run back to back`,
    );
    const rows = [];
    for (const [label, fullScanMs] of [
      ['scan of /proc at every probe (fullScanMs 0)', 0],
      ['as the agent runs it (full scan every 2 s, the PID between)', undefined],
    ] as const) {
      const { wallMs, cpuMsPerProbe } = await timeProbes(validatorName, fullScanMs, probes);
      const s = summarize(wallMs);
      rows.push([label, formatNumber(s.median, 2), formatNumber(s.p95, 2), cpuMsPerProbe.toFixed(2)]);
    }
    process.stdout.write(`${markdownTable(['probe', 'wall p50 (ms)', 'wall p95 (ms)', 'CPU per probe (ms)'], rows)}\n`);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    printFooter();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
