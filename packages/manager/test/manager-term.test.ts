import { StateFileError } from '@failover/protocol';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentManagerTerm, loadManagerTerm, MANAGER_TERM_FILE } from '../src/manager-term';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'manager-term-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadManagerTerm', () => {
  it('takes term 1 and a new sender id at the first start, and writes them before returning', async () => {
    const first = await loadManagerTerm(dir);
    expect(first).toEqual({ term: 1, sender: expect.stringMatching(/^manager-[0-9a-f]{16}$/) });
    expect(JSON.parse(readFileSync(join(dir, MANAGER_TERM_FILE), 'utf8'))).toEqual(first);
  });

  it('raises the term at every start and keeps the sender id', async () => {
    const first = await loadManagerTerm(dir);
    const second = await loadManagerTerm(dir);
    const third = await loadManagerTerm(dir);
    expect([second.term, third.term]).toEqual([first.term + 1, first.term + 2]);
    expect(new Set([first.sender, second.sender, third.sender]).size).toBe(1);
  });

  it('gives two state directories two sender ids', async () => {
    const other = mkdtempSync(join(tmpdir(), 'manager-term-'));
    try {
      expect((await loadManagerTerm(dir)).sender).not.toBe((await loadManagerTerm(other)).sender);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a corrupt term file instead of starting again from term 1', async () => {
    writeFileSync(join(dir, MANAGER_TERM_FILE), '{"term": "seven"}');
    await expect(loadManagerTerm(dir)).rejects.toBeInstanceOf(StateFileError);
  });
});

describe('currentManagerTerm', () => {
  it("reads the running manager's term without raising it", async () => {
    const running = await loadManagerTerm(dir);
    await expect(currentManagerTerm(dir)).resolves.toEqual(running);
    await expect(currentManagerTerm(dir)).resolves.toEqual(running);
  });

  it('takes the first term when no manager ever started here', async () => {
    await expect(currentManagerTerm(dir)).resolves.toMatchObject({ term: 1 });
    await expect(loadManagerTerm(dir)).resolves.toMatchObject({ term: 2 });
  });
});
