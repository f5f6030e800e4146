/**
 * Memory and CPU of both agents and the manager at the default heartbeat interval, with the
 * pair steady (v1 active and voting, v2 passive): one /proc reading per second for `--seconds`.
 *
 * Usage: npm run bench:resources -w @failover/bench [-- --seconds 60 --slot-ms 400]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ManagedProcess } from '@failover/e2e';
import { startBenchStack, timingProfile, waitUntilSteady } from './bench-stack';
import { printFooter, printHeader } from './machine';
import { cpuPercent, mib, readProc, type ProcSample } from './proc-stats';
import { formatNumber } from './stats';
import { markdownTable } from './table';

/** The readings of one program over the sampling window. */
export interface ProgramUsage {
  readonly name: string;
  readonly samples: readonly ProcSample[];
}

/** Samples `programs` every `intervalMs` (once per second by default) for `seconds`. */
export async function sampleUsage(
  programs: ReadonlyArray<{ name: string; process: Pick<ManagedProcess, 'pid'> }>,
  seconds: number,
  intervalMs = 1000,
): Promise<ProgramUsage[]> {
  const usage = programs.map((p) => ({ name: p.name, pid: p.process.pid, samples: [] as ProcSample[] }));
  for (const u of usage) if (u.pid === undefined) throw new Error(`${u.name} is not running`);
  const end = Date.now() + seconds * 1000;
  while (Date.now() <= end) {
    for (const u of usage) u.samples.push(readProc(u.pid!));
    await sleep(intervalMs);
  }
  return usage;
}

/** The table: RSS now and at peak, CPU of the process and with the commands it ran. */
export function usageTable(usage: readonly ProgramUsage[]): string {
  return markdownTable(
    [
      'program',
      'RSS at end (MiB)',
      'RSS max sampled (MiB)',
      'peak RSS, VmHWM (MiB)',
      'CPU % of one core',
      'CPU % incl. commands it ran',
    ],
    usage.map((u) => {
      const first = u.samples[0]!;
      const last = u.samples.at(-1)!;
      return [
        u.name,
        mib(last.rssBytes),
        mib(Math.max(...u.samples.map((s) => s.rssBytes))),
        mib(last.peakRssBytes),
        formatNumber(cpuPercent(first, last), 2),
        formatNumber(cpuPercent(first, last, true), 2),
      ];
    }),
  );
}

/** Runs the benchmark from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { seconds: { type: 'string' }, 'slot-ms': { type: 'string' } },
  });
  const seconds = Number(values.seconds ?? 60);
  const slotMs = Number(values['slot-ms'] ?? 400);
  if (!(seconds >= 5)) throw new Error(`--seconds: expected a number ≥ 5, got '${values.seconds}'`);
  const profile = timingProfile('default');
  printHeader(
    'Agent and manager resource use',
    `${profile.label}; pair steady (v1 active, v2 passive); ${slotMs} ms slots; sampled every 1 s for ${seconds} s from /proc/PID/status and /proc/PID/stat`,
  );
  const stack = await startBenchStack(profile, { slotMs });
  try {
    await waitUntilSteady(stack, 0, 120_000);
    const usage = await sampleUsage(
      [
        { name: 'agent v1 (active)', process: stack.agents[0].process },
        { name: 'agent v2 (passive)', process: stack.agents[1].process },
        { name: 'manager', process: stack.manager.process },
      ],
      seconds,
    );
    process.stdout.write(
      `${usageTable(usage)}\n\ntarget: agent RSS ≤ 100 MB (10^8 bytes) at every sample: ${usage.slice(0, 2).every((u) => u.samples.every((s) => s.rssBytes <= 100e6)) ? 'met' : 'missed'}\n`,
    );
  } finally {
    await stack.stop();
  }
  printFooter();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
