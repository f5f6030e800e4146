/**
 * A stand-in for systemd running one `Type=notify` service, for tests that must start a program
 * the way its unit does: a `$NOTIFY_SOCKET` it listens on, `$WATCHDOG_USEC`, a kill when the
 * watchdog is not fed in time (`WatchdogSignal=SIGKILL`), and `ExecStopPost=` run after every
 * end of the main process (clean exit, crash, kill, watchdog) with `$SERVICE_RESULT`,
 * `$EXIT_CODE` and `$EXIT_STATUS` set as systemd sets them, within `TimeoutStopSec=`.
 *
 * Node cannot read unix datagram sockets, so a few lines of python3 receive the datagrams and
 * print them; they also close any descriptor a message carries, which is how `systemd-notify`'s
 * barrier learns that its message was read. One run: nothing is restarted.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ComponentStartError } from './errors';
import { spawnManaged, type ManagedProcess } from './internal/managed-process';
import { tempDir } from './temp-dir';

/** A command without a shell. */
export interface ServiceCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Options of {@link startSupervisedService}. */
export interface SupervisedServiceOptions {
  /** For error messages. */
  readonly name: string;
  /** `ExecStart=`. */
  readonly exec: ServiceCommand;
  /** `ExecStopPost=`; none when omitted. */
  readonly stopPost?: ServiceCommand;
  /** Environment of both commands. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** `WatchdogSec=`, armed at `READY=1` or the first `WATCHDOG=1`. */
  readonly watchdogMs: number;
  /** `TimeoutStartSec=`: no `READY=1` by then kills the service. @default 60_000 */
  readonly startTimeoutMs?: number;
  /** `TimeoutStopSec=`: SIGTERM to SIGKILL on `stop()`, and the time limit of the stop-post command. @default 20_000 */
  readonly stopTimeoutMs?: number;
  /** Both commands' stdout and stderr are appended here, as the journal would keep them. */
  readonly logPath?: string;
}

/** `$SERVICE_RESULT` as systemd sets it. */
export type ServiceResult = 'success' | 'exit-code' | 'signal' | 'watchdog' | 'timeout';

/** How one run of the service ended. */
export interface ServiceRun {
  readonly result: ServiceResult;
  /** `$EXIT_CODE`: `exited` or `killed`. */
  readonly exitCode: 'exited' | 'killed';
  /** `$EXIT_STATUS`: the exit code, or the signal's name without `SIG`. */
  readonly exitStatus: string;
  /** When the main process ended (ms since the epoch). */
  readonly endedAt: number;
  /** The stop-post command's end; null when none is configured. */
  readonly stopPost: {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly timedOut: boolean;
    readonly output: string;
    readonly endedAt: number;
  } | null;
}

/** A service under the supervisor. */
export interface SupervisedService {
  /** The main process's id. */
  readonly pid: number;
  /** Resolves at the first `READY=1`; rejects when the service ends before it. */
  readonly ready: Promise<void>;
  /** Resolves once the main process has ended and the stop-post command has run. */
  readonly ended: Promise<ServiceRun>;
  /** Every notification received, in order (`READY=1`, `WATCHDOG=1`, …). */
  notifications(): readonly string[];
  /** The tail of the main process's output. */
  output(): string;
  /** Sends a signal to the main process (SIGKILL for a crash, SIGSTOP for a hang). */
  signal(signal: NodeJS.Signals): void;
  /** As `systemctl stop`: SIGTERM (and SIGCONT), SIGKILL after the stop timeout; resolves with the run. */
  stop(): Promise<ServiceRun>;
}

// Prints each datagram on one line (its own newlines as tabs) and closes the descriptors it carries.
const LISTENER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(payload) - len(payload) % 4, 4):
                os.close(int.from_bytes(payload[i:i + 4], sys.byteorder))
    sys.stdout.write(data.decode("utf-8", "replace").replace("\\n", "\\t") + "\\n")
    sys.stdout.flush()
