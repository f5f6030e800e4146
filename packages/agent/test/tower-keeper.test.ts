import { decodeTower } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import { systemClock } from '@failover/protocol';
import { tempDir, type TempDir } from '@failover/testkit';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTowerKeeper, KEPT_ASIDE_LIMIT, type FileKeeper } from '../src/tower-keeper';
import { createCommandRunner } from '../src/command-runner';
import {
  createCommandTowerStore,
  createDirectoryTowerStore,
  sha256Hex,
  type BackupOutcome,
  type TowerBackupMeta,
  type TowerStore,
} from '../src/tower-store';
import { recordingLogger } from './support/recording-logger';
import { generateKeypair, towerBytes } from './support/towers';

const staked = generateKeypair();
const other = generateKeypair();

let dir: TempDir;
let towerFile: string;
beforeEach(() => {
  dir = tempDir('agent-keeper');
  towerFile = path.join(dir.path, `tower-1_9-${staked.pubkey}.bin`);
});
afterEach(() => dir.remove());

function keeper(store: TowerStore, dryRun = false): FileKeeper {
  return createTowerKeeper({
    towerFile,
    identity: staked.pubkey,
    store,
    source: 'test-agent',
    dryRun,
    logger: recordingLogger(),
    clock: systemClock,
  });
}
const directoryStore = (): TowerStore =>
  createDirectoryTowerStore({ directory: path.join(dir.path, 'store'), identity: staked.pubkey });

function metaFor(bytes: Buffer, lastVotedSlot: number | null): TowerBackupMeta {
  return {
    fileName: path.basename(towerFile),
    sha256: sha256Hex(bytes),
    lastVotedSlot,
    source: 'elsewhere',
    takenAt: new Date(0).toISOString(),
  };
}

describe('backups', () => {
  // F1: a fenced backup is how an old active learns another machine holds the identity.
  it('tells onFenced when the store refuses a backup as fenced, and not for other failures', async () => {
    const fenced: string[] = [];
    const outcomes: BackupOutcome[] = [
      { ok: false, reason: 'unavailable', error: 'etcd down' },
      { ok: false, reason: 'fenced', error: 'slot key written by someone else' },
    ];
    const store: TowerStore = {
      ...directoryStore(),
      backup: async () => outcomes.shift() ?? { ok: false, reason: 'failed', error: 'x' },
    };
    const k = createTowerKeeper({
      towerFile,
      identity: staked.pubkey,
      store,
      source: 'test-agent',
      dryRun: false,
      logger: recordingLogger(),
      clock: systemClock,
      onFenced: (detail) => fenced.push(detail),
    });
    writeFileSync(towerFile, towerBytes(staked, 100));
    await expect(k.backupIfChanged()).resolves.toMatchObject({ status: 'failed' });
    expect(fenced).toEqual([]);
    await expect(k.backupIfChanged()).resolves.toMatchObject({
      status: 'failed',
      error: expect.stringContaining('(fenced)'),
    });
    expect(fenced).toEqual(['slot key written by someone else']);
  });

  it('backs up a changed tower and skips an unchanged one', async () => {
    const k = keeper(directoryStore());
    writeFileSync(towerFile, towerBytes(staked, 100));
    await expect(k.backupIfChanged()).resolves.toMatchObject({
      status: 'stored',
      meta: { lastVotedSlot: 100, source: 'test-agent' },
    });
    await expect(k.backupIfChanged()).resolves.toEqual({ status: 'unchanged' });
    writeFileSync(towerFile, towerBytes(staked, 101));
    await expect(k.backupIfChanged()).resolves.toMatchObject({ status: 'stored', meta: { lastVotedSlot: 101 } });
    expect(k.state().lastBackup?.lastVotedSlot).toBe(101);
  });

  it('keeps at most one backup in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = directoryStore();
    let calls = 0;
    const slowStore: TowerStore = {
      ...inner,
      async backup(bytes, meta): Promise<BackupOutcome> {
        calls++;
        await gate;
        return inner.backup(bytes, meta);
      },
    };
    const k = keeper(slowStore);
    writeFileSync(towerFile, towerBytes(staked, 10));
    const first = k.backupIfChanged();
    await expect(k.backupIfChanged()).resolves.toEqual({ status: 'in-flight' });
    release();
    await expect(first).resolves.toMatchObject({ status: 'stored' });
    expect(calls).toBe(1);
  });

  it('reports a failure, keeps reporting it until a backup succeeds again', async () => {
    const inner = directoryStore();
    let down = true;
    const flaky: TowerStore = {
      ...inner,
      backup: (b, m) =>
        down ? Promise.resolve({ ok: false, reason: 'unavailable', error: 'connection refused' }) : inner.backup(b, m),
    };
    const k = keeper(flaky);
    writeFileSync(towerFile, towerBytes(staked, 10));
    await expect(k.backupIfChanged()).resolves.toMatchObject({
      status: 'failed',
      error: expect.stringContaining('connection refused'),
    });
    expect(k.state().lastError?.message).toContain('unavailable');
    down = false;
    await expect(k.backupIfChanged()).resolves.toMatchObject({ status: 'stored' });
    expect(k.state().lastError).toBeNull();
  });

  it('never ships a tower that does not verify for the identity', async () => {
    const k = keeper(directoryStore());
    writeFileSync(towerFile, towerBytes(other, 10));
    await expect(k.backupIfChanged()).resolves.toMatchObject({ status: 'failed' });
  });

  it('in dry-run writes nothing to the store', async () => {
    const store = directoryStore();
    const k = keeper(store, true);
    writeFileSync(towerFile, towerBytes(staked, 10));
    await expect(k.backupIfChanged()).resolves.toEqual({ status: 'dry-run' });
    await expect(store.latest()).resolves.toEqual({ ok: true, tower: null });
  });
});

