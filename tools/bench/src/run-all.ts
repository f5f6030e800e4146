/**
 * Every benchmark, one after another, with their default settings: unplanned failover (the
 * project's defaults, the Go tool's when they differ, the fast profile), planned switchover,
 * `/status` latency and resource use. One after another, never at once: on a 2-core machine a
 * benchmark running beside another would measure the other.
 *
 * Usage: npm run bench -w @failover/bench [-- --runs 20]
 */
import { parseArgs } from 'node:util';
import { main as failover } from './unplanned-failover';
import { main as switchover } from './planned-switchover';
import { main as resources } from './resource-usage';
import { main as status } from './status-latency';

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' } } });
  const runs = values.runs === undefined ? [] : ['--runs', values.runs];
  await failover(runs);
  await switchover(runs);
  await status([]);
  await resources([]);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
