/**
 * Resource use of a process from /proc, the way `top` and `ps` read it: resident memory from
 * /proc/PID/status, CPU time from /proc/PID/stat (proc(5)). Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One reading of a process. */
export interface ProcSample {
  /** ms since the epoch when read. */
  readonly at: number;
  /** VmRSS: resident memory now, bytes. */
  readonly rssBytes: number;
  /** VmHWM: the peak resident memory so far, bytes. */
  readonly peakRssBytes: number;
  /** utime + stime of the process itself, seconds. */
  readonly cpuSeconds: number;
  /** cutime + cstime: CPU of children it has waited for (the shell commands an agent runs), seconds. */
  readonly childCpuSeconds: number;
}

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc/PID/stat times (100 on every Linux server architecture). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    ticksPerSecond = Number(text) > 0 ? Number(text) : 100;
  }
  return ticksPerSecond;
}

function statusKb(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match === null) throw new Error(`/proc status has no ${key} line`);
  return Number(match[1]);
}

/** Reads one sample of `pid`; throws when the process is gone. */
export function readProc(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n of proc(5) is fields[n - 3].
  const ticks = (n: number): number => Number(fields[n - 3]);
  const hz = clockTicks();
  return {
    at: Date.now(),
    rssBytes: statusKb(status, 'VmRSS') * 1024,
    peakRssBytes: statusKb(status, 'VmHWM') * 1024,
    cpuSeconds: (ticks(14) + ticks(15)) / hz,
    childCpuSeconds: (ticks(16) + ticks(17)) / hz,
  };
}

/** CPU use between two samples as a percentage of one core. */
export function cpuPercent(first: ProcSample, last: ProcSample, includeChildren = false): number {
  const seconds = (last.at - first.at) / 1000;
  if (seconds <= 0) return Number.NaN;
  const used =
    last.cpuSeconds - first.cpuSeconds + (includeChildren ? last.childCpuSeconds - first.childCpuSeconds : 0);
  return (100 * used) / seconds;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
