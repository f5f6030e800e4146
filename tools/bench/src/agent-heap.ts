/**
 * Whether an agent's memory grows, and what holds it: heap snapshots of both agents of a steady
 * pair, one after a warm-up and one `--minutes` later, compared by what the live objects are.
 * A snapshot is taken after a full garbage collection, so it holds only what is still
 * reachable: a leak shows as objects of one kind piling up from the first to the second, where
 * a heap that merely has not been collected yet (the rise a soak of RSS alone cannot tell apart
 * from a leak) shows as nothing.
 *
 * The agents are started with `--heapsnapshot-signal=SIGUSR2` (through NODE_OPTIONS, which
 * every process of the stack inherits) and signalled; a snapshot stops its agent for a second
 * or two and leaves its RSS higher, so this is a diagnosis, not a run of record for the soak.
 *
 * Usage: npm run bench:agent-heap -w @failover/bench [-- --minutes 20 --store etcd --warmup-seconds 60]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { mb } from './agent-soak';
import { startBenchStack, timingProfile, waitUntilSteady, type BenchTowerStore } from './bench-stack';
import { numberOption, towerStoreOption } from './cli-options';
import { printFooter, printHeader } from './machine';
import { readProc } from './proc-stats';
import { markdownTable } from './table';

/** The settings of one run. */
export interface HeapSettings {
  readonly minutes: number;
  readonly store: BenchTowerStore;
  readonly warmupSeconds: number;
  readonly slotMs: number;
}

/** Parses the command line; throws with the option's name when a value is wrong. */
export function parseHeapArgs(argv: readonly string[]): HeapSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string' },
      store: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'slot-ms': { type: 'string' },
    },
  });
  const minutes = numberOption('--minutes', values.minutes, 20, { min: 0, inclusive: false });
  const warmupSeconds = numberOption('--warmup-seconds', values['warmup-seconds'], 60, { min: 0, inclusive: true });
  const slotMs = numberOption('--slot-ms', values['slot-ms'], 400, { min: 50, inclusive: true });
  const store = towerStoreOption('--store', values.store ?? 'etcd');
  return { minutes, store, warmupSeconds, slotMs };
}

/** The part of V8's `.heapsnapshot` JSON read here. */
export interface HeapSnapshotJson {
  readonly snapshot: {
    readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly unknown[] };
  };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/** Live objects of one kind: how many and their own (shallow) bytes. */
export interface HeapGroup {
  readonly count: number;
  readonly bytes: number;
}

/** A snapshot reduced to its totals and its objects grouped by kind. */
export interface HeapSummary {
  readonly count: number;
  readonly bytes: number;
  readonly groups: ReadonlyMap<string, HeapGroup>;
}

/**
 * The kind an object is counted under: its constructor for an object, its own name for a
 * native or hidden one; strings, closures, code and numbers each as one kind.
 */
function kindOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'array':
    case 'hidden':
    case 'synthetic':
      return `(${type}) ${name}`;
    default:
      return `(${type})`;
  }
}

/** Groups a snapshot's nodes by kind; throws when the file is not a V8 heap snapshot. */
export function summarizeHeapSnapshot(json: HeapSnapshotJson): HeapSummary {
  const fields = json.snapshot?.meta?.node_fields;
  const types = json.snapshot?.meta?.node_types?.[0];
  if (!Array.isArray(fields) || !Array.isArray(types) || !Array.isArray(json.nodes)) {
    throw new Error('not a V8 heap snapshot: no snapshot.meta.node_fields, node_types or nodes');
  }
  const at = (field: string): number => {
    const index = fields.indexOf(field);
    if (index < 0) throw new Error(`not a V8 heap snapshot: its nodes have no '${field}' field`);
    return index;
  };
  const [typeAt, nameAt, sizeAt] = [at('type'), at('name'), at('self_size')];
  const groups = new Map<string, { count: number; bytes: number }>();
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < json.nodes.length; i += fields.length) {
    const kind = kindOf(String(types[json.nodes[i + typeAt]!]), json.strings[json.nodes[i + nameAt]!] ?? '');
    const size = json.nodes[i + sizeAt]!;
    const group = groups.get(kind) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += size;
    groups.set(kind, group);
    count += 1;
    bytes += size;
  }
  return { count, bytes, groups };
}

