/**
 * What the numbers were measured on. The development machine has 2 cores shared with other
 * work, so every benchmark prints the load average before and after: a run taken under load
 * says so next to its numbers.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
/** The builds the stack's processes run; a rebuild during a benchmark changes what is measured. */
const BUILDS = ['packages/agent/dist/index.js', 'packages/manager/dist/index.js', 'tools/solana-sim/dist/validator.js'];

/** One line naming the CPU, cores, memory and Node.js version. */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  return `${cores.length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node.js ${process.version}, ${process.platform}`;
}

/** The 1-, 5- and 15-minute load averages, e.g. `1.52 / 1.10 / 0.87`. */
export function describeLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** The commit checked out and when each build the processes run was made. */
export function describeBuilds(): string {
  let commit = 'unknown commit';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (an unpacked tarball): the build times still say what ran.
  }
  const built = BUILDS.map((file) => {
    try {
      return `${file.split('/')[1]} ${statSync(path.join(REPO, file)).mtime.toISOString()}`;
    } catch {
      return `${file.split('/')[1]} not built`;
    }
  });
  return `HEAD ${commit}; builds: ${built.join(', ')}`;
}

/** Writes a benchmark's heading: its name, the machine and the load at the start. */
export function printHeader(name: string, settings: string): void {
  process.stdout.write(
    `\n## ${name}\n\n${settings}\nmachine: ${describeMachine()}\ncode: ${describeBuilds()}\nload average at start (1/5/15 min): ${describeLoad()}\n\n`,
  );
}

/** Writes the load at the end, so a reader can tell whether other work ran meanwhile. */
export function printFooter(): void {
  process.stdout.write(`\ncode at end: ${describeBuilds()}\nload average at end (1/5/15 min): ${describeLoad()}\n`);
}