`;

/** Starts the listener and the service; resolves once the main process runs (not yet ready). */
export async function startSupervisedService(options: SupervisedServiceOptions): Promise<SupervisedService> {
  const dir = tempDir(`service-${options.name}`);
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  const socketPath = join(dir.path, 'notify.sock');
  const listener = spawnManaged('python3', ['-c', LISTENER, socketPath]);
  const received: string[] = [];
  let onMessage: (message: string) => void = () => undefined;
  let buffered = '';
  let listening: () => void = () => undefined;
  const isListening = new Promise<void>((resolve) => (listening = resolve));
  listener.child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line === 'listening') listening();
      else for (const message of line.split('\t').filter((m) => m !== '')) onMessage(message);
      newline = buffered.indexOf('\n');
    }
  });
  const listenerDied = listener.exited.then(() => 'exited' as const);
  if ((await Promise.race([isListening.then(() => 'listening' as const), listenerDied])) !== 'listening') {
    dir.remove();
    throw new ComponentStartError(`notify socket of ${options.name}`, 'python3 did not listen', listener.outputTail());
  }

  const env = { ...(options.env ?? process.env) };
  const log = options.logPath === undefined ? undefined : createWriteStream(options.logPath, { flags: 'a' });
  const main = spawnManaged(options.exec.command, options.exec.args, {
    ...env,
    NOTIFY_SOCKET: socketPath,
    WATCHDOG_USEC: String(options.watchdogMs * 1000),
  });

  logTo(log, main);
  let result: ServiceResult | null = null;
  let watchdog: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  let notReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    notReady = reject;
  });
  // A test that never awaits readiness must not see an unhandled rejection.
  void ready.catch(() => undefined);
  const expire = (why: ServiceResult): void => {
    if (result !== null || main.hasExited()) return;
    result = why;
    main.signal('SIGKILL');
  };
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => expire('watchdog'), options.watchdogMs);
  };
  const startTimer = setTimeout(() => expire('timeout'), options.startTimeoutMs ?? 60_000);
  onMessage = (message) => {
    received.push(message);
    if (message === 'READY=1') {
      clearTimeout(startTimer);
      markReady();
      arm();
    } else if (message === 'WATCHDOG=1') arm();
    else if (message === 'WATCHDOG=trigger') expire('watchdog');
  };

  const ended = main.exited.then(async ({ code, signal }): Promise<ServiceRun> => {
    clearTimeout(startTimer);
    clearTimeout(watchdog);
    const endedAt = Date.now();
    notReady(new Error(`${options.name} ended before READY=1: ${main.outputTail()}`));
    const exitCode = signal === null ? ('exited' as const) : ('killed' as const);
    const exitStatus = signal === null ? String(code) : signal.replace(/^SIG/, '');
    const serviceResult: ServiceResult = result ?? (signal !== null ? 'signal' : code === 0 ? 'success' : 'exit-code');
    const stopPost = options.stopPost
      ? await runStopPost(
          options.stopPost,
          { ...env, SERVICE_RESULT: serviceResult, EXIT_CODE: exitCode, EXIT_STATUS: exitStatus },
          stopTimeoutMs,
          log,
        )
      : null;
    await listener.kill();
    log?.end();
    dir.remove();
    return { result: serviceResult, exitCode, exitStatus, endedAt, stopPost };
  });

  return {
    pid: main.pid,
    ready,
    ended,
    notifications: () => [...received],
    output: () => main.outputTail(),
    signal: (signal) => main.signal(signal),
    async stop() {
      await main.stop(stopTimeoutMs);
      return ended;
    },
  };
}

async function runStopPost(
  command: ServiceCommand,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  log: WriteStream | undefined,
): Promise<NonNullable<ServiceRun['stopPost']>> {
  const proc: ManagedProcess = spawnManaged(command.command, command.args, env);
  logTo(log, proc);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.signal('SIGKILL');
  }, timeoutMs);
  proc.child.ref();
  const { code, signal } = await proc.exited;
  proc.child.unref();
  clearTimeout(timer);
  return { code, signal, timedOut, output: proc.outputTail(), endedAt: Date.now() };
}

function logTo(log: WriteStream | undefined, proc: ManagedProcess): void {
  if (log === undefined) return;
  const write = (chunk: Buffer): void => {
    log.write(chunk);
  };
  proc.child.stdout?.on('data', write);
  proc.child.stderr?.on('data', write);
}