describe('restore', () => {
  it('installs a verified backup atomically with mode 0600', async () => {
    const store = directoryStore();
    const bytes = towerBytes(staked, 500);
    await store.backup(bytes, metaFor(bytes, 500));
    await expect(keeper(store).restore()).resolves.toMatchObject({ ok: true, action: 'restored', lastVotedSlot: 500 });
    expect(readFileSync(towerFile)).toEqual(bytes);
    expect(statSync(towerFile).mode & 0o777).toBe(0o600);
  });

  const bad: Array<[string, (good: Buffer) => [Buffer, TowerBackupMeta], string]> = [
    [
      'a tower whose bytes do not match the sha256',
      (good) => [Buffer.concat([good.subarray(0, -1), Buffer.from([good.at(-1)! ^ 1])]), metaFor(good, 500)],
      'FAILOVER_TOWER_CHECKSUM',
    ],
    [
      'a tower signed by another identity',
      () => {
        const b = towerBytes(other, 500);
        return [b, metaFor(b, 500)];
      },
      'FAILOVER_TOWER_WRONG_PUBKEY',
    ],
    [
      'a tower with a flipped bit and a matching sha256',
      (good) => {
        const b = Buffer.from(good);
        b[b.length - 3]! ^= 1;
        return [b, metaFor(b, null)];
      },
      'FAILOVER_TOWER_SIGNATURE',
    ],
    ['a tower whose metadata claims another slot', (good) => [good, metaFor(good, 900)], 'FAILOVER_TOWER_METADATA'],
  ];
  it.each(bad)('refuses %s', async (_case, corrupt, code) => {
    const store = directoryStore();
    const [bytes, meta] = corrupt(towerBytes(staked, 500));
    await store.backup(bytes, meta);
    const report = await keeper(store).restore();
    expect(report).toMatchObject({ ok: false, code });
    expect(existsSync(towerFile)).toBe(false);
  });

  it('refuses to replace the tower on disk with an older one', async () => {
    const store = directoryStore();
    const older = towerBytes(staked, 400);
    await store.backup(older, metaFor(older, 400));
    const newer = towerBytes(staked, 450);
    writeFileSync(towerFile, newer);
    await expect(keeper(store).restore()).resolves.toMatchObject({ ok: true, action: 'kept-disk', lastVotedSlot: 450 });
    expect(readFileSync(towerFile)).toEqual(newer);
  });

  it('refuses to take the identity when the store holds no backup', async () => {
    await expect(keeper(directoryStore()).restore()).resolves.toMatchObject({
      ok: false,
      code: 'FAILOVER_TOWER_NO_BACKUP',
    });
  });

  describe('when the store cannot be read', () => {
    // A directory store whose directory is a file: every read fails, as etcd's do in an outage.
    const brokenStore = (): TowerStore => {
      const notADirectory = path.join(dir.path, 'not-a-directory');
      writeFileSync(notADirectory, '');
      return createDirectoryTowerStore({ directory: notADirectory, identity: staked.pubkey });
    };

    // Regression: restore failed on the store error before it looked at the tower on disk, so a
    // switchover during an etcd outage could not hand the identity back to the old active.
    it('keeps the valid tower on disk that reaches min_tower_slot', async () => {
      const disk = towerBytes(staked, 450);
      writeFileSync(towerFile, disk);
      await expect(keeper(brokenStore()).restore(450)).resolves.toMatchObject({
        ok: true,
        action: 'kept-disk',
        lastVotedSlot: 450,
        detail: expect.stringContaining('at or above min_tower_slot 450'),
      });
      expect(readFileSync(towerFile)).toEqual(disk);
    });

    it.each([
      ['there is no floor to judge it by', 450, undefined, /no min_tower_slot/],
      ['it ends below min_tower_slot', 449, 450, /ends at slot 449, below min_tower_slot 450/],
      ['there is no tower on disk', null, 450, /there is no /],
    ])('refuses when %s', async (_case, diskSlot, floor, why) => {
      if (diskSlot !== null) writeFileSync(towerFile, towerBytes(staked, diskSlot));
      const report = await keeper(brokenStore()).restore(floor);
      expect(report).toMatchObject({ ok: false, code: 'FAILOVER_TOWER_STORE_UNAVAILABLE' });
      expect(report.ok ? '' : report.error).toMatch(why);
    });

    it('refuses a tower on disk that does not verify for the identity', async () => {
      writeFileSync(towerFile, towerBytes(other, 999));
      const report = await keeper(brokenStore()).restore(450);
      expect(report).toMatchObject({ ok: false, code: 'FAILOVER_TOWER_STORE_UNAVAILABLE' });
      expect(report.ok ? '' : report.error).toMatch(/does not verify/);
    });
  });

  describe('with the final tower the manager carried from the demoted node', () => {
    const brokenStore = (): TowerStore => {
      const notADirectory = path.join(dir.path, 'not-a-directory');
      writeFileSync(notADirectory, '');
      return createDirectoryTowerStore({ directory: notADirectory, identity: staked.pubkey });
    };
    const carried = (slot: number, signer = staked) => ({ bytes: towerBytes(signer, slot), from: 'validator1' });

    // Regression: etcd died right after the old active's final backup landed and its tower file
    // was removed; neither node could restore, so the switchover and its rollback both failed.
    it('installs it when the store cannot be read and it reaches min_tower_slot', async () => {
      const brought = carried(460);
      const report = await keeper(brokenStore()).restore(450, brought);
      expect(report).toMatchObject({
        ok: true,
        action: 'restored',
        lastVotedSlot: 460,
        detail: expect.stringContaining('carried from validator1'),
      });
      expect(readFileSync(towerFile)).toEqual(brought.bytes);
      expect(statSync(towerFile).mode & 0o777).toBe(0o600);
    });

    it.each([
      ['the carried tower when it is newer than the one on disk', 455, 460, 460],
      ['the tower on disk when it is newer than the carried one', 470, 460, 470],
      ['the tower on disk when both end at the same slot', 460, 460, 460],
    ])('takes %s, with the store down', async (_case, diskSlot, carriedSlot, expected) => {
      const disk = towerBytes(staked, diskSlot);
      writeFileSync(towerFile, disk);
      const brought = carried(carriedSlot);
      const report = await keeper(brokenStore()).restore(450, brought);
      expect(report).toMatchObject({ ok: true, lastVotedSlot: expected });
      expect(readFileSync(towerFile)).toEqual(expected === diskSlot ? disk : brought.bytes);
    });

    it('refuses when it ends below min_tower_slot too, and says so', async () => {
      const report = await keeper(brokenStore()).restore(450, carried(440));
      expect(report).toMatchObject({ ok: false, code: 'FAILOVER_TOWER_STORE_UNAVAILABLE' });
      expect(report.ok ? '' : report.error).toMatch(
        /carried from validator1 ends at slot 440, below min_tower_slot 450/,
      );
      expect(existsSync(towerFile)).toBe(false);
    });

    it('does not weigh one that does not verify for the identity, and logs why', async () => {
      const log = recordingLogger();
      const k = createTowerKeeper({
        towerFile,
        identity: staked.pubkey,
        store: brokenStore(),
        source: 'test-agent',
        dryRun: false,
        logger: log,
        clock: systemClock,
      });
      const report = await k.restore(450, carried(999, other));
      expect(report).toMatchObject({ ok: false, code: 'FAILOVER_TOWER_STORE_UNAVAILABLE' });
      expect(existsSync(towerFile)).toBe(false);
      expect(log.text()).toMatch(/warn the tower carried from validator1 does not verify/);
    });

    it("is taken over the store's backup only when it is newer", async () => {
      const store = directoryStore();
      const backup = towerBytes(staked, 400);
      await store.backup(backup, metaFor(backup, 400));
      const brought = carried(460);
      await expect(keeper(store).restore(450, brought)).resolves.toMatchObject({ ok: true, lastVotedSlot: 460 });
      expect(readFileSync(towerFile)).toEqual(brought.bytes);

      const newer = towerBytes(staked, 480);
      await store.backup(newer, metaFor(newer, 480));
      await expect(keeper(store).restore(450, carried(470))).resolves.toMatchObject({
        ok: true,
        action: 'restored',
        lastVotedSlot: 480,
      });
      expect(readFileSync(towerFile)).toEqual(newer);
    });

    it('refuses as stale, naming it, when even the newest of the three ends below the floor', async () => {
      const store = directoryStore();
      const backup = towerBytes(staked, 400);
      await store.backup(backup, metaFor(backup, 400));
      const report = await keeper(store).restore(470, carried(460));
      expect(report).toMatchObject({
        ok: false,
        code: 'FAILOVER_TOWER_STALE',
        towerStale: { minTowerSlot: 470, towerLastVoteSlot: 460 },
      });
      expect(report.ok ? '' : report.error).toContain('the tower carried from validator1');
      expect(existsSync(towerFile)).toBe(false);
    });
  });

  it('puts the previous file back when a command-restored tower is refused', async () => {
    const disk = towerBytes(staked, 450);
    writeFileSync(towerFile, disk);
    const foreign = path.join(dir.path, 'foreign.bin');
    writeFileSync(foreign, towerBytes(other, 999));
    const runner = createCommandRunner({ placeholders: {}, dryRun: false, logger: recordingLogger() });
    const store = createCommandTowerStore({
      runner,
      towerFile,
      backupCommand: 'true',
      restoreCommand: `cp ${foreign} ${towerFile}`,
    });
    await expect(keeper(store).restore()).resolves.toMatchObject({ ok: false, code: 'FAILOVER_TOWER_WRONG_PUBKEY' });
    expect(readFileSync(towerFile)).toEqual(disk);
  });

  it('in dry-run verifies the backup but writes nothing', async () => {
    const store = directoryStore();
    const bytes = towerBytes(staked, 500);
    await store.backup(bytes, metaFor(bytes, 500));
    await expect(keeper(store, true).restore()).resolves.toMatchObject({
      ok: true,
      action: 'dry-run',
      lastVotedSlot: 500,
    });
    expect(existsSync(towerFile)).toBe(false);
  });

  it('removes the tower file, and in dry-run leaves it', async () => {
    writeFileSync(towerFile, towerBytes(staked, 1));
    await expect(keeper(directoryStore(), true).removeTowerFile()).resolves.toEqual({ ok: true });
    expect(existsSync(towerFile)).toBe(true);
    await expect(keeper(directoryStore()).removeTowerFile()).resolves.toEqual({ ok: true });
    expect(existsSync(towerFile)).toBe(false);
  });
});

