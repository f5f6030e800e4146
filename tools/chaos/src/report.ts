/**
 * The campaign's table: one row per trial (trial, seed, faults, verdict, voting gap in slots
 * and ms, notes), a header with the budget, and a summary line naming the seeds to replay.
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
    `${'trial'.padEnd(6)}${'seed'.padEnd(12)}${'verdict'.padEnd(27)}${'gap'.padEnd(16)}faults / notes`
  );
}

/** One trial as a table row, notes on the lines below it. */
export function formatRow(result: TrialResult, index: number): string {
  const verdict = `${result.pass ? 'PASS' : 'FAIL'} ${result.outcome}`;
  const gap = `${result.gapSlots} sl/${result.gapMs} ms`;
  const faults = result.injected.length > 0 ? result.injected.join(' + ') : result.schedule.join('; ');
  const head = `${String(index + 1).padEnd(6)}${String(result.seed).padEnd(12)}${verdict.padEnd(27)}${gap.padEnd(16)}${faults}`;
  const notes = [...result.notes, ...(result.logs ? [`logs: ${result.logs}`] : [])];
  return [head, ...notes.map((n) => `${' '.repeat(61)}- ${n}`)].join('\n');
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
