/**
 * A long-running program of the stack (an agent, the manager) as a real OS process whose
 * output is appended to a log file, which can be killed, frozen and started again the way a
 * fault campaign needs, and which never outlives the process that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Makes a child die with its parent; see the file's comment. */
const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.cjs');

/**
 * The Node.js options in a script's `#!/usr/bin/env -S node …` line: started from its bin, as
 * a service runs it, the program has them, so a stack that starts it with `node` passes them too.
 */
export function shebangNodeOptions(script: string): string[] {
  const firstLine = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node((?:\s+-\S+)*)\s*$/.exec(firstLine);
  return match?.[1] === undefined ? [] : match[1].trim().split(/\s+/).filter(Boolean);
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously and SIGKILL also ends a SIGSTOPped child: a demo or
  // test that dies without stop() leaves no agent or manager holding ports or identities.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Options of {@link ManagedProcess}. */
export interface ManagedProcessOptions {
  /** Name in error messages, e.g. `agent v1`. */
  readonly name: string;
  /** Script run with this Node.js (`process.execPath`), e.g. a package's bin. */
  readonly script: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, across restarts. */
  readonly logPath: string;
  /** Called with each stdout line as it arrives (the log file still gets every byte). */
  readonly onLine?: (line: string) => void;
  /** After SIGTERM, how long to wait before SIGKILL; @default 3000 */
  readonly stopGraceMs?: number;
}

/** What ended the last run: an exit code or a signal. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One program of the stack; see the file comment. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ProcessExit> | undefined;
  private last: ProcessExit | undefined;

  constructor(private readonly options: ManagedProcessOptions) {}

  /** Name given at construction. */
  get name(): string {
    return this.options.name;
  }

  /** Log file of every run. */
  get logPath(): string {
    return this.options.logPath;
  }

  /** PID while running (a frozen process counts as running). */
  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  /** How the last run ended, undefined while running or before the first start. */
  get lastExit(): ProcessExit | undefined {
    return this.isRunning() ? undefined : this.last;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the program; does nothing when it already runs. */
  start(): void {
    if (this.isRunning()) return;
    installExitHook();
    const log = openSync(this.options.logPath, 'a', 0o600);
    const pipeStdout = this.options.onLine !== undefined;
    const nodeOptions = [...shebangNodeOptions(this.options.script), '--require', EXIT_WITH_PARENT];
    const child = spawn(process.execPath, [...nodeOptions, this.options.script, ...this.options.args], {
      env: this.options.env,
      stdio: ['ignore', pipeStdout ? 'pipe' : log, log, 'ipc'],
    });
    closeSync(log);
    // The channel only tells the child that this process died; it must not keep this one alive.
    child.channel?.unref();
    if (pipeStdout && child.stdout) this.forwardLines(child, this.options.onLine!);
    running.add(child);
    this.child = child;
    this.last = undefined;
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.last = { code, signal };
        resolve(this.last);
      });
      child.once('error', () => {
        running.delete(child);
        this.last = { code: null, signal: null };
        resolve(this.last);
      });
    });
  }

  /** Resolves when the current run ends (at once when nothing runs). */
  async waitForExit(): Promise<ProcessExit | undefined> {
    return this.isRunning() ? this.exited : this.last;
  }

  /** Sends a signal: SIGKILL for a crash, SIGSTOP/SIGCONT for a hang. */
  signal(signal: NodeJS.Signals): void {
    if (this.isRunning()) this.child?.kill(signal);
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.isRunning()) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (after SIGCONT, in case it is frozen), then SIGKILL after the grace time. */
  async stop(): Promise<void> {
    if (!this.isRunning()) return;
    const child = this.child!;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs ?? 3000);
    await this.exited;
    clearTimeout(timer);
  }

  private forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
    const stdout = child.stdout!;
    const log = openSync(this.options.logPath, 'a');
    const lines = createInterface({ input: stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      writeLine(log, line);
      onLine(line);
    });
    lines.once('close', () => closeSync(log));
  }
}

function writeLine(fd: number, line: string): void {
  try {
    // Synchronous on purpose: the log file is what an operator reads after a failed run,
    // and a crash of the demo must not lose the lines before it.
    writeSync(fd, `${line}\n`);
  } catch {
    // A full disk must not take the stack down with it; the line still reached onLine.
  }
}