/** How one kind changed from `before` to `after`. */
export interface HeapGrowth {
  readonly kind: string;
  readonly countBefore: number;
  readonly countAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** The `top` kinds whose bytes changed most, in either direction, largest change first. */
export function heapGrowth(before: HeapSummary, after: HeapSummary, top = 12): HeapGrowth[] {
  const none: HeapGroup = { count: 0, bytes: 0 };
  const kinds = new Set([...before.groups.keys(), ...after.groups.keys()]);
  return [...kinds]
    .map((kind) => {
      const b = before.groups.get(kind) ?? none;
      const a = after.groups.get(kind) ?? none;
      return { kind, countBefore: b.count, countAfter: a.count, bytesBefore: b.bytes, bytesAfter: a.bytes };
    })
    .filter((g) => g.bytesAfter !== g.bytesBefore || g.countAfter !== g.countBefore)
    .sort((x, y) => Math.abs(y.bytesAfter - y.bytesBefore) - Math.abs(x.bytesAfter - x.bytesBefore))
    .slice(0, top);
}

const kb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / 1e3).toFixed(1)}`;

/** The kinds that changed most, as a table. */
export function growthTable(growth: readonly HeapGrowth[]): string {
  return markdownTable(
    ['kind', 'objects', 'Δ objects', 'kB', 'Δ kB'],
    growth.map((g) => [
      g.kind.length > 60 ? `${g.kind.slice(0, 57)}...` : g.kind,
      `${g.countBefore} → ${g.countAfter}`,
      `${g.countAfter - g.countBefore >= 0 ? '+' : ''}${g.countAfter - g.countBefore}`,
      `${(g.bytesBefore / 1e3).toFixed(1)} → ${(g.bytesAfter / 1e3).toFixed(1)}`,
      kb(g.bytesAfter - g.bytesBefore),
    ]),
  );
}

/** Signals `pid` to write a heap snapshot into `dir` and reads it once it is whole. */
async function snapshotOf(pid: number, dir: string): Promise<HeapSummary> {
  // Node.js names them Heap.<date>.<time>.<pid>.<thread>.<sequence>.heapsnapshot.
  const mine = (): string[] =>
    readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && f.split('.')[3] === String(pid));
  const before = new Set(mine());
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 120_000;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const file = mine().find((f) => !before.has(f));
    if (file === undefined) continue;
    const size = statSync(path.join(dir, file)).size;
    // Written in one go on the agent's main thread: whole once its size holds still.
    if (size > 0 && size === lastSize) {
      const json = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as HeapSnapshotJson;
      await rm(path.join(dir, file));
      return summarizeHeapSnapshot(json);
    }
    lastSize = size;
  }
  throw new Error(`process ${pid} wrote no heap snapshot into ${dir} within 120 s of SIGUSR2`);
}

/** Runs the comparison from the command line. */
export async function main(argv: readonly string[]): Promise<void> {
  const settings = parseHeapArgs(argv);
  const dir = await mkdtemp(path.join(tmpdir(), 'failover-heap-'));
  process.env['NODE_OPTIONS'] = [
    process.env['NODE_OPTIONS'],
    '--heapsnapshot-signal=SIGUSR2',
    `--diagnostic-dir=${dir}`,
  ]
    .filter((o) => o !== undefined && o !== '')
    .join(' ');
  const profile = timingProfile('default');
  printHeader(
    `Agent heap growth: ${settings.store} tower store`,
    `${profile.label}; pair steady (v1 active, v2 passive); ${settings.slotMs} ms slots; heap snapshots of both agents ${settings.warmupSeconds} s after the pair is steady and ${settings.minutes} min later; live objects only (each snapshot follows a full GC)`,
  );
  const stack = await startBenchStack(profile, { slotMs: settings.slotMs, towerStore: settings.store });
  try {
    await waitUntilSteady(stack, 0, 120_000);
    await sleep(settings.warmupSeconds * 1000);
    const agents = stack.agents.map((agent, i) => {
      const pid = agent.process.pid;
      if (pid === undefined) throw new Error(`agent ${agent.name} is not running`);
      return { name: `v${i + 1} (${i === 0 ? 'active' : 'passive'})`, pid };
    });
    const first = [];
    for (const agent of agents) {
      const rss = readProc(agent.pid).rssBytes;
      first.push({ rss, heap: await snapshotOf(agent.pid, dir) });
    }
    await sleep(settings.minutes * 60_000);
    for (const [i, agent] of agents.entries()) {
      const rss = readProc(agent.pid).rssBytes;
      const heap = await snapshotOf(agent.pid, dir);
      const start = first[i]!;
      process.stdout.write(
        `\n### ${agent.name}\n\nlive heap ${mb(start.heap.bytes)} → ${mb(heap.bytes)} MB (${start.heap.count} → ${heap.count} objects); RSS before each snapshot ${mb(start.rss)} → ${mb(rss)} MB\n\n${growthTable(heapGrowth(start.heap, heap))}\n`,
      );
    }
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
    printFooter();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
