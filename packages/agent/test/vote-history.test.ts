import { resolveAgentConfigFile, systemClock, type AgentConfig } from '@failover/protocol';
import { startEtcd, tempDir, type EtcdCluster, type TempDir } from '@failover/testkit';
import { Etcd3 } from 'etcd3';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configPlaceholders, createCommandRunner } from '../src/command-runner';
import { createRoleLink } from '../src/role-link';
import { createTowerParts, type TowerParts } from '../src/tower-parts';
import { sha256Hex } from '../src/tower-store';
import { recordingLogger } from './support/recording-logger';
import { generateKeypair, towerBytes, voteHistoryBytes } from './support/towers';

const staked = generateKeypair();
const other = generateKeypair();

let dir: TempDir;
let ledger: string;
let towerFile: string;
let historyFile: string;
beforeEach(() => {
  dir = tempDir('agent-vote-history');
  ledger = path.join(dir.path, 'ledger');
  towerFile = path.join(ledger, `tower-1_9-${staked.pubkey}.bin`);
  historyFile = path.join(ledger, `vote_history-${staked.pubkey}.bin`);
  mkdirSync(ledger);
});
afterEach(() => dir.remove());

const opened: TowerParts[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).flatMap((p) => [p.store.close(), p.voteHistoryStore.close()]));
});

