/**
 * Reads an agent's JSON log (`log_format: json`) after the fact: when a role change began, when
 * the tower was restored, and how long each configured command ran by the agent's own clock
 * (`duration_ms`, measured around the child process). These are the parts of a promotion the
 * manager sees only as one step.
 */
import { readFileSync } from 'node:fs';

/** One JSON line of an agent's log. */
export interface AgentLogLine {
  /** ms since the epoch, from the line's ISO `time`. */
  readonly time: number;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A configured command the agent ran, as its log reports it. */
export interface CommandRun {
  /** The config key, e.g. `identity_change_command`. */
  readonly command: string;
  /** When the command ended (the time of its result line). */
  readonly endedAt: number;
  readonly durationMs: number;
  readonly ok: boolean;
}

/** Parses the agent's log file; lines that are not JSON objects (a crash trace) are skipped. */
export function readAgentLog(file: string): AgentLogLine[] {
  const lines: AgentLogLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof raw !== 'object' || raw === null) continue;
    const fields = raw as Record<string, unknown>;
    const time = typeof fields['time'] === 'string' ? Date.parse(fields['time']) : Number.NaN;
    if (Number.isNaN(time)) continue;
    lines.push({ time, msg: typeof fields['msg'] === 'string' ? fields['msg'] : '', fields });
  }
  return lines;
}

/** Every command that ended at or after `since`, in order. */
export function commandRuns(lines: readonly AgentLogLine[], since: number): CommandRun[] {
  return lines
    .filter(
      (l) => l.time >= since && typeof l.fields['command'] === 'string' && typeof l.fields['duration_ms'] === 'number',
    )
    .map((l) => ({
      command: l.fields['command'] as string,
      endedAt: l.time,
      durationMs: l.fields['duration_ms'] as number,
      ok: l.fields['exit_code'] === 0 && l.fields['timed_out'] !== true,
    }));
}

/** What one promotion (`become_active`) took on the new active, from its log. */
export interface PromotionTimes {
  /** The request reached the role machine (`activating: …`). */
  readonly startedAt: number;
  /**
   * Activation start → tower restored on disk (read from the store, verified, written); on
   * Alpenglow, the tower and then the vote history, both installed.
   */
  readonly towerRestoreMs: number;
  /** Duration of `identity_change_command` (set-identity --require-tower), by the agent's clock. */
  readonly setIdentityMs: number;
  /** When set-identity returned: the validator may vote from here on. */
  readonly setIdentityEndedAt: number;
  /** The agent's own measure of the whole role change. */
  readonly roleChangeMs: number | undefined;
}

/** The first promotion that began at or after `since`; undefined when the log holds none. */
export function promotionSince(lines: readonly AgentLogLine[], since: number): PromotionTimes | undefined {
  const start = lines.findIndex((l) => l.time >= since && l.msg.startsWith('activating'));
  if (start === -1) return undefined;
  const after = lines.slice(start);
  const startedAt = after[0]!.time;
  const setIdentity = commandRuns(after, startedAt).find((r) => r.command === 'identity_change_command' && r.ok);
  if (setIdentity === undefined) return undefined;
  // The last file installed before set-identity ran: the tower, then the vote history when there is one.
  const restored = after
    .filter((l) => l.time <= setIdentity.endedAt - setIdentity.durationMs)
    .findLast((l) => l.msg.startsWith('restored ') || l.msg.startsWith('kept '));
  if (restored === undefined) return undefined;
  const change = after.find((l) => l.msg === 'role change took' && typeof l.fields['ms'] === 'number');
  return {
    startedAt,
    towerRestoreMs: restored.time - startedAt,
    setIdentityMs: setIdentity.durationMs,
    setIdentityEndedAt: setIdentity.endedAt,
    roleChangeMs: change === undefined ? undefined : (change.fields['ms'] as number),
  };
}

/** What one demotion (`become_passive`) ran on the old active, from its log. */
export interface DemotionTimes {
  readonly startedAt: number;
  /** Summed durations of every `identity_remove_command` attempt (set-identity to the unstaked key). */
  readonly removeIdentityMs: number;
  readonly removeAttempts: number;
  /** `validator_restart_command`, the fallback when the identity cannot be removed; 0 when not run. */
  readonly restartMs: number;
  readonly roleChangeMs: number | undefined;
}

/** The first demotion that began at or after `since`; undefined when the log holds none. */
export function demotionSince(lines: readonly AgentLogLine[], since: number): DemotionTimes | undefined {
  const start = lines.findIndex((l) => l.time >= since && l.msg.startsWith('deactivating'));
  if (start === -1) return undefined;
  const after = lines.slice(start);
  const end = after.findIndex((l) => l.msg === 'role change took');
  const window = end === -1 ? after : after.slice(0, end + 1);
  const runs = commandRuns(window, after[0]!.time);
  const removes = runs.filter((r) => r.command === 'identity_remove_command');
  const change = end === -1 ? undefined : after[end];
  return {
    startedAt: after[0]!.time,
    removeIdentityMs: removes.reduce((sum, r) => sum + r.durationMs, 0),
    removeAttempts: removes.length,
    restartMs: runs.filter((r) => r.command === 'validator_restart_command').reduce((sum, r) => sum + r.durationMs, 0),
    roleChangeMs: change === undefined ? undefined : (change.fields['ms'] as number),
  };
}
