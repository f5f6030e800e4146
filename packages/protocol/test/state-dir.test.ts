import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { StateDirError, StateFileError, defaultStateDir, durableJsonFile, prepareStateDir } from '@failover/protocol';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'failover-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the default state directory', () => {
  it('is the systemd StateDirectory when the unit sets one, the first of several', () => {
    expect(defaultStateDir('failover-agent', { env: { STATE_DIRECTORY: '/var/lib/x:/var/lib/y' }, uid: 0 })).toBe(
      '/var/lib/x',
    );
  });

  it('is under /var/lib for root', () => {
    expect(defaultStateDir('failover-manager', { env: {}, uid: 0 })).toBe('/var/lib/failover-manager');
  });

  it('is under the XDG state home, or ~/.local/state, for another user', () => {
    expect(defaultStateDir('failover-agent', { env: { XDG_STATE_HOME: '/srv/state' }, uid: 1000 })).toBe(
      '/srv/state/failover-agent',
    );
    expect(
      defaultStateDir('failover-agent', { env: { XDG_STATE_HOME: 'relative' }, uid: 1000, home: '/home/sol' }),
    ).toBe('/home/sol/.local/state/failover-agent');
  });
});

describe('prepareStateDir', () => {
  it('creates the configured directory, readable by its owner only', async () => {
    const wanted = join(dir, 'a', 'b');
    await expect(prepareStateDir('failover-agent', wanted, { env: {} })).resolves.toBe(wanted);
    expect(statSync(wanted).mode & 0o777).toBe(0o700);
  });

  it('refuses a path it cannot create, naming it', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const error = await prepareStateDir('failover-manager', join(file, 'state'), { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDirError);
    expect((error as Error).message).toMatch(
      /^FAILOVER_STATE_DIR: state directory .*plain-file\/state cannot be created/,
    );
  });
});

describe('a durable JSON file', () => {
  const Term = Type.Object({ term: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

  it('reads nothing before the first write, then what was written, leaving no temporary file', async () => {
    const file = durableJsonFile(join(dir, 'term.json'), Term);
    await expect(file.read()).resolves.toBeUndefined();
    await file.write({ term: 7 });
    await file.write({ term: 8 });
    await expect(file.read()).resolves.toEqual({ term: 8 });
    expect(readdirSync(dir)).toEqual(['term.json']);
    expect(statSync(join(dir, 'term.json')).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', '{"term": 7', /is not valid JSON/],
    ['of another shape', '{"term": -1}', /does not hold what it should: \/term/],
    ['with an unknown key', '{"term": 1, "other": true}', /does not hold what it should/],
  ])('refuses a file %s instead of reading it as no state', async (_case, content, message) => {
    writeFileSync(join(dir, 'term.json'), content);
    const error = await durableJsonFile(join(dir, 'term.json'), Term)
      .read()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as Error).message).toMatch(message);
  });
});
