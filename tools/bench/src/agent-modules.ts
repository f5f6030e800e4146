/**
 * What the agent's code costs in memory before it does anything: a fresh Node.js process
 * requires the agent's dependencies one more at a time, in the order the agent's entry loads
 * them, and reports resident memory and V8 heap in use after a full garbage collection. Each
 * row is its own process, so a row is what loading everything up to it costs together (the
 * costs do not add up exactly: a module's first caller pays for what it shares with later
 * ones). The packages load from their builds, as the `failover-agent` bin does.
 *
 * Usage: npm run bench:agent-modules -w @failover/bench [-- --runs 3]
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printFooter, printHeader } from './machine';
import { percentile } from './stats';
import { markdownTable } from './table';

const AGENT_DIR = path.resolve(__dirname, '../../../packages/agent');

/** One row: modules to add, resolved from the agent's package, or the fastify app to build. */
export interface ModuleStep {
  readonly label: string;
  readonly modules: readonly string[];
  /**
   * Build a fastify app with one validated route: fastify loads its validator (ajv) and
   * serializer compilers only then, as the agent's app does at start.
   */
  readonly app?: boolean;
}

/** The steps, each adding to the ones before. */
export const MODULE_STEPS: readonly ModuleStep[] = [
  { label: 'node alone', modules: [] },
  { label: '@failover/core', modules: ['@failover/core'] },
  { label: '@sinclair/typebox', modules: ['@sinclair/typebox', '@sinclair/typebox/value'] },
  { label: '@failover/protocol', modules: ['@failover/protocol', '@failover/protocol/server'] },
  { label: 'winston', modules: ['winston'] },
  { label: 'fastify', modules: ['fastify'] },
  { label: '@failover/notifier', modules: ['@failover/notifier'] },
  { label: '@failover/agent (what the bin loads)', modules: ['@failover/agent'] },
  { label: 'a fastify app with one validated route', modules: [], app: true },
  { label: 'winston-daily-rotate-file (log_file set)', modules: ['winston-daily-rotate-file'] },
  { label: 'etcd3 (tower_store: etcd)', modules: ['etcd3'] },
  { label: 'grammy (Telegram; the manager only)', modules: ['grammy'] },
];

/** One process's reading after loading its modules. */
export interface ModuleReading {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly modules: number;
}

// Run with --expose-gc in the agent's directory: `require` resolves as the agent's would.
const PROBE = `
const { modules, app } = JSON.parse(process.argv[1]);
const load = (m) => require(require.resolve(m, { paths: [process.cwd()] }));
for (const m of modules) load(m);
const object = { type: 'object', properties: { a: { type: 'string' } } };
const built = app ? load('fastify')().post('/x', { schema: { body: object, response: { 200: object } } }, async () => ({})).ready() : null;
Promise.resolve(built).then(() => {
  global.gc(); global.gc();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rssBytes: m.rss, heapUsedBytes: m.heapUsed, modules: Object.keys(require.cache).length }));
  process.exit(0);
});
`;

/** Loads `modules` (and builds the fastify app when `app`) in a fresh process and reads its memory. */
export function measureModules(modules: readonly string[], app: boolean): ModuleReading {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', PROBE, JSON.stringify({ modules, app })], {
    cwd: AGENT_DIR,
    encoding: 'utf8',
    // The bench runs with tsx's loader; the probe measures Node.js alone.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as ModuleReading;
}

/** Bytes as MB (10^6 bytes) with one decimal; signed when `signed`. */
function mb(bytes: number, signed = false): string {
  const text = (bytes / 1e6).toFixed(1);
  return signed && bytes >= 0 ? `+${text}` : text;
}

/** Runs the measurement from the command line. */
export function main(argv: readonly string[]): void {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' } } });
  const runs = Number(values.runs ?? 3);
  if (!(Number.isInteger(runs) && runs >= 1))
    throw new Error(`--runs: expected a whole number ≥ 1, got '${values.runs}'`);
  printHeader(
    'Agent memory by module',
    `each row a fresh Node.js process that requires the modules of its row and every row above, then collects garbage twice; median of ${runs} processes per row; MB = 10^6 bytes`,
  );
  const rows: string[][] = [];
  let loaded: string[] = [];
  let app = false;
  let previous: ModuleReading | undefined;
  for (const step of MODULE_STEPS) {
    loaded = [...loaded, ...step.modules];
    app ||= step.app === true;
    const readings = Array.from({ length: runs }, () => measureModules(loaded, app));
    const reading: ModuleReading = {
      rssBytes: percentile(
        readings.map((r) => r.rssBytes),
        50,
      ),
      heapUsedBytes: percentile(
        readings.map((r) => r.heapUsedBytes),
        50,
      ),
      modules: readings[0]!.modules,
    };
    rows.push([
      previous === undefined ? step.label : `+ ${step.label}`,
      mb(reading.rssBytes),
      previous === undefined ? '' : mb(reading.rssBytes - previous.rssBytes, true),
      mb(reading.heapUsedBytes),
      previous === undefined ? '' : mb(reading.heapUsedBytes - previous.heapUsedBytes, true),
      String(reading.modules),
    ]);
    previous = reading;
  }
  process.stdout.write(
    `${markdownTable(['loaded', 'RSS (MB)', 'RSS added', 'heap used (MB)', 'heap added', 'JS modules'], rows)}\n`,
  );
  printFooter();
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}
