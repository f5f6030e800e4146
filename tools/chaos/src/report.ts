/**
 * The campaign's table: one row per trial (trial, seed, faults, verdict, voting gap in slots
 * and ms, time to a voter, notes), a header with the budget, a summary line naming the seeds to
 * replay, and the numbers of each class.
 */
import type { CampaignReport } from './campaign';
import { DEFAULT_WINDOW_MS, FAULT_KINDS } from './schedule';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './settings';
import type { Budget } from './settings';
import type { TrialResult } from './trial';

/** The header line: the budget and how it is made up. */
export function formatHeader(budget: Budget, slotMs: number): string {
  return (
    `budget ${budget.totalMs} ms = detection ${budget.detectionMs} + proof ${budget.proofMs} + failover allowance ${budget.allowanceMs} (slots of ${slotMs} ms)\n` +
    `${'trial'.padEnd(6)}${'seed'.padEnd(12)}${'verdict'.padEnd(27)}${'gap'.padEnd(16)}${'voter'.padEnd(9)}faults / notes`
  );
}

/** One trial as a table row, notes on the lines below it. */
export function formatRow(result: TrialResult, index: number): string {
  const verdict = `${result.pass ? 'PASS' : 'FAIL'} ${result.outcome}`;
  const gap = `${result.gapSlots} sl/${result.gapMs} ms`;
  // A fencing trial names its class and parameters first, then what it did.
  const faults =
    result.class !== 'faults'
      ? [...result.schedule, ...result.injected].join(' + ')
      : result.injected.length > 0
        ? result.injected.join(' + ')
        : result.schedule.join('; ');
  const voter = result.timeToVoterMs === null ? 'none' : `${(result.timeToVoterMs / 1000).toFixed(1)} s`;
  const head = `${String(index + 1).padEnd(6)}${String(result.seed).padEnd(12)}${verdict.padEnd(27)}${gap.padEnd(16)}${voter.padEnd(9)}${faults}`;
  const notes = [...result.notes, ...(result.logs ? [`logs: ${result.logs}`] : [])];
  return [head, ...notes.map((n) => `${' '.repeat(70)}- ${n}`)].join('\n');
}

/** The closing line: counts, time, and the replay command of each failed seed. */
export function formatSummary(report: CampaignReport): string {
  const failed = report.trials.filter((t) => !t.pass);
  const head = `${report.passed} passed, ${report.failed} failed, ${report.trials.length} trials in ${Math.round(report.durationMs / 1000)} s`;
  if (failed.length === 0) return head;
  const replay = failed.map((t) => `  npm run chaos -w @failover/chaos -- ${replayArgs(report, t.seed).join(' ')}`);
  return [head, 'replay:', ...replay].join('\n');
}

/** The arguments that replay one trial of a run: its seed and whatever else fixed its schedule. */
export function replayArgs(report: Pick<CampaignReport, 'settings' | 'kinds' | 'windowMs'>, seed: number): string[] {
  const sameKinds = report.kinds.length === FAULT_KINDS.length && report.kinds.every((k, i) => k === FAULT_KINDS[i]);
  return [
    '--seed',
    String(seed),
    '--slot-ms',
    String(report.settings.slotMs),
    ...(sameKinds ? [] : ['--faults', report.kinds.join(',')]),
    ...(report.windowMs === DEFAULT_WINDOW_MS ? [] : ['--window-ms', String(report.windowMs)]),
    ...(report.settings.requestTimeoutMs === DEFAULT_REQUEST_TIMEOUT_MS
      ? []
      : ['--request-timeout-ms', String(report.settings.requestTimeoutMs)]),
  ];
}

/** The numbers of one class of a run. */
export interface ClassNumbers {
  readonly class: string;
  /** A control class: its trials pass when the judge finds the double vote they are expected to show. */
  readonly control: boolean;
  readonly trials: number;
  readonly passed: number;
  /** Trials in which the judge saw a double vote. */
  readonly doubleVotes: number;
  /** Trials in which the judge saw a lockout violation (and no double vote). */
  readonly lockoutViolations: number;
  /** Time to a voter over the trials that had one: median and largest, in ms. */
  readonly voterMedianMs: number | null;
  readonly voterMaxMs: number | null;
  /** Trials that ended with nobody voting. */
  readonly noVoter: number;
}

/** Per class, in order of first appearance: trials, passes, violations, time to a voter. */
export function classNumbers(trials: readonly TrialResult[]): ClassNumbers[] {
  const classes = [...new Set(trials.map((t) => t.class))];
  return classes.map((cls) => {
    const own = trials.filter((t) => t.class === cls);
    const times = own
      .map((t) => t.timeToVoterMs)
      .filter((ms): ms is number => ms !== null)
      .sort((a, b) => a - b);
    return {
      class: cls,
      control: own.some((t) => t.control),
      trials: own.length,
      passed: own.filter((t) => t.pass).length,
      doubleVotes: own.filter((t) => t.outcome === 'double-vote').length,
      lockoutViolations: own.filter((t) => t.outcome === 'lockout-violation').length,
      voterMedianMs: times.length === 0 ? null : (times[Math.floor((times.length - 1) / 2)] as number),
      voterMaxMs: times.length === 0 ? null : (times[times.length - 1] as number),
      noVoter: own.length - times.length,
    };
  });
}

/** {@link classNumbers} as a table. */
export function formatClassTable(trials: readonly TrialResult[]): string {
  const seconds = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const rows = classNumbers(trials).map(
    (n) =>
      `${(n.control ? `${n.class} (control)` : n.class).padEnd(34)}${String(n.trials).padEnd(8)}${String(n.passed).padEnd(8)}${String(n.doubleVotes).padEnd(8)}${String(n.lockoutViolations).padEnd(10)}${seconds(n.voterMedianMs).padEnd(10)}${seconds(n.voterMaxMs).padEnd(10)}${n.noVoter}`,
  );
  return [
    `${'class'.padEnd(34)}${'trials'.padEnd(8)}${'passed'.padEnd(8)}${'double'.padEnd(8)}${'lockout'.padEnd(10)}${'voter p50'.padEnd(10)}${'voter max'.padEnd(10)}no voter`,
    ...rows,
  ].join('\n');
}
