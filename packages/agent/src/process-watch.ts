/**
 * Notices the validator process exit at once rather than at the next probe, and lets the
 * manager hear of it through a held request (`POST /watch`) instead of counting missed
 * heartbeats.
 *
 * Between probes, the process the last probe found is checked every `checkIntervalMs` by its
 * own `/proc/PID/stat`: one small read, far cheaper than the probe's scan of every process.
 * When it is gone (or a zombie, or its PID now names a process started later), a full probe is
 * taken at once to confirm. An exit counts only when a probe confirms that no validator process
 * runs and the one before it found one running: a validator down since the agent started was
 * never seen to exit, and one already running again (a restart in progress) did not stay down.
 */
import type { Clock, TimerHandle } from '@failover/core';
import path from 'node:path';
import { readProcFile } from './internal/read-proc-file';
import { isExited, parseStartTicks } from './process-probe';
import type { ValidatorSample } from './validator-sampler';

/** What the watch knows of the validator process. */
export interface ProcessState {
  /** Whether the last probe that could tell found the process running; null before one could. */
  readonly running: boolean | null;
  /** When the agent saw the process exit; null while it runs, or when it was never seen to exit. */
  readonly exitedAt: number | null;
}

/** The running watch. */
export interface ProcessWatch {
  /** Folds in a probe the sampler finished; the sampler calls this for each sample it keeps. */
  observe(sample: ValidatorSample): void;
  current(): ProcessState;
  /**
   * Resolves with the state once the process is found otherwise than `running` says, at once
   * when it already is, or after `waitMs` (or when the watch stops) with the state as it is.
   */
  wait(running: boolean, waitMs: number): Promise<ProcessState>;
  /** Starts the checks between probes. */
  start(): void;
  /** Stops the checks and answers every held wait. */
  stop(): Promise<void>;
}

/** Options of {@link createProcessWatch}. */
export interface ProcessWatchOptions {
  readonly clock: Clock;
  /** Takes a full probe now (`sampler.refresh`); its sample comes back through `observe`. */
  readonly confirm: () => Promise<void>;
  /** @default '/proc' */
  readonly procRoot?: string;
  /** How often the process found by the last probe is checked between probes. @default 50 */
  readonly checkIntervalMs?: number;
}

interface Waiter {
  readonly running: boolean;
  readonly resolve: (state: ProcessState) => void;
  readonly timer: TimerHandle;
}

/** Builds the watch; nothing is checked until `start()`. */
export function createProcessWatch(options: ProcessWatchOptions): ProcessWatch {
  const { clock } = options;
  const procRoot = options.procRoot ?? '/proc';
  const checkIntervalMs = options.checkIntervalMs ?? 50;
  let running: boolean | null = null;
  let exitedAt: number | null = null;
  /** The process the last probe found, and its start time once read. */
  let watched: { pid: number; startTicks?: number } | undefined;
  /** When a check found the watched process gone; its confirming probe is pending. */
  let goneAt: number | null = null;
  let timer: TimerHandle | undefined;
  let checking: Promise<void> | undefined;
  let started = false;
  const waiters = new Set<Waiter>();

  const state = (): ProcessState => ({ running, exitedAt });

  function answer(waiter: Waiter): void {
    clock.clearTimeout(waiter.timer);
    waiters.delete(waiter);
    waiter.resolve(state());
  }

  function wake(): void {
    for (const waiter of [...waiters]) if (running !== null && running !== waiter.running) answer(waiter);
  }

  async function check(): Promise<void> {
    const target = watched;
    if (target === undefined || goneAt !== null) return;
    const stat = await readProcFile(path.join(procRoot, String(target.pid), 'stat'), 1024);
    const startTicks = stat === undefined ? undefined : parseStartTicks(stat);
    if (target !== watched) return;
    if (stat !== undefined && !isExited(stat) && startTicks !== undefined) {
      if (target.startTicks === undefined) target.startTicks = startTicks;
      if (target.startTicks === startTicks) return;
    }
    goneAt = clock.now();
    await options.confirm();
    // Confirmed or not, the next check starts from what the probe found.
    goneAt = null;
  }

  function loop(): void {
    if (!started) return;
    timer = clock.setTimeout(() => {
      checking = check().finally(() => {
        checking = undefined;
        loop();
      });
    }, checkIntervalMs);
  }

  return {
    observe(sample) {
      if (!sample.process.ok) return;
      const snapshot = sample.process.snapshot;
      const pid = snapshot.pids[0];
      if (snapshot.running && pid !== undefined) {
        if (watched?.pid !== pid) watched = { pid };
        running = true;
        exitedAt = null;
      } else {
        if (running === true) exitedAt = goneAt ?? clock.now();
        running = false;
        watched = undefined;
      }
      wake();
    },
    current: state,
    wait(expected, waitMs) {
      return new Promise<ProcessState>((resolve) => {
        if (!started || (running !== null && running !== expected)) return resolve(state());
        const waiter: Waiter = { running: expected, resolve, timer: clock.setTimeout(() => answer(waiter), waitMs) };
        waiters.add(waiter);
      });
    },
    start() {
      if (started) return;
      started = true;
      loop();
    },
    async stop() {
      started = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      for (const waiter of [...waiters]) answer(waiter);
      await checking;
    },
  };
}