/** An agent's tower side, built from a config file as the agent builds it; `node` names the agent. */
function parts(extra: Record<string, unknown> = {}, node = 'agent-a'): TowerParts {
  const resolved = resolveAgentConfigFile({
    raw: {
      validator_identity: staked.pubkey,
      ledger_path: ledger,
      tower_store_dir: path.join(dir.path, 'store'),
      insecure_no_auth: true,
      dry_run: false,
      ...extra,
    },
    env: {},
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  const config: AgentConfig = resolved.config;
  const logger = recordingLogger();
  const roleLink = createRoleLink();
  roleLink.attach({ role: () => 'active', towerFenced: () => undefined });
  const built = createTowerParts({
    config,
    identity: staked.pubkey,
    node,
    runner: createCommandRunner({ placeholders: configPlaceholders(config), dryRun: false, logger }),
    roleLink,
    clock: systemClock,
    logger,
  });
  opened.push(built);
  return built;
}

describe('a TowerBFT ledger (no vote history)', () => {
  it('backs up and restores the tower alone, as before vote histories existed', async () => {
    const a = parts();
    writeFileSync(towerFile, towerBytes(staked, 100));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored', meta: { lastVotedSlot: 100 } });
    await expect(a.voteHistoryStore.latest()).resolves.toEqual({ ok: true, tower: null });

    await a.keeper.removeTowerFile();
    const report = await parts({}, 'agent-b').keeper.restore(100);
    expect(report).toMatchObject({ ok: true, action: 'restored', lastVotedSlot: 100 });
    expect(report.ok && report.detail).not.toContain('vote history');
    expect(existsSync(historyFile)).toBe(false);
    expect(a.keeper.state().voteHistory).toMatchObject({ lastBackup: null, lastError: null });
  });
});

describe('an Alpenglow ledger, directory store', () => {
  // Regression: a fenced step-down deleted both files, the only copy of votes the store lacked.
  it('sets both files aside on a fenced step-down, reports them until a restore succeeds, and restores neither', async () => {
    const a = parts();
    writeFileSync(towerFile, towerBytes(staked, 100));
    writeFileSync(historyFile, voteHistoryBytes(staked, 140));
    await expect(a.keeper.backupIfChanged()).resolves.toMatchObject({ status: 'stored' });
    const tower = towerBytes(staked, 200);
    const history = voteHistoryBytes(staked, 240);
    writeFileSync(towerFile, tower);
    writeFileSync(historyFile, history);

    const report = await a.keeper.setAsideTowerFile('fenced');
    expect(report.ok).toBe(true);
    const [keptTower, keptHistory] = report.keptAs as [string, string];
    expect(keptTower.slice(towerFile.length)).toMatch(/^\.fenced-\d{8}T\d{9}Z$/);
    expect(keptHistory.slice(historyFile.length)).toMatch(/^\.fenced-\d{8}T\d{9}Z$/);
    expect(readFileSync(keptTower)).toEqual(tower);
    expect(readFileSync(keptHistory)).toEqual(history);
    expect(existsSync(towerFile) || existsSync(historyFile)).toBe(false);
    expect(a.keeper.state().keptAside).toMatchObject({ files: [keptTower, keptHistory], reason: 'fenced' });

    await expect(a.keeper.restore(200, 240)).resolves.toMatchObject({ ok: false, code: 'FAILOVER_TOWER_STALE' });
    expect(existsSync(towerFile) || existsSync(historyFile)).toBe(false);

    renameSync(keptTower, towerFile);
    renameSync(keptHistory, historyFile);
    await expect(a.keeper.restore(200, 240)).resolves.toMatchObject({
      ok: true,
      action: 'kept-disk',
      lastVotedSlot: 200,
    });
    expect(a.keeper.state().keptAside).toBeNull();
  });

  it('backs up both files, restores and verifies both, and installs the vote history with mode 0600', async () => {
    const a = parts();
    writeFileSync(towerFile, towerBytes(staked, 100));
    const history = voteHistoryBytes(staked, 140);
    writeFileSync(historyFile, history);
    await expect(a.keeper.backupIfChanged()).resolves.toMatchObject({ status: 'stored' });
    expect(a.keeper.state().voteHistory?.lastBackup).toMatchObject({
      lastVotedSlot: 140,
      sha256: sha256Hex(history),
      fileName: `vote_history-${staked.pubkey}.bin`,
    });
    expect(existsSync(path.join(dir.path, 'store', `vote-history-backup-${staked.pubkey}.json`))).toBe(true);

    await expect(a.keeper.removeTowerFile()).resolves.toEqual({ ok: true });
    expect(existsSync(towerFile) || existsSync(historyFile)).toBe(false);

    const report = await parts({}, 'agent-b').keeper.restore(100, 140);
    expect(report).toMatchObject({ ok: true, action: 'restored', lastVotedSlot: 100 });
    expect(report.ok && report.detail).toContain('newest slot 140');
    expect(readFileSync(historyFile)).toEqual(history);
    expect(statSync(historyFile).mode & 0o777).toBe(0o600);
  });

  it('backs the vote history up when only it changed', async () => {
    const a = parts();
    writeFileSync(towerFile, towerBytes(staked, 100));
    writeFileSync(historyFile, voteHistoryBytes(staked, 140));
    await a.keeper.backupIfChanged();
    writeFileSync(historyFile, voteHistoryBytes(staked, 141));
    await expect(a.voteHistoryKeeper.backupNext()).resolves.toMatchObject({
      status: 'stored',
      meta: { lastVotedSlot: 141 },
    });
  });

  it('never ships a vote history that does not verify for the identity, and says so', async () => {
    const a = parts();
    writeFileSync(towerFile, towerBytes(staked, 100));
    writeFileSync(historyFile, voteHistoryBytes(other, 140));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({
      status: 'failed',
      error: expect.stringContaining(`vote_history-${staked.pubkey}.bin does not verify`),
    });
    await expect(a.voteHistoryStore.latest()).resolves.toEqual({ ok: true, tower: null });
  });

  /** What another agent left in the store: a tower at slot 100 and the vote history given. */
  async function backedUp(history: Buffer, slot: number | null): Promise<void> {
    const elsewhere = parts({}, 'elsewhere');
    const meta = (bytes: Buffer, file: string, lastVotedSlot: number | null) => ({
      fileName: path.basename(file),
      sha256: sha256Hex(bytes),
      lastVotedSlot,
      source: 'elsewhere',
      takenAt: new Date(0).toISOString(),
    });
    const tower = towerBytes(staked, 100);
    await elsewhere.store.backup(tower, meta(tower, towerFile, 100));
    await elsewhere.voteHistoryStore.backup(history, meta(history, historyFile, slot));
  }

  it.each([
    ['signed by another identity', () => voteHistoryBytes(other, 140), 'FAILOVER_VOTE_HISTORY_WRONG_PUBKEY'],
    ['truncated', () => voteHistoryBytes(staked, 140).subarray(0, 100), 'FAILOVER_VOTE_HISTORY_TRUNCATED'],
    [
      'with a flipped bit',
      () => {
        const b = voteHistoryBytes(staked, 140);
        b[b.length - 3]! ^= 1;
        return b;
      },
      'FAILOVER_VOTE_HISTORY_SIGNATURE',
    ],
  ])('refuses a vote history backup %s, writing no vote history', async (_case, bytes, code) => {
    await backedUp(bytes(), null);
    const report = await parts().keeper.restore(100);
    expect(report).toMatchObject({ ok: false, code });
    expect(existsSync(historyFile)).toBe(false);
  });

  it('refuses a vote history that ends below min_vote_history_slot, writing nothing', async () => {
    await backedUp(voteHistoryBytes(staked, 140), 140);
    const report = await parts().keeper.restore(100, 141);
    expect(report).toMatchObject({ ok: false, code: 'FAILOVER_VOTE_HISTORY_STALE' });
    expect(report.ok ? '' : report.error).toMatch(/ends at slot 140, below min_vote_history_slot 141/);
    expect(existsSync(historyFile)).toBe(false);
  });

  // Regression: the tower was installed before the vote history was refused, and stayed.
  it.each([
    ['an older tower', () => towerBytes(staked, 90)],
    ['no tower', () => undefined],
  ])('installs neither file when the vote history is refused, leaving %s on disk as it was', async (_case, before) => {
    await backedUp(voteHistoryBytes(staked, 140), 140);
    const onDisk = before();
    if (onDisk) writeFileSync(towerFile, onDisk);
    const report = await parts().keeper.restore(100, 141);
    expect(report).toMatchObject({ ok: false, code: 'FAILOVER_VOTE_HISTORY_STALE' });
    expect(existsSync(towerFile) ? readFileSync(towerFile) : undefined).toEqual(onDisk);
    expect(existsSync(historyFile)).toBe(false);
  });

  it('refuses when a floor asks for a vote history and none was backed up', async () => {
    writeFileSync(towerFile, towerBytes(staked, 100));
    await parts().keeper.finalBackup();
    const report = await parts({}, 'agent-b').keeper.restore(100, 140);
    expect(report).toMatchObject({ ok: false, code: 'FAILOVER_VOTE_HISTORY_NO_BACKUP' });
    expect(report.ok ? '' : report.error).toMatch(/and there is no .*vote_history-/);
  });

  it('refuses a vote history on disk that nothing backed up, without a floor to judge it by', async () => {
    writeFileSync(towerFile, towerBytes(staked, 100));
    await parts().keeper.finalBackup();
    writeFileSync(historyFile, voteHistoryBytes(staked, 90));
    const report = await parts({}, 'agent-b').keeper.restore(100);
    expect(report).toMatchObject({ ok: false, code: 'FAILOVER_VOTE_HISTORY_NO_BACKUP' });
    expect(report.ok ? '' : report.error).toMatch(/no min_vote_history_slot to judge/);
  });

  it('keeps a newer vote history on disk instead of the backup', async () => {
    await backedUp(voteHistoryBytes(staked, 140), 140);
    const newer = voteHistoryBytes(staked, 150);
    writeFileSync(historyFile, newer);
    const report = await parts().keeper.restore(100, 145);
    expect(report).toMatchObject({ ok: true });
    expect(report.ok && report.detail).toContain('newest slot 150, newer than the backup');
    expect(readFileSync(historyFile)).toEqual(newer);
  });
});

describe('an Alpenglow ledger, command store', () => {
  const commands = (): Record<string, unknown> => {
    const store = path.join(dir.path, 'cmd-store');
    mkdirSync(store, { recursive: true });
    return {
      tower_store: 'command',
      tower_backup_command: `cp {tower_file} ${store}/tower.bin`,
      tower_restore_command: `cp ${store}/tower.bin {tower_file}`,
      vote_history_backup_command: `cp {vote_history_file} ${store}/history.bin`,
      vote_history_restore_command: `if [ -f ${store}/history.bin ]; then cp ${store}/history.bin {vote_history_file}; fi`,
    };
  };

  it('carries the vote history through its own pair of commands', async () => {
    const config = commands();
    const a = parts(config);
    writeFileSync(towerFile, towerBytes(staked, 100));
    const history = voteHistoryBytes(staked, 140);
    writeFileSync(historyFile, history);
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
    await a.keeper.removeTowerFile();
    await expect(parts(config, 'agent-b').keeper.restore(100, 140)).resolves.toMatchObject({ ok: true });
    expect(readFileSync(historyFile)).toEqual(history);
  });

  it('puts back the tower its restore command wrote into the ledger when the vote history is refused', async () => {
    const config = commands();
    const a = parts(config);
    writeFileSync(towerFile, towerBytes(staked, 100));
    writeFileSync(historyFile, voteHistoryBytes(staked, 140));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
    const older = towerBytes(staked, 90);
    writeFileSync(towerFile, older);
    rmSync(historyFile);
    const report = await parts(config, 'agent-b').keeper.restore(100, 141);
    expect(report).toMatchObject({ ok: false, code: 'FAILOVER_VOTE_HISTORY_STALE' });
    expect(readFileSync(towerFile)).toEqual(older);
    expect(existsSync(historyFile)).toBe(false);
  });

  it('without vote-history commands (a Go config) fails backups of a vote history loudly, and is unchanged without one', async () => {
    const { vote_history_backup_command: _b, vote_history_restore_command: _r, ...goConfig } = commands();
    const a = parts(goConfig);
    writeFileSync(towerFile, towerBytes(staked, 100));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
    writeFileSync(historyFile, voteHistoryBytes(staked, 140));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({
      status: 'failed',
      error: expect.stringContaining('vote_history_backup_command / vote_history_restore_command are not set'),
    });
  });
});

describe('an Alpenglow ledger, etcd store (real etcd)', () => {
  let etcd: EtcdCluster | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('keeps the vote history under its own keys and moves it from one agent to the other', async () => {
    // A fresh list per agent: a loaded config is frozen, and its defaults are filled in place.
    const config = (): Record<string, unknown> => ({
      tower_store: 'etcd',
      etcd_endpoints: [...(etcd?.endpoints ?? [])],
      etcd_prefix: '/failover/vh',
    });
    const a = parts(config());
    await a.store.readRevision();
    await a.voteHistoryStore.readRevision();
    writeFileSync(towerFile, towerBytes(staked, 100));
    const history = voteHistoryBytes(staked, 140);
    writeFileSync(historyFile, history);
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });

    const client = new Etcd3({ hosts: etcd?.endpoints ?? [] });
    const keys = await client.getAll().prefix('/failover/vh/').keys();
    client.close();
    expect(keys.sort()).toEqual(
      [
        `/failover/vh/${staked.pubkey}/bytes`,
        `/failover/vh/${staked.pubkey}/meta`,
        `/failover/vh/${staked.pubkey}/slot`,
        `/failover/vh/vote-history/${staked.pubkey}/bytes`,
        `/failover/vh/vote-history/${staked.pubkey}/meta`,
        `/failover/vh/vote-history/${staked.pubkey}/slot`,
      ].sort(),
    );

    await a.keeper.removeTowerFile();
    await expect(parts(config(), 'agent-b').keeper.restore(100, 140)).resolves.toMatchObject({ ok: true });
    expect(readFileSync(historyFile)).toEqual(history);
  });
});

