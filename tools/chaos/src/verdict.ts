/**
 * The verdict of one trial, from what was observed: the simulator judge's violations (S1, S2),
 * the voting gaps of the staked identity, the faults with their times, and what the manager
 * reported. Pure, so every rule is a table test.
 *
 * The rules (docs/chaos.md):
 * - any double vote or lockout violation fails the trial; nothing excuses one;
 * - so does a failed check of a fencing class (a replay not refused with its code, an agent
 *   obeying a lower term after a higher one);
 * - a gap no longer than the budget is a restoration in time;
 * - a longer gap is acceptable only while faults forbade a promotion (S1 over L1: no proof
 *   that the old active stopped, no healthy passive, no manager), so it must end within the
 *   budget of the last overlapping fault's heal, and it must not be silent (L2): the manager
 *   reported it (blocked, failed, rolled back, a node unreachable) in the log and through
 *   Telegram, unless the manager itself or Telegram was the fault at the time.
 */
import type { Violation } from '@failover/solana-sim';

/** A stretch without landed votes, in wall time. */
export interface GapWindow {
  readonly startMs: number;
  /** Time of the next landed vote, or the end of observation for a gap still open. */
  readonly endMs: number;
  readonly open: boolean;
  /** Cluster slots that passed with no landed vote. */
  readonly slots: number;
  readonly fromValidator: string;
  readonly toValidator: string | null;
}

/** A fault as it happened. */
export interface FaultSpan {
  readonly label: string;
  readonly appliedMs: number;
  /** When it was healed; the time of the injection for an instant fault. */
  readonly healedMs: number;
  /** The manager could not report during it (killed, frozen). */
  readonly silencesManager: boolean;
  /** Telegram was down during it. */
  readonly silencesTelegram: boolean;
}

/** One event the manager notified, from its log. */
export interface ReportedEvent {
  readonly atMs: number;
  readonly event: string;
}

/** Everything the verdict is decided from. */
export interface TrialObservation {
  readonly violations: readonly Violation[];
  /** Gaps that overlap the fault window or come after it. */
  readonly gaps: readonly GapWindow[];
  readonly faults: readonly FaultSpan[];
  readonly reports: readonly ReportedEvent[];
  /** Arrival times of the messages the fake Telegram accepted. */
  readonly telegramMs: readonly number[];
  readonly budgetMs: number;
  /** Checks of a fencing class that failed, in words; @default none */
  readonly failedChecks?: readonly string[];
}

/** How a trial ended. */
export type TrialOutcome =
  | 'restored'
  | 'blocked-and-notified'
  | 'double-vote'
  | 'lockout-violation'
  | 'check-failed'
  | 'not-restored'
  | 'silent-gap';

/** The verdict: pass or fail, the outcome, and the reasons in words. */
export interface TrialVerdict {
  readonly pass: boolean;
  readonly outcome: TrialOutcome;
  readonly longestGap: GapWindow | null;
  readonly notes: readonly string[];
}

/** Events that tell an operator that voting is held back or a failover went wrong. */
export const REPORT_EVENTS: ReadonlySet<string> = new Set(['blocked', 'failover-failed', 'rolled-back', 'unreachable']);

/** A report that reaches Telegram later than this after the gap ends is not counted. */
const TELEGRAM_SLACK_MS = 3_000;

/** Decides a trial's verdict; see the file comment for the rules. */
export function judgeTrial(observation: TrialObservation): TrialVerdict {
  const longestGap = observation.gaps.reduce<GapWindow | null>(
    (a, g) => (a === null || durationOf(g) > durationOf(a) ? g : a),
    null,
  );
  if (observation.violations.length > 0) {
    const doubleVote = observation.violations.some((v) => v.kind === 'double-vote');
    return {
      pass: false,
      outcome: doubleVote ? 'double-vote' : 'lockout-violation',
      longestGap,
      notes: observation.violations.map(describeViolation),
    };
  }
  const failedChecks = observation.failedChecks ?? [];
  if (failedChecks.length > 0) return { pass: false, outcome: 'check-failed', longestGap, notes: [...failedChecks] };
  const notes: string[] = [];
  let blocked = false;
  for (const gap of observation.gaps) {
    const ms = durationOf(gap);
    if (ms <= observation.budgetMs) continue;
    const overlapping = observation.faults.filter((f) => f.appliedMs <= gap.endMs && f.healedMs >= gap.startMs);
    const lastHeal = overlapping.reduce((latest, f) => Math.max(latest, Math.min(f.healedMs, gap.endMs)), gap.startMs);
    const late = gap.endMs - lastHeal;
    if (overlapping.length === 0 || late > observation.budgetMs) {
      const since = overlapping.length === 0 ? 'with no fault in effect' : `${late} ms after the last fault healed`;
      return {
        pass: false,
        outcome: 'not-restored',
        longestGap,
        notes: [
          ...notes,
          `${gap.open ? 'no vote yet' : 'voting resumed only'} ${since} (budget ${observation.budgetMs} ms; gap of ${ms} ms from ${gap.fromValidator})`,
        ],
      };
    }
    const silent = silence(gap, observation, overlapping);
    if (silent !== undefined) return { pass: false, outcome: 'silent-gap', longestGap, notes: [...notes, silent] };
    blocked = true;
    notes.push(
      `gap of ${ms} ms held by ${overlapping.map((f) => f.label).join(', ')}; reported, and resumed ${late} ms after the heal`,
    );
  }
  return { pass: true, outcome: blocked ? 'blocked-and-notified' : 'restored', longestGap, notes };
}

/** Why a gap beyond the budget went unreported, or undefined when it was reported. */
function silence(gap: GapWindow, observation: TrialObservation, overlapping: readonly FaultSpan[]): string | undefined {
  if (overlapping.some((f) => f.silencesManager)) return undefined;
  const reports = observation.reports.filter(
    (r) => REPORT_EVENTS.has(r.event) && r.atMs >= gap.startMs && r.atMs <= gap.endMs,
  );
  if (reports.length === 0)
    return `gap of ${durationOf(gap)} ms with no blocked, failed or unreachable report from the manager (L2)`;
  const telegramDown = overlapping.some((f) => f.silencesTelegram);
  const delivered = observation.telegramMs.some((t) => t >= gap.startMs && t <= gap.endMs + TELEGRAM_SLACK_MS);
  if (!telegramDown && !delivered)
    return `the manager logged ${reports.map((r) => r.event).join(', ')} but no message reached Telegram during the gap`;
  return undefined;
}

/** Wall-clock length of a gap. */
export function durationOf(gap: GapWindow): number {
  return gap.endMs - gap.startMs;
}

/** A violation in one line, with the party that misbehaved. */
export function describeViolation(v: Violation): string {
  if (v.kind === 'double-vote') {
    return `double vote (${v.reason}) by ${v.validators.join(' and ')}: slots ${v.firstSlot}..${v.lastSlot}, ${v.count}x, first at ${new Date(v.firstTimeMs).toISOString()}`;
  }
  return `lockout violation by ${v.validator} below ${v.previousValidator}'s last vote ${v.previousLastVote}: slots ${v.firstSlot}..${v.lastSlot}, ${v.count}x`;
}
