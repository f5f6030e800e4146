/** Entry point of the `failover-agent` command; returns when the process should exit. */
export function main(argv: readonly string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: failover-agent [options]\n');
    return;
  }
  process.stderr.write('failover-agent: not implemented yet\n');
  process.exitCode = 1;
}
