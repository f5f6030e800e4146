import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SimStartError } from '../errors';

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that ends without stop() (a thrown test, a jest timeout) must not leave
  // validators behind. 'exit' handlers run synchronously, and SIGKILL also ends a SIGSTOPped
  // process; children also exit by themselves when their IPC channel to us closes.
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

function packageRoot(): string {
  // Bundled into dist/*.js, or run from src/internal/ under jest.
  return path.basename(__dirname) === 'dist' ? path.resolve(__dirname, '..') : path.resolve(__dirname, '..', '..');
}

/** The directory holding the built entry points (validator.js, cluster.js). */
export function distDir(): string {
  const dir = path.join(packageRoot(), 'dist');
  if (!fs.existsSync(path.join(dir, 'validator.js'))) {
    throw new SimStartError('solana-sim', `no build at ${dir}; run \`npm run build -w @failover/solana-sim\` first`);
  }
  return dir;
}

/** The simulator's bin directory (agave-validator, solana, solana-keygen, solana-sim shims). */
export function binDir(): string {
  return path.join(packageRoot(), 'bin');
}

/** Spawns a node entry point with an IPC channel and waits for its `{ ready }` message. */
export async function spawnReady<T>(
  label: string,
  entry: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; logFile: string; timeoutMs: number },
): Promise<{ child: ChildProcess; ready: T }> {
  installExitHook();
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [path.join(distDir(), entry), ...args], {
    stdio: ['ignore', log, log, 'ipc'],
    env: options.env ?? process.env,
  });
  fs.closeSync(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SimStartError(label, `no ready message within ${options.timeoutMs} ms; see ${options.logFile}`));
    }, options.timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const tail = fs.existsSync(options.logFile)
        ? fs.readFileSync(options.logFile, 'utf8').split('\n').slice(-5).join('\n')
        : '';
      reject(new SimStartError(label, `exited (${signal ?? code}) before ready: ${tail}`));
    });
    child.on('message', (message: { ready?: T }) => {
      if (message && message.ready !== undefined) {
        clearTimeout(timer);
        resolve(message.ready);
      }
    });
  });
  child.removeAllListeners('exit');
  child.once('exit', () => children.delete(child));
  return { child, ready };
}

/** Kills a child with SIGKILL (also when stopped) and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

/** Whether a child is still running (possibly stopped). */
export function isAlive(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}
