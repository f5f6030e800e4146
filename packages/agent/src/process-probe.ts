import type { Clock } from '@failover/core';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readProcFile } from './internal/read-proc-file';

/** What the probe found for the validator process at one moment. */
export interface ProcessSnapshot {
  /** True when at least one process with the exact name runs. */
  readonly running: boolean;
  /**
   * Every matching PID, oldest first. While the validator runs, one started beside it (the
   * admin CLI, a second instance) shows from the next full scan of /proc, at most `fullScanMs` later.
   */
  readonly pids: readonly number[];
  /** Seconds since the oldest matching process started; 0 when none runs. */
  readonly uptimeSeconds: number;
  /** Restarts seen within the crash-loop window. */
  readonly recentRestarts: number;
  /** True when `recentRestarts` reached the crash-loop threshold. */
  readonly crashLoop: boolean;
}

/** Reads the validator's process state; injected so the app can be tested without /proc. */
export interface ValidatorProbe {
  probe(): Promise<ProcessSnapshot>;
}

/** Options of {@link createProcessProbe}. */
export interface ProcessProbeOptions {
  /** Exact process name, as `pgrep -x` matches it (e.g. `agave-validator`). */
  readonly processName: string;
  /** @default '/proc' */
  readonly procRoot?: string;
  /** Window in which restarts count towards a crash loop. @default 600_000 (10 min) */
  readonly crashLoopWindowMs?: number;
  /** Restarts within the window that make a crash loop. @default 3 */
  readonly crashLoopRestarts?: number;
  /**
   * How long a running validator is followed by its PIDs alone, each probe reading only their
   * `/proc/PID/stat`, before /proc is scanned whole again. A scan reads every process's name,
   * about 10 ms on a host with 500 processes; a probe runs every 400 ms. A PID that exited,
   * became a zombie, was reused or now runs another program ends the shortcut at once: that
   * probe scans. `0` scans every probe. @default 2_000
   */
  readonly fullScanMs?: number;
  /** Wall clock for the restart window and the scans. */
  readonly clock: Clock;
}

// Linux keeps only the first 15 bytes of a process name in /proc/PID/comm (TASK_COMM_LEN 16,
// NUL included): `solana-validator` shows as `solana-validato`. Longer names are confirmed on
// the basename of argv[0] from /proc/PID/cmdline, as `pgrep -x -f`-style tools do.
const COMM_LENGTH = 15;

// USER_HZ is 100 on every architecture Linux ships for servers (getconf CLK_TCK); /proc reports
// start times in these ticks whatever the kernel's internal HZ is.
const TICKS_PER_SECOND = 100;

interface FoundProcess {
  readonly pid: number;
  readonly startTicks: number;
}

/**
 * Finds the validator process by exact name over /proc and tracks its restarts.
 *
 * Several PIDs can match: the admin CLI the agent itself runs (`agave-validator -l … set-identity`)
 * is the same binary. The oldest one is taken as the validator, so a short-lived CLI call never
 * looks like a restart.
 */
export function createProcessProbe(options: ProcessProbeOptions): ValidatorProbe {
  const procRoot = options.procRoot ?? '/proc';
  const windowMs = options.crashLoopWindowMs ?? 600_000;
  const threshold = options.crashLoopRestarts ?? 3;
  const fullScanMs = options.fullScanMs ?? 2_000;
  const { clock } = options;
  let lastMain: FoundProcess | undefined;
  let restarts: number[] = [];
  let followed: readonly FoundProcess[] = [];
  let scannedAt = Number.NEGATIVE_INFINITY;

  return {
    async probe(): Promise<ProcessSnapshot> {
      const at = clock.now();
      // A wall clock stepped back (NTP) must not stretch the time between scans.
      const sinceScan = at - scannedAt;
      let found =
        sinceScan >= 0 && sinceScan < fullScanMs ? await recheck(procRoot, options.processName, followed) : undefined;
      if (found === undefined) {
        found = await findProcesses(procRoot, options.processName);
        scannedAt = at;
      }
      followed = found;
      const main = found[0];
      if (main && lastMain && (main.pid !== lastMain.pid || main.startTicks !== lastMain.startTicks)) {
        restarts.push(at);
      }
      if (main) lastMain = main;
      restarts = restarts.filter((t) => at - t <= windowMs);
      const uptimeSeconds = main ? await uptimeOf(procRoot, main) : 0;
      return {
        running: main !== undefined,
        pids: found.map((p) => p.pid),
        uptimeSeconds,
        recentRestarts: restarts.length,
        crashLoop: restarts.length >= threshold,
      };
    },
  };
}

