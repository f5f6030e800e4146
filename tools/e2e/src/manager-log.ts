/**
 * Reads the manager's JSON log lines (`log_format: json`) as they are written. Every event
 * the manager notifies is also one log line carrying the event's fields (the notifier's log
 * sink), so the harness sees exactly what an operator is told — failover steps with their
 * timings included — without a second channel into the manager.
 */
import type { StepTiming } from '@failover/core';

/** One JSON line of the manager's log. */
export interface ManagerLogLine {
  /** ms since the epoch, from the line's ISO `time`. */
  readonly time: number;
  readonly level: string;
  readonly msg: string;
  /** The notified event's type (`failover-complete`, `blocked`, …) when the line is one. */
  readonly event: string | undefined;
  /** Every field of the line, as written. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A finished failover as the manager reported it. */
export interface FailoverReport {
  readonly outcome: 'failover-complete' | 'failover-failed' | 'rolled-back';
  readonly from: string;
  readonly to: string;
  readonly steps: readonly StepTiming[];
  /** Only for a completed failover. */
  readonly totalMs: number | undefined;
  readonly message: string;
  readonly at: number;
}

/** Parses one log line; undefined for a line that is not a JSON object (a crash trace, say). */
export function parseManagerLogLine(line: string): ManagerLogLine | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  const time = typeof fields['time'] === 'string' ? Date.parse(fields['time']) : NaN;
  return {
    time: Number.isNaN(time) ? 0 : time,
    level: typeof fields['level'] === 'string' ? fields['level'] : 'info',
    msg: typeof fields['msg'] === 'string' ? fields['msg'] : '',
    event: typeof fields['event'] === 'string' ? fields['event'] : undefined,
    fields,
  };
}

const OUTCOMES = new Set(['failover-complete', 'failover-failed', 'rolled-back']);

/** The failover report a line carries, if it is the end of a failover. */
export function toFailoverReport(line: ManagerLogLine): FailoverReport | undefined {
  if (line.event === undefined || !OUTCOMES.has(line.event)) return undefined;
  const f = line.fields;
  const steps = Array.isArray(f['steps']) ? (f['steps'] as unknown[]).filter(isStepTiming) : [];
  return {
    outcome: line.event as FailoverReport['outcome'],
    from: typeof f['from'] === 'string' ? f['from'] : '?',
    to: typeof f['to'] === 'string' ? f['to'] : '?',
    steps,
    totalMs: typeof f['totalMs'] === 'number' ? f['totalMs'] : undefined,
    message: line.msg,
    at: typeof f['at'] === 'number' ? f['at'] : line.time,
  };
}

function isStepTiming(value: unknown): value is StepTiming {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s['step'] === 'string' && typeof s['ms'] === 'number' && typeof s['ok'] === 'boolean';
}

/** Collects the manager's log lines and lets callers wait for one. */
export class ManagerLog {
  private readonly lines: ManagerLogLine[] = [];
  private waiters: Array<{ accept: (line: ManagerLogLine) => boolean; resolve: (line: ManagerLogLine) => void }> = [];
  private readonly listeners = new Set<(line: ManagerLogLine) => void>();

  /** Feeds one raw stdout line. */
  push(raw: string): void {
    const line = parseManagerLogLine(raw);
    if (line === undefined) return;
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.accept(line)) waiter.resolve(line);
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Calls `listener` with each line from now on; returns the unsubscribe function. */
  subscribe(listener: (line: ManagerLogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every parsed line so far. */
  all(): readonly ManagerLogLine[] {
    return this.lines;
  }

  /** Lines that are notified events, optionally of one type. */
  events(type?: string): readonly ManagerLogLine[] {
    return this.lines.filter((l) => l.event !== undefined && (type === undefined || l.event === type));
  }

  /** Every finished failover, in order. */
  failovers(): readonly FailoverReport[] {
    return this.lines.map(toFailoverReport).filter((r): r is FailoverReport => r !== undefined);
  }

  /**
   * The first line (already seen or still to come) that `accept` takes; resolves undefined
   * after `timeoutMs` so the caller decides what a missing line means.
   */
  async waitFor(accept: (line: ManagerLogLine) => boolean, timeoutMs: number): Promise<ManagerLogLine | undefined> {
    const seen = this.lines.find(accept);
    if (seen !== undefined) return seen;
    return new Promise((resolve) => {
      const waiter = {
        accept,
        resolve: (line: ManagerLogLine): void => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
