import { execFile } from 'node:child_process';

/** What a shell command printed and how it exited. */
export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command line through bash, as the agent's command templates run, with the cluster's
 * environment (shims first on PATH); `input` goes to stdin.
 */
export async function sh(command: string, env: Record<string, string>, input?: string): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      ['-c', command],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}
