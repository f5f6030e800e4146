/**
 * The manager's term when it runs alone (no election): a counter in `<state_dir>/manager-term.json`
 * raised at every start and on disk before the manager sends anything, so the requests of an
 * earlier run carry a lower term than this one's. The sender id is drawn once and then kept, so
 * the agents see one manager across its restarts.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { durableJsonFile } from '@failover/protocol';

const ManagerTermFileSchema = Type.Object({
  term: Type.Integer({ minimum: 0 }),
  sender: Type.String({ minLength: 1 }),
});

/**
 * Reads the term file, raises the term by one, writes it (atomically, fsynced) and returns it.
 * @throws StateFileError when the file is present but corrupt: a term that fell back to zero would let an earlier run's requests through
 */
export async function loadManagerTerm(stateDir: string): Promise<{ term: number; sender: string }> {
  const file = durableJsonFile(path.join(stateDir, 'manager-term.json'), ManagerTermFileSchema);
  const previous = await file.read();
  const next = {
    term: (previous?.term ?? 0) + 1,
    sender: previous?.sender ?? `manager-${randomBytes(8).toString('hex')}`,
  };
  await file.write(next);
  return next;
}
