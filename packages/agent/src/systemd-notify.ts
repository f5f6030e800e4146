/**
 * Tells systemd that the agent is up (`READY=1`) and still making progress (`WATCHDOG=1`), over
 * `$NOTIFY_SOCKET`. Node has no unix datagram sockets, so each message is one run of the
 * `systemd-notify` binary; the unit sets `NotifyAccess=all` because the sender is that child,
 * not the agent's main process. `systemd-notify` waits until the service manager has read the
 * message (its barrier), so systemd still finds the sender in the service's cgroup.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '@failover/core';

/** What the agent tells its service manager; every call is a no-op outside systemd. */
export interface ServiceNotifier {
  /** The API listens and the watchdog runs. */
  ready(): void;
  /** One turn of the role machine's watchdog loop completed; sent at most every third of `WatchdogSec`. */
  alive(): void;
  /** The agent is stopping on purpose. */
  stopping(): void;
}

/** Options of {@link createServiceNotifier}. */
export interface ServiceNotifierOptions {
  /** Where `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
  /** The notifier binary. @default 'systemd-notify' */
  readonly binary?: string;
  /** This process's id, compared with `WATCHDOG_PID`. @default process.pid */
  readonly pid?: number;
}

// A notifier run that has not ended by then is killed: a stuck one must not pile up.
const SEND_TIMEOUT_MS = 5_000;

/** A notifier that does nothing: the agent runs outside a `Type=notify` unit. */
export const noServiceNotifier: ServiceNotifier = { ready() {}, alive() {}, stopping() {} };

/**
 * Creates the notifier from the environment systemd gives the service. Without `NOTIFY_SOCKET`
 * it does nothing. Watchdog pings are sent only when `WATCHDOG_USEC` is set (and
 * `WATCHDOG_PID`, when set, names this process), at most every third of the watchdog time,
 * so two may be lost before systemd kills a healthy agent.
 */
export function createServiceNotifier(options: ServiceNotifierOptions): ServiceNotifier {
  const { env, logger } = options;
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return noServiceNotifier;
  const now = options.now ?? (() => performance.now());
  const binary = options.binary ?? 'systemd-notify';
  const watchdogUsec = Number(env.WATCHDOG_USEC);
  const watchdogPid = env.WATCHDOG_PID;
  const forUs = watchdogPid === undefined || watchdogPid === '' || Number(watchdogPid) === (options.pid ?? process.pid);
  const pingEveryMs = Number.isFinite(watchdogUsec) && watchdogUsec > 0 && forUs ? watchdogUsec / 1000 / 3 : null;
  let lastPing = -Infinity;
  let inFlight = false;
  let failureLogged = false;

  const send = (message: string): void => {
    inFlight = true;
    const child = spawn(binary, [message], { env: { ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS);
    const done = (failure: string | null): void => {
      clearTimeout(timer);
      inFlight = false;
      if (failure === null) {
        failureLogged = false;
        return;
      }
      // Logged once per run of failures: a watchdog that cannot be fed ends in a kill by systemd.
      if (failureLogged) return;
      failureLogged = true;
      logger.error({ notify_socket: socket }, `${binary} ${message} failed: ${failure}`);
    };
    child.once('error', (error) => done(error.message));
    child.once('close', (code, signal) =>
      done(code === 0 ? null : `${signal ?? `exit ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`),
    );
  };

  return {
    ready() {
      send('READY=1');
      lastPing = now();
    },
    alive() {
      if (pingEveryMs === null || inFlight || now() - lastPing < pingEveryMs) return;
      lastPing = now();
      send('WATCHDOG=1');
    },
    stopping() {
      send('STOPPING=1');
    },
  };
}
