/**
 * The journal of highly available managers: the same document as `journal.json`, kept in one etcd
 * key (`<prefix>/journal`), so that a new leader finds the run its predecessor left half done.
 * Every write is a transaction that compares the leader key's create revision with the writer's
 * own: a deposed leader — frozen, cut off, or simply slower than its successor — cannot write
 * over what the new leader journals.
 */
import type { Etcd3 } from 'etcd3';
import { EMPTY_JOURNAL, applyJournalRecords } from '@failover/core';
import type { ManagerJournalState } from '@failover/core';
import {
  ManagerJournalFileSchema,
  StateFileError,
  loadEtcdAccess,
  toJournalFile,
  toJournalState,
} from '@failover/protocol';
import type { ElectionConfig } from '@failover/protocol';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { LeaderGuard } from './election';
import type { ManagerJournal } from './journal';

/** Options of {@link createEtcdJournal}. */
export interface EtcdJournalOptions {
  readonly client: () => Promise<Etcd3>;
  /** The election's prefix; the journal is `<prefix>/journal`. */
  readonly prefix: string;
  /** The guard of this leader's writes; null when it may not write (not leading, or past its deadline). */
  readonly guard: () => LeaderGuard | null;
  /** Called when etcd refused a write because the leader key is no longer this manager's. */
  readonly onFenced?: (detail: string) => void;
}

/** The key of the journal under an election prefix. */
export function journalKey(prefix: string): string {
  return `${prefix}/journal`;
}

/** The journal in etcd; appends must not overlap (the monitor makes one at a time). */
export function createEtcdJournal(options: EtcdJournalOptions): ManagerJournal {
  const key = journalKey(options.prefix);
  const location = `etcd key ${key}`;
  let current: ManagerJournalState | undefined;

  async function load(): Promise<ManagerJournalState> {
    current = (await readEtcdJournal(await options.client(), options.prefix)) ?? EMPTY_JOURNAL;
    return current;
  }

  return {
    location,
    load,
    async append(records) {
      const guard = options.guard();
      if (guard === null) throw new Error('not written: this manager no longer leads');
      const next = applyJournalRecords(current ?? (await load()), records);
      const client = await options.client();
      const written = await client
        .if(guard.leaderKey, 'Create', '==', guard.keyRevision)
        .then(client.put(key).value(JSON.stringify(toJournalFile(next))))
        .commit();
      if (!written.succeeded) {
        const detail = 'not written: the leader key is no longer this manager’s (another manager leads)';
        options.onFenced?.(detail);
        throw new Error(detail);
      }
      current = next;
    },
  };
}

/**
 * Reads the journal from etcd; undefined when there is none yet.
 * @throws StateFileError when the key does not hold a journal document: never read as empty
 */
export async function readEtcdJournal(client: Etcd3, prefix: string): Promise<ManagerJournalState | undefined> {
  const key = journalKey(prefix);
  const text = await client.get(key);
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(`etcd key ${key}`, 'is not valid JSON; restore it from a backup or remove it knowingly', {
      cause: error,
    });
  }
  const firstError = Value.Errors(ManagerJournalFileSchema, value).First();
  if (firstError !== undefined)
    throw new StateFileError(
      `etcd key ${key}`,
      `does not hold what it should: ${firstError.path || '/'} ${firstError.message}`,
    );
  return toJournalState(value as Static<typeof ManagerJournalFileSchema>);
}

/**
 * Reads the journal of highly available managers with a client of its own, for `history`: it
 * works whether any manager runs or not.
 * @throws StateFileError when the key does not hold a journal document
 */
export async function fetchEtcdJournal(
  config: ElectionConfig,
  callTimeoutMs = 5_000,
): Promise<{ location: string; journal: ManagerJournalState | undefined }> {
  const security = await loadEtcdAccess(config.access ?? {});
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({
    ...security,
    hosts: [...config.endpoints],
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
  });
  try {
    const prefix = config.prefix.replace(/\/+$/, '');
    return { location: `etcd key ${journalKey(prefix)}`, journal: await readEtcdJournal(client, prefix) };
  } finally {
    client.close();
  }
}
