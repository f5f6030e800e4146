import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 5;

/**
 * Whether every thread of `pid` is stopped (state `T`). A SIGSTOP takes effect thread by thread:
 * until the thread that takes the signal has run, the process's other threads go on serving
 * requests, which on a loaded machine is long enough for a whole client round trip.
 */
function allThreadsStopped(pid: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return threads.every((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The command name in parentheses may hold spaces; the state is the field after it.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't';
    } catch {
      // The thread ended between the listing and the read.
      return true;
    }
  });
}

/** Resolves once every thread of `pid` is stopped; rejects after `timeoutMs` naming `what`. */
export async function waitStopped(pid: number, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!allThreadsStopped(pid)) {
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) did not stop within ${timeoutMs} ms of SIGSTOP`);
    await sleep(POLL_MS);
  }
}
