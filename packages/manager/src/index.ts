/** Entry point of the `failover-manager` command; returns when the process should exit. */
export function main(argv: readonly string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: failover-manager [options]\n');
    return;
  }
  process.stderr.write('failover-manager: not implemented yet\n');
  process.exitCode = 1;
}
