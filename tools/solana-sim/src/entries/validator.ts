import { parseValidatorArgs, runValidatorProcess } from '../validator-process';

// One simulated validator process; see validator-process.ts for the arguments.
try {
  runValidatorProcess(parseValidatorArgs(process.argv.slice(2))).catch((err: Error) => {
    process.stderr.write(`simulated validator: ${err.message}\n`);
    process.exit(1);
  });
} catch (err) {
  process.stderr.write(`simulated validator: ${(err as Error).message}\n`);
  process.exit(2);
}
