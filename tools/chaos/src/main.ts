/**
 * `npm run chaos`: runs the campaign, prints the table as trials finish, writes the JSON when
 * asked, and exits 1 when any trial failed (2 on a bad command line).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs, usage } from './args';
import { runCampaign } from './campaign';
import { formatClassTable, formatHeader, formatRow, formatSummary } from './report';
import { budgetOf, settingsFor } from './settings';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`chaos: ${parsed.message}\n${usage()}`);
    return 2;
  }
  const args = parsed.args;
  const settings = settingsFor(
    args.slotMs,
    args.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: args.requestTimeoutMs },
  );
  process.stdout.write(`${formatHeader(budgetOf(settings), settings.slotMs)}\n`);
  const report = await runCampaign({
    settings,
    trials: args.trials,
    baseSeed: args.baseSeed,
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    kinds: args.kinds,
    windowMs: args.windowMs,
    keepLogsDir: args.keepLogs,
    log: (line) => process.stderr.write(`${line}\n`),
    onTrial: (result, index) => process.stdout.write(`${formatRow(result, index)}\n`),
  });
  process.stdout.write(`${formatSummary(report)}\n${formatClassTable(report.trials)}\n`);
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
