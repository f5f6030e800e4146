/**
 * What the numbers were measured on. The development machine has 2 cores shared with other
 * work, so every benchmark prints the load average before and after: a run taken under load
 * says so next to its numbers.
 */
import { cpus, loadavg, totalmem } from 'node:os';

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

/** Writes a benchmark's heading: its name, the machine and the load at the start. */
export function printHeader(name: string, settings: string): void {
  process.stdout.write(`\n## ${name}\n\n${settings}\nmachine: ${describeMachine()}\nload average at start (1/5/15 min): ${describeLoad()}\n\n`);
}

/** Writes the load at the end, so a reader can tell whether other work ran meanwhile. */
export function printFooter(): void {
  process.stdout.write(`\nload average at end (1/5/15 min): ${describeLoad()}\n`);
}
