/**
 * What `failover-manager history` prints: the journal's holder and its last runs, each with every
 * attempt of every step, its time and its outcome, and the maintenance pause in force. Read from the journal file itself, so it works
 * whether the manager runs or not. Reasons and durations are the notifier's words, step names
 * core's, so the history says what the notifications said.
 */
import { describeAction } from '@failover/core';
import type { JournaledNode, JournaledRun, JournaledStep, ManagerJournalState } from '@failover/core';
import { duration, reasonText } from '@failover/notifier';
import { toJournalFile, type ManagerJournalFile } from '@failover/protocol';

/** `history --json`: the journal file's own document, its runs cut to the last `last`, and where it was read. */
export function historyDocument(
  journal: ManagerJournalState,
  location: string,
  last: number,
): { readonly journal: string } & ManagerJournalFile {
  return { journal: location, ...toJournalFile({ ...journal, runs: journal.runs.slice(-last) }) };
}

/** `history`: the holder, then the last `last` runs, oldest first, one line per attempt. */
export function renderHistory(journal: ManagerJournalState, location: string, last: number): string {
  const runs = journal.runs.slice(-last);
  const lines = [
    `journal: ${location}`,
    `holder: ${nodeText(journal.holder, 'given')}   last seen holding: ${nodeText(journal.lastHolder, 'recorded')}`,
    ...(journal.pause === null
      ? []
      : [
          `PAUSED: ${journal.pause.reason} (since ${iso(journal.pause.at)} in term ${journal.pause.term}, ${journal.pause.until === null ? 'until resumed' : `until ${iso(journal.pause.until)}`}); no automatic failover or recovery`,
        ]),
    runs.length === 0
      ? 'no failover recorded'
      : `showing ${runs.length} of the ${journal.runs.length} failovers kept, oldest first`,
  ];
  for (const run of runs) lines.push('', ...runLines(run));
  return `${lines.join('\n')}\n`;
}

function nodeText(entry: JournaledNode | null, verb: string): string {
  return entry === null ? 'none' : `${entry.node} (${verb} in term ${entry.term}, ${iso(entry.at)})`;
}

function runLines(run: JournaledRun): string[] {
  const { plan, end } = run;
  const took =
    end === null
      ? 'in flight, or interrupted if no manager runs'
      : `${end.outcome} in ${duration(end.at - run.startedAt)}`;
  const terms = [`term ${run.term}`, ...run.resumes.map((r) => `taken up in term ${r.term} at ${iso(r.at)}`)];
  const lines = [
    `run ${run.id}  ${plan.kind} ${plan.from} → ${plan.to}${plan.fromReachable ? '' : ' (old active unreachable)'}  started ${iso(run.startedAt)}  ${took}`,
    `  ${terms.join(', ')}`,
    `  reason: ${reasonText(run.reason)}`,
  ];
  run.steps.forEach((step, index) => lines.push(stepLine(step, index === run.steps.length - 1 && end === null)));
  if (end?.detail != null) lines.push(`  ${end.outcome}: ${end.detail}`);
  return lines;
}

function stepLine(step: JournaledStep, inFlight: boolean): string {
  const name = `${step.compensating ? 'undo: ' : ''}${describeAction(step.action)}${step.attempt > 1 ? ` (attempt ${step.attempt})` : ''}`;
  const finished = step.finished;
  const mark = finished === null ? (inFlight ? '…' : '↺') : finished.ok ? '✓' : '✗';
  const took = finished === null ? (inFlight ? 'running' : 'interrupted') : duration(finished.at - step.startedAt);
  const detail = finished?.detail == null ? '' : `  ${finished.detail}`;
  return `  ${mark} ${name.padEnd(48)} ${took.padStart(11)}  term ${step.term}${detail}`;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
