import { rmSync } from 'node:fs';

/*
 * Last-resort cleanup. Tests stop what they start in `afterAll`/`finally`, but a test that
 * throws in `beforeAll`, a jest worker torn down on timeout, or a forgotten handle must not
 * leave an etcd or sshd running on the machine (they would hold ports and data dirs and,
 * worse, answer the next run's clients). Everything registered here is killed or removed
 * synchronously when the Node process exits or is asked to terminate.
 */

const livePids = new Set<number>();
const liveDirs = new Set<string>();
let installed = false;

function cleanupNow(): void {
  for (const pid of livePids) {
    try {
      // SIGKILL also ends a SIGSTOPped process, which would ignore SIGTERM until resumed.
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
  for (const dir of liveDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  liveDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // `once`, then re-raise: after cleaning up, the default action (terminate) still happens.
    process.once(signal, () => {
      cleanupNow();
      process.kill(process.pid, signal);
    });
  }
}

/** Kills `pid` with SIGKILL if it is still registered when this process exits. */
export function trackPid(pid: number): void {
  install();
  livePids.add(pid);
}

/** Forgets `pid` (it exited or was stopped by its owner). */
export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

/** Removes `dir` recursively if it is still registered when this process exits. */
export function trackDir(dir: string): void {
  install();
  liveDirs.add(dir);
}

/** Forgets `dir` (its owner removed it). */
export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
}