/**
 * The followed processes that still run the same program: same PID and start time, not exited,
 * the same name in their stat line. Undefined when there are none or the oldest is not among
 * them, which only a scan of /proc can answer for.
 */
async function recheck(
  procRoot: string,
  name: string,
  followed: readonly FoundProcess[],
): Promise<FoundProcess[] | undefined> {
  if (followed.length === 0) return undefined;
  const kept = await Promise.all(
    followed.map(async (proc) => {
      const stat = await readOptional(path.join(procRoot, String(proc.pid), 'stat'));
      const same =
        stat !== undefined &&
        !isExited(stat) &&
        parseStartTicks(stat) === proc.startTicks &&
        commMatches(statName(stat), name);
      return same ? proc : undefined;
    }),
  );
  if (kept[0] === undefined) return undefined;
  return kept.filter((proc) => proc !== undefined);
}

/** Field 2 of /proc/PID/stat, the name between the first `(` and the last `)`. */
function statName(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

async function findProcesses(procRoot: string, name: string): Promise<FoundProcess[]> {
  const entries = await readdir(procRoot);
  const found: FoundProcess[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (entry) => {
        const pid = Number(entry);
        const dir = path.join(procRoot, entry);
        // A process may exit between readdir and read: that is "not running", not an error.
        const comm = await readOptional(path.join(dir, 'comm'));
        if (comm === undefined || !commMatches(comm.trimEnd(), name)) return;
        if (name.length > COMM_LENGTH) {
          const cmdline = await readOptional(path.join(dir, 'cmdline'));
          if (cmdline === undefined || argv0Name(cmdline) !== name) return;
        }
        const stat = await readOptional(path.join(dir, 'stat'));
        // A killed validator stays in /proc as a zombie until its parent reaps it; it votes no
        // more, and counting it as running hid a crash behind "RPC unreachable".
        if (stat === undefined || isExited(stat)) return;
        const startTicks = parseStartTicks(stat);
        if (startTicks !== undefined) found.push({ pid, startTicks });
      }),
  );
  return found.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
}

function commMatches(comm: string, name: string): boolean {
  return name.length > COMM_LENGTH ? comm === name.slice(0, COMM_LENGTH) : comm === name;
}

/** The basename of argv[0] from a NUL-separated /proc/PID/cmdline. */
export function argv0Name(cmdline: string): string {
  const argv0 = cmdline.split('\0')[0] ?? '';
  return path.basename(argv0);
}

/** True when field 3 (state) of /proc/PID/stat says the process has exited: zombie (Z) or dead (X). */
export function isExited(stat: string): boolean {
  const close = stat.lastIndexOf(')');
  const state = close < 0 ? undefined : stat[close + 2];
  return state === 'Z' || state === 'X';
}

/**
 * Field 22 (starttime, in clock ticks since boot) of /proc/PID/stat. The name field (2) may hold
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseStartTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // After the name come state (field 3) onwards: starttime is field 22, index 19 here.
  const value = Number(fields[19]);
  return Number.isFinite(value) ? value : undefined;
}

// Uptime from /proc/uptime (seconds since boot) rather than btime + wall clock: it does not
// jump when NTP steps the clock, and inside containers both figures share the host's boot.
async function uptimeOf(procRoot: string, proc: FoundProcess): Promise<number> {
  const raw = await readOptional(path.join(procRoot, 'uptime'));
  const sinceBoot = Number(raw?.split(' ')[0]);
  if (!Number.isFinite(sinceBoot)) return 0;
  return Math.max(0, Math.floor(sinceBoot - proc.startTicks / TICKS_PER_SECOND));
}

// comm holds at most 16 bytes, stat and uptime one line; of cmdline only argv[0], a path, is used.
const READ_LIMITS: Readonly<Record<string, number>> = { comm: 64, cmdline: 4096 };

function readOptional(file: string): Promise<string | undefined> {
  return readProcFile(file, READ_LIMITS[path.basename(file)] ?? 1024);
}
