import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { trackPid, untrackPid } from './exit-cleanup';

const OUTPUT_TAIL_BYTES = 8192;

/** A child process started by the kit: tracked for exit cleanup, with the tail of its output kept. */
export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** The last few KiB of stdout and stderr, for error messages. */
  outputTail(): string;
  /** Sends `signal`; ignored once the process has exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. A paused
   * (SIGSTOPped) process is continued first so that it can act on SIGTERM.
   */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Spawns `command` with `args`, without a shell (nothing is interpolated into a command line). */
export function spawnManaged(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let tail = '';
  let done = false;
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      if (child.pid !== undefined) untrackPid(child.pid);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      done = true;
      keep(Buffer.from(`spawn ${command} failed: ${error.message}\n`));
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid !== undefined) trackPid(child.pid);
  // A forgotten handle must not keep jest alive; the exit hook kills the process instead.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const send = (signal: NodeJS.Signals): void => {
    if (done || child.pid === undefined) return;
    try {
      process.kill(child.pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
  };

  // The child is unref'd, so a caller awaiting its exit must hold the event loop open itself,
  // or a plain script (outside jest) would end with the process still running.
  const awaitExit = async (): Promise<void> => {
    child.ref();
    try {
      await exited;
    } finally {
      child.unref();
    }
  };

  return {
    pid: child.pid ?? -1,
    child,
    exited,
    hasExited: () => done,
    outputTail: () => tail,
    signal: send,
    async stop(graceMs = 3000): Promise<void> {
      if (done) return;
      send('SIGCONT');
      send('SIGTERM');
      const timer = setTimeout(() => send('SIGKILL'), graceMs);
      try {
        await awaitExit();
      } finally {
        clearTimeout(timer);
      }
    },
    async kill(): Promise<void> {
      if (done) return;
      send('SIGKILL');
      await awaitExit();
    },
  };
}
