/**
 * The manager's own term, without an election: a counter in `<state_dir>/manager-term.json`,
 * raised by one and written (atomically, fsynced) at every start before anything is sent, so
 * that every request of this run carries a term above every request of an earlier run. An
 * agent that has obeyed this run refuses the late requests of the runs before it. The sender
 * id, `manager-<16 hex digits>`, is drawn at the first start and kept: agents tell two
 * managers apart by it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { durableJsonFile, SENDER_PATTERN } from '@failover/protocol';
import { Type } from '@sinclair/typebox';

/** The file of the manager's term, in its state directory. */
export const MANAGER_TERM_FILE = 'manager-term.json';

const ManagerTermSchema = Type.Object({
  term: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  sender: Type.String({ pattern: SENDER_PATTERN }),
});

/** A manager's term and sender id, as stamped on its requests. */
export interface ManagerTerm {
  readonly term: number;
  readonly sender: string;
}

function termFile(stateDir: string) {
  return durableJsonFile(path.join(stateDir, MANAGER_TERM_FILE), ManagerTermSchema);
}

/**
 * Takes this run's term: reads `manager-term.json` (none yet: term 0 and a new sender id),
 * raises the term by one and writes it before returning.
 * @throws StateFileError when the file is present but unreadable or not a term
 */
export async function loadManagerTerm(stateDir: string): Promise<{ term: number; sender: string }> {
  const file = termFile(stateDir);
  const kept = await file.read();
  const next = { term: (kept?.term ?? 0) + 1, sender: kept?.sender ?? `manager-${randomBytes(8).toString('hex')}` };
  await file.write(next);
  return next;
}

/**
 * The term of the manager's current run, without taking a new one: what a one-shot command
 * (`--shutdown-agent`) stamps, so that a manager running beside it keeps its authority. With
 * no file yet it takes the first term, as a start would.
 * @throws StateFileError when the file is present but unreadable or not a term
 */
export async function currentManagerTerm(stateDir: string): Promise<ManagerTerm> {
  const kept = await termFile(stateDir).read();
  return kept ?? loadManagerTerm(stateDir);
}

/**
 * Raises the local counter to `claim.term` (never lowers it): a leader elected in etcd records its
 * term here, so that the same manager started later without the election counts on above every
 * term the agents obeyed from it.
 * @throws StateFileError when the file is present but unreadable or not a term
 */
export async function recordManagerTerm(stateDir: string, claim: ManagerTerm): Promise<void> {
  const file = termFile(stateDir);
  const kept = await file.read();
  if (kept !== undefined && kept.term >= claim.term) return;
  await file.write({ term: claim.term, sender: claim.sender });
}
