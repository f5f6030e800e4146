/**
 * The operators' shell commands (the agent's command templates and hooks, the manager's hooks)
 * run one way in both programs: in a process group a time limit can kill whole, with bounded
 * output, and with secrets taken out of whatever is shown of them.
 */
import { spawn } from 'node:child_process';

// Output beyond this is dropped: a chatty command must not grow the program's memory.
const MAX_CAPTURE_BYTES = 64 * 1024;
// Time between SIGTERM and SIGKILL for a command that outlived its timeout.
const KILL_GRACE_MS = 2_000;

// A Solana keypair file is a JSON array of 64 byte values; anything that looks like one is a
// secret wherever it shows up (a command echoing its stdin, an error quoting a file).
const KEYPAIR_ARRAY = /\[\s*(?:\d{1,3}\s*,\s*){63}\d{1,3}\s*\]/g;

/** Replaces every configured secret and anything shaped like a keypair with a marker. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(KEYPAIR_ARRAY, '[redacted keypair]');
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; secrets this short are refused at
    // start-up anyway.
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * `text` as one printable line: control characters (a NUL above all, which the kernel cannot
 * pass in an environment) become spaces. For values handed to a command in its environment.
 */
export function printableLine(text: string): string {
  return Array.from(text, (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('');
}

/** How one shell command ended; a failure is a value, never an exception. */
export interface ShellCommandResult {
  /** True when the command exited 0 within its time limit. */
  readonly ok: boolean;
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The first 64 KiB of its standard output. */
  readonly stdout: string;
  /** The first 64 KiB of its standard error, and why it could not start when it could not. */
  readonly stderr: string;
  readonly durationMs: number;
  /** True when the time limit killed it. */
  readonly timedOut: boolean;
}

/**
 * Runs `commandLine` with `shell -c` in a process group of its own, killed (SIGTERM, then
 * SIGKILL after a grace) when `timeoutMs` passes. Output beyond 64 KiB per stream is dropped.
 */
export function runShellCommand(
  shell: string,
  commandLine: string,
  timeoutMs: number,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ShellCommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    // detached: the command gets its own process group, so a timeout can kill what it spawned
    // (an `agave-validator` CLI under `sudo`, a pipeline) and not only bash.
    const child = spawn(shell, ['-c', commandLine], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env },
    });
    const stdout = capture();
    const stderr = capture();
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (exitCode: number | null, spawnError?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      const err = spawnError ? `${stderr.text()}${spawnError.message}` : stderr.text();
      resolve({
        ok: exitCode === 0 && !timedOut,
        exitCode,
        stdout: stdout.text(),
        stderr: err,
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        // A grandchild that left the group can hold the pipes open; do not wait for it.
        finish(null);
      }, KILL_GRACE_MS);
    }, timeoutMs);
    child.once('error', (error) => finish(null, error));
    child.once('close', (code) => finish(code));
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function capture(): { add: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (chunk: Buffer) => {
      if (size >= MAX_CAPTURE_BYTES) return;
      chunks.push(chunk.subarray(0, MAX_CAPTURE_BYTES - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
