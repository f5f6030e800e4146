/**
 * A journal kept in memory, for the monitor's unit tests on a simulated clock (a file's real
 * I/O would let simulated time run ahead while a write is pending). It folds records with
 * core's reducer, as the file journal does; a test can hold writes back, make them fail, or
 * stop the manager for good at a chosen write.
 */
import { EMPTY_JOURNAL, applyJournalRecords } from '@failover/core';
import type { JournalRecord, ManagerJournalState } from '@failover/core';
import type { ManagerJournal } from '../../src/journal';

export interface MemoryJournal extends ManagerJournal {
  /** What is durable so far. */
  state: ManagerJournalState;
  /** Every write, in order. */
  readonly writes: (readonly JournalRecord[])[];
  /** While set, every append fails with this message. */
  failWith: string | undefined;
  /** While set, appends wait for it. */
  gate: Promise<void> | undefined;
  /** A write these records are in never becomes durable and never returns: the manager was killed before it did. */
  killedAt: ((records: readonly JournalRecord[]) => boolean) | undefined;
  /** Whether that write came. */
  killed: boolean;
}

export function createMemoryJournal(initial: ManagerJournalState = EMPTY_JOURNAL): MemoryJournal {
  const journal: MemoryJournal = {
    location: 'memory',
    state: initial,
    writes: [],
    failWith: undefined,
    gate: undefined,
    killedAt: undefined,
    killed: false,
    load: async () => journal.state,
    async append(records) {
      await journal.gate;
      if (journal.killedAt?.(records) === true) {
        journal.killed = true;
        await new Promise<never>(() => undefined);
      }
      if (journal.failWith !== undefined) throw new Error(journal.failWith);
      journal.state = applyJournalRecords(journal.state, records);
      journal.writes.push(records);
    },
  };
  return journal;
}
