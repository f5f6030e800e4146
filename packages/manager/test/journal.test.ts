import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JournalRecord } from '@failover/core';
import { EMPTY_JOURNAL, NO_PLAN_HOOKS } from '@failover/core';
import { createFileJournal, readJournalFile } from '../src/journal';
import { loadManagerTerm } from '../src/manager-term';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'manager-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const started: JournalRecord = {
  kind: 'run-started',
  run: 1,
  at: 1_000,
  term: 1,
  plan: {
    kind: 'switchover',
    from: 'validator1',
    to: 'validator2',
    fromReachable: true,
    secureMode: false,
    hooks: NO_PLAN_HOOKS,
  },
  reason: { kind: 'switchover', text: 'upgrade' },
};

describe('the file journal', () => {
  it('starts empty, and keeps every append durable in journal.json for the next start', async () => {
    const journal = createFileJournal(dir);
    expect(await journal.load()).toEqual(EMPTY_JOURNAL);
    await journal.append([{ kind: 'holder-seen', at: 500, term: 1, node: 'validator1' }]);
    await journal.append([started]);
    expect(journal.location).toBe(path.join(dir, 'journal.json'));
    const again = await createFileJournal(dir).load();
    expect(again).toMatchObject({ lastHolder: { node: 'validator1' }, runs: [{ id: 1, end: null }] });
    expect(await readJournalFile(journal.location)).toEqual(again);
    expect(JSON.parse(await readFile(journal.location, 'utf8'))).toMatchObject({
      version: 1,
      last_holder: { node: 'validator1' },
    });
  });

  it('refuses a corrupt journal instead of reading it as empty', async () => {
    await writeFile(path.join(dir, 'journal.json'), '{"version": 1, "holder": ');
    await expect(createFileJournal(dir).load()).rejects.toThrow(
      /^FAILOVER_STATE_FILE: state file .*journal\.json is not valid JSON/,
    );
  });

  it('rejects an append it could not write, and keeps what it held before', async () => {
    const journal = createFileJournal(dir);
    await journal.append([started]);
    await rm(dir, { recursive: true });
    await expect(
      journal.append([{ kind: 'run-ended', run: 1, at: 2_000, term: 1, outcome: 'completed', detail: null }]),
    ).rejects.toThrow(/ENOENT/);
    await mkdir(dir);
    await journal.append([{ kind: 'holder-seen', at: 3_000, term: 1, node: 'validator2' }]);
    expect(await createFileJournal(dir).load()).toMatchObject({
      runs: [{ id: 1, end: null }],
      lastHolder: { node: 'validator2' },
    });
  });
});

describe('the manager term', () => {
  it('is raised at every start and on disk before it is used, with one sender kept across starts', async () => {
    const first = await loadManagerTerm(dir);
    expect(first).toEqual({ term: 1, sender: expect.stringMatching(/^manager-[0-9a-f]{16}$/) });
    const second = await loadManagerTerm(dir);
    expect(second).toEqual({ term: 2, sender: first.sender });
    expect(JSON.parse(await readFile(path.join(dir, 'manager-term.json'), 'utf8'))).toEqual(second);
  });

  it('refuses a corrupt term file instead of starting again from zero', async () => {
    await writeFile(path.join(dir, 'manager-term.json'), JSON.stringify({ term: -3 }));
    await expect(loadManagerTerm(dir)).rejects.toThrow(
      /^FAILOVER_STATE_FILE: state file .*manager-term\.json does not hold/,
    );
  });
});
