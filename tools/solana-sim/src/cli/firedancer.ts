import { processIo } from './cli-io';
import { runFdCli } from './fd-cli';

/** The bin's entry: real argv and streams, exit code to the process. */
export function run(): void {
  runFdCli('firedancer', process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
