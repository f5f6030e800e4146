/**
 * Where the manager keeps its journal. The monitor sees only {@link ManagerJournal}: load it once
 * at start, append records and wait until they are durable. The one implementation here is a
 * file in the state directory, rewritten whole (atomically, fsynced) at every append; a store in
 * etcd for highly available managers is another implementation of the same interface.
 */
import path from 'node:path';
import { EMPTY_JOURNAL, applyJournalRecords } from '@failover/core';
import type { JournalRecord, ManagerJournalState } from '@failover/core';
import {
  JOURNAL_FILE_NAME,
  ManagerJournalFileSchema,
  durableJsonFile,
  toJournalFile,
  toJournalState,
} from '@failover/protocol';

/** The manager's journal, wherever it is kept. */
export interface ManagerJournal {
  /** Where it is kept, for messages (a file path). */
  readonly location: string;
  /**
   * What it holds; the empty journal when nothing was written yet.
   * @throws StateFileError when it is present but cannot be read, or is corrupt: never read as empty
   */
  load(): Promise<ManagerJournalState>;
  /**
   * Folds `records` in and resolves once they are durable. Rejects when they could not be
   * written; the journal then holds what it held before.
   */
  append(records: readonly JournalRecord[]): Promise<void>;
}

/** The journal in `<stateDir>/journal.json`. Appends must not overlap; the monitor makes one at a time. */
export function createFileJournal(stateDir: string): ManagerJournal {
  const file = durableJsonFile(path.join(stateDir, JOURNAL_FILE_NAME), ManagerJournalFileSchema);
  let current: ManagerJournalState | undefined;
  async function load(): Promise<ManagerJournalState> {
    current = (await readJournalFile(file.path)) ?? EMPTY_JOURNAL;
    return current;
  }
  return {
    location: file.path,
    load,
    async append(records) {
      const next = applyJournalRecords(current ?? (await load()), records);
      await file.write(toJournalFile(next));
      current = next;
    },
  };
}

/**
 * Reads a journal file; undefined when there is none. The manager may be rewriting it meanwhile:
 * each write replaces the file whole, so a reader sees one version or the next.
 * @throws StateFileError when it cannot be read or is corrupt
 */
export async function readJournalFile(file: string): Promise<ManagerJournalState | undefined> {
  const read = await durableJsonFile(file, ManagerJournalFileSchema).read();
  return read === undefined ? undefined : toJournalState(read);
}