describe("a demotion's final tower, carried to the next holder", () => {
  it('is what the final backup stored, both files, until a restore here', async () => {
    const a = parts();
    expect(a.keeper.finalTower()).toBeNull();
    const tower = towerBytes(staked, 100);
    const history = voteHistoryBytes(staked, 140);
    writeFileSync(towerFile, tower);
    writeFileSync(historyFile, history);
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
    expect(a.keeper.finalTower()).toEqual({ tower, voteHistory: history });
    // Unchanged since: the store already holds these very files. Each final backup gives a new
    // answer, which is how the agent tells a demotion's own final tower from an earlier one.
    const first = a.keeper.finalTower();
    expect(a.keeper.finalTower()).toBe(first);
    await expect(a.keeper.finalBackup()).resolves.toEqual({ status: 'unchanged' });
    expect(a.keeper.finalTower()).toEqual({ tower, voteHistory: history });
    expect(a.keeper.finalTower()).not.toBe(first);

    await a.keeper.restore(100, 140);
    expect(a.keeper.finalTower()).toBeNull();
  });

  it('is the files the demotion keeps when the store cannot be reached, and none when the store refuses them', async () => {
    const a = parts();
    const tower = towerBytes(staked, 100);
    const history = voteHistoryBytes(staked, 140);
    writeFileSync(towerFile, tower);
    writeFileSync(historyFile, history);
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });

    const kept = towerBytes(staked, 101);
    writeFileSync(towerFile, kept);
    renameSync(path.join(dir.path, 'store'), path.join(dir.path, 'store-gone'));
    writeFileSync(path.join(dir.path, 'store'), '');
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'failed', reason: 'unavailable' });
    expect(a.keeper.finalTower()).toEqual({ tower: kept, voteHistory: history });

    // Back, but holding a newer tower of this agent's own: refused as stale, nothing to carry.
    rmSync(path.join(dir.path, 'store'));
    renameSync(path.join(dir.path, 'store-gone'), path.join(dir.path, 'store'));
    const newer = towerBytes(staked, 105);
    writeFileSync(towerFile, newer);
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
    writeFileSync(towerFile, towerBytes(staked, 102));
    await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'failed', reason: 'stale' });
    expect(a.keeper.finalTower()).toBeNull();
  });

  // Regression: etcd died right after the old active's final backup landed and its files were
  // removed; the new active's restore could read neither the store nor a file on disk.
  it('completes the restore on the other agent while etcd is down, both files installed (real etcd)', async () => {
    const etcd = await startEtcd();
    try {
      const config = (): Record<string, unknown> => ({
        tower_store: 'etcd',
        etcd_endpoints: [...etcd.endpoints],
        etcd_prefix: '/failover/carry',
      });
      const a = parts(config());
      const tower = towerBytes(staked, 100);
      const history = voteHistoryBytes(staked, 140);
      writeFileSync(towerFile, tower);
      writeFileSync(historyFile, history);
      await expect(a.keeper.finalBackup()).resolves.toMatchObject({ status: 'stored' });
      await a.keeper.removeTowerFile();
      const final = a.keeper.finalTower();
      await etcd.members[0]!.kill();

      const b = parts(config(), 'agent-b');
      await expect(b.keeper.restore(100, 140)).resolves.toMatchObject({
        ok: false,
        code: 'FAILOVER_TOWER_STORE_UNAVAILABLE',
      });
      const carried = {
        tower: { bytes: final!.tower, from: 'agent-a' },
        voteHistory: { bytes: final!.voteHistory!, from: 'agent-a' },
      };
      const report = await b.keeper.restore(100, 140, carried);
      expect(report).toMatchObject({ ok: true, action: 'restored', lastVotedSlot: 100 });
      expect(report.ok && report.detail).toContain('vote history carried from agent-a');
      expect(readFileSync(towerFile)).toEqual(tower);
      expect(readFileSync(historyFile)).toEqual(history);
    } finally {
      await etcd.stop();
    }
  });
});