describe('setting the tower aside', () => {
  const clock = new SimulatedClock(Date.parse('2026-12-03T18:29:59.123Z'));
  const keeperAt = (store: TowerStore, dryRun = false): FileKeeper =>
    createTowerKeeper({
      towerFile,
      identity: staked.pubkey,
      store,
      source: 'test-agent',
      dryRun,
      logger: recordingLogger(),
      clock,
    });
  const keptAside = (): string[] =>
    readdirSync(dir.path)
      .filter((name) => name.startsWith(`${path.basename(towerFile)}.`))
      .sort();

  // Regression: the step-down on a fenced backup deleted the only copy of the newest votes.
  it('renames the tower beside itself, named by why and when, where no restore looks', async () => {
    const store = directoryStore();
    const older = towerBytes(staked, 100);
    await store.backup(older, metaFor(older, 100));
    const newest = towerBytes(staked, 250);
    writeFileSync(towerFile, newest);

    const k = keeperAt(store);
    const kept = `${towerFile}.fenced-20261203T182959123Z`;
    await expect(k.setAsideTowerFile('fenced')).resolves.toEqual({ ok: true, keptAs: [kept] });
    expect(existsSync(towerFile)).toBe(false);
    expect(readFileSync(kept)).toEqual(newest);

    await expect(k.restore(250)).resolves.toMatchObject({
      ok: false,
      code: 'FAILOVER_TOWER_STALE',
      towerStale: { minTowerSlot: 250, towerLastVoteSlot: 100 },
    });
    expect(existsSync(towerFile)).toBe(false);
  });

  it(`keeps the newest ${KEPT_ASIDE_LIMIT} set aside and deletes older ones, leaving other files alone`, async () => {
    const unrelated = `${towerFile}.operator-copy`;
    writeFileSync(unrelated, 'x');
    const k = keeperAt(directoryStore());
    for (let slot = 1; slot <= KEPT_ASIDE_LIMIT + 2; slot += 1) {
      writeFileSync(towerFile, towerBytes(staked, slot));
      await expect(k.setAsideTowerFile(slot % 2 === 0 ? 'fenced' : 'stray-identity')).resolves.toMatchObject({
        ok: true,
      });
      clock.advance(1_000);
    }
    const kept = keptAside().filter((name) => name !== path.basename(unrelated));
    expect(kept).toHaveLength(KEPT_ASIDE_LIMIT);
    const slots = kept.map((name) => decodeTower(readFileSync(path.join(dir.path, name)), staked.pubkey));
    const newest = Array.from({ length: KEPT_ASIDE_LIMIT }, (_, i) => i + 3);
    expect(slots.map((d) => (d.ok ? d.lastVotedSlot : null))).toEqual(expect.arrayContaining(newest));
    expect(existsSync(unrelated)).toBe(true);
  });

  it('does nothing without a tower file, and in dry-run leaves the file where it is', async () => {
    await expect(keeperAt(directoryStore()).setAsideTowerFile('fenced')).resolves.toEqual({ ok: true, keptAs: [] });
    writeFileSync(towerFile, towerBytes(staked, 1));
    await expect(keeperAt(directoryStore(), true).setAsideTowerFile('fenced')).resolves.toEqual({
      ok: true,
      keptAs: [],
    });
    expect(existsSync(towerFile)).toBe(true);
    expect(keptAside()).toEqual([]);
  });
});
