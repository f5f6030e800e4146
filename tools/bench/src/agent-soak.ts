/**
 * Agent memory over a long run, once per tower store: a fresh stack per store at the project's
 * default timing, the pair steady (v1 active, backing its tower up as it votes; v2 passive), the
 * manager asking both agents for `/status` at its heartbeat interval as it does in production.
 * Each agent's VmRSS is read every `--sample-seconds` for `--minutes`; the target is at most
 * 10^8 bytes (100 MB) at every sample.
 *
 * Usage: npm run bench:soak -w @failover/bench [-- --minutes 10 --stores directory,etcd,command --sample-seconds 2]
 */
import { parseArgs } from 'node:util';
import type { Stack } from '@failover/e2e';
import {
  BENCH_TOWER_STORES,
  startBenchStack,
  timingProfile,
  waitUntilSteady,
  type BenchTowerStore,
} from './bench-stack';
import { numberOption, towerStoreOption } from './cli-options';
import { printFooter, printHeader } from './machine';
import type { ProcSample } from './proc-stats';
import { sampleUsage, type ProgramUsage } from './resource-usage';
import { percentile } from './stats';
import { markdownTable } from './table';

/** The agent RSS target: 100 MB. */
export const AGENT_RSS_LIMIT_BYTES = 100e6;

/** The settings of one soak. */
export interface SoakSettings {
  readonly minutes: number;
  readonly stores: readonly BenchTowerStore[];
  readonly sampleSeconds: number;
  readonly slotMs: number;
}

/** Parses the command line; throws with the option's name when a value is wrong. */
export function parseSoakArgs(argv: readonly string[]): SoakSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string' },
      stores: { type: 'string' },
      'sample-seconds': { type: 'string' },
      'slot-ms': { type: 'string' },
    },
  });
  const minutes = numberOption('--minutes', values.minutes, 10, { min: 0, inclusive: false });
  const sampleSeconds = numberOption('--sample-seconds', values['sample-seconds'], 2, { min: 0.5, inclusive: true });
  const slotMs = numberOption('--slot-ms', values['slot-ms'], 400, { min: 50, inclusive: true });
  const stores = (values.stores ?? BENCH_TOWER_STORES.join(','))
    .split(',')
    .map((store) => towerStoreOption('--stores', store.trim()));
  return { minutes, stores, sampleSeconds, slotMs };
}

/** What one agent's RSS did over a soak. */
export interface SoakSummary {
  readonly samples: number;
  readonly medianBytes: number;
  readonly maxBytes: number;
  /** VmHWM at the last sample: the kernel's peak, including moments between samples. */
  readonly peakBytes: number;
  /** Median over the first and over the last tenth of the samples: a leak shows as a rise. */
  readonly firstTenthMedianBytes: number;
  readonly lastTenthMedianBytes: number;
  /** Samples above the limit. */
  readonly over: number;
}

/** Summarises one agent's samples against `limitBytes`. */
export function summarizeSoak(samples: readonly ProcSample[], limitBytes = AGENT_RSS_LIMIT_BYTES): SoakSummary {
  if (samples.length === 0) throw new Error('no samples to summarise');
  const rss = samples.map((s) => s.rssBytes);
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  return {
    samples: rss.length,
    medianBytes: percentile(rss, 50),
    maxBytes: Math.max(...rss),
    peakBytes: samples.at(-1)!.peakRssBytes,
    firstTenthMedianBytes: percentile(rss.slice(0, tenth), 50),
    lastTenthMedianBytes: percentile(rss.slice(-tenth), 50),
    over: rss.filter((bytes) => bytes > limitBytes).length,
  };
}

/** Bytes as MB (10^6 bytes, the unit of the target) with one decimal. */
export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** One row per agent and store. */
export function soakTable(rows: ReadonlyArray<{ store: BenchTowerStore; usage: ProgramUsage }>): string {
  return markdownTable(
    [
      'tower store',
      'agent',
      'samples',
      'RSS p50 (MB)',
      'RSS max (MB)',
      'VmHWM (MB)',
      'first → last tenth p50 (MB)',
      'every sample ≤ 100 MB',
    ],
    rows.map(({ store, usage }) => {
      const s = summarizeSoak(usage.samples);
      return [
        store,
        usage.name,
        String(s.samples),
        mb(s.medianBytes),
        mb(s.maxBytes),
        mb(s.peakBytes),
        `${mb(s.firstTenthMedianBytes)} → ${mb(s.lastTenthMedianBytes)}`,
        s.over === 0 ? 'yes' : `no (${s.over} over)`,
      ];
    }),
  );
}

/** The manager's view at the end: a soak with a failover in it did not measure a steady pair. */
async function describeManager(stack: Stack): Promise<string> {
  const status = await stack.manager.status();
  const nodes = status.nodes.map((n) => `${n.node} ${n.healthy ? 'healthy' : 'unhealthy'}`).join(', ');
  return `manager at end: ${status.state}, active ${status.active ?? 'none'}, ${nodes}`;
}

async function soakOne(
  store: BenchTowerStore,
  settings: SoakSettings,
): Promise<Array<{ store: BenchTowerStore; usage: ProgramUsage }>> {
  const profile = timingProfile('default');
  printHeader(
    `Agent memory soak: ${store} tower store`,
    `${profile.label} (the manager asks each agent for /status every ${profile.heartbeatMs} ms); pair steady (v1 active, v2 passive); ${settings.slotMs} ms slots; VmRSS from /proc/PID/status every ${settings.sampleSeconds} s for ${settings.minutes} min; MB = 10^6 bytes`,
  );
  const stack = await startBenchStack(profile, { slotMs: settings.slotMs, towerStore: store });
  try {
    await waitUntilSteady(stack, 0, 120_000);
    const usage = await sampleUsage(
      [
        { name: 'v1 (active)', process: stack.agents[0].process },
        { name: 'v2 (passive)', process: stack.agents[1].process },
      ],
      settings.minutes * 60,
      settings.sampleSeconds * 1000,
    );
    const rows = usage.map((u) => ({ store, usage: u }));
    process.stdout.write(`${soakTable(rows)}\n\n${await describeManager(stack)}\n`);
    return rows;
  } finally {
    await stack.stop();
    printFooter();
  }
}

/** Runs the soak from the command line: one stack per store, one after another. */
export async function main(argv: readonly string[]): Promise<void> {
  const settings = parseSoakArgs(argv);
  const rows: Array<{ store: BenchTowerStore; usage: ProgramUsage }> = [];
  for (const store of settings.stores) rows.push(...(await soakOne(store, settings)));
  const met = rows.every(({ usage }) => summarizeSoak(usage.samples).over === 0);
  process.stdout.write(
    `\n## Agent memory soak: all stores\n\n${soakTable(rows)}\n\ntarget: agent RSS ≤ 100 MB (10^8 bytes) at every sample, every store: ${met ? 'met' : 'missed'}\n`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
