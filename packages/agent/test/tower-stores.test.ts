import { startEtcd, tempDir, waitFor, type EtcdCluster, type TempDir } from '@failover/testkit';
import { loadEtcdAccess, resolveAgentConfigFile } from '@failover/protocol';
import { Etcd3 } from 'etcd3';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCommandRunner } from '../src/command-runner';
import {
  createCommandTowerStore,
  createDirectoryTowerStore,
  createEtcdTowerStore,
  sha256Hex,
  type TowerBackupMeta,
  type TowerStore,
} from '../src/tower-store';
import { recordingLogger } from './support/recording-logger';

const identity = 'Stake11111111111111111111111111111111111111';

function metaFor(bytes: Buffer, lastVotedSlot: number | null, source = 'agent-a'): TowerBackupMeta {
  return {
    fileName: `tower-1_9-${identity}.bin`,
    sha256: sha256Hex(bytes),
    lastVotedSlot,
    source,
    takenAt: new Date(0).toISOString(),
  };
}

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('agent-store');
});
afterEach(() => {
  dir.remove();
});

describe('every store', () => {
  const makers: Array<[string, () => TowerStore]> = [
    ['directory', () => createDirectoryTowerStore({ directory: path.join(dir.path, 'backups'), identity })],
  ];

  it.each(makers)('%s: holds nothing at first, then returns the latest backup', async (_kind, make) => {
    const store = make();
    await expect(store.latest()).resolves.toEqual({ ok: true, tower: null });
    const first = Buffer.from('tower at 10');
    const second = Buffer.from('tower at 12');
    await expect(store.backup(first, metaFor(first, 10))).resolves.toMatchObject({ ok: true });
    await expect(store.backup(second, metaFor(second, 12))).resolves.toMatchObject({ ok: true });
    await expect(store.latest()).resolves.toEqual({ ok: true, tower: { bytes: second, meta: metaFor(second, 12) } });
    await store.close();
  });

  it.each(makers)('%s: refuses to replace a tower with an older one', async (_kind, make) => {
    const store = make();
    const newer = Buffer.from('newer');
    const older = Buffer.from('older');
    await store.backup(newer, metaFor(newer, 50));
    await expect(store.backup(older, metaFor(older, 49))).resolves.toMatchObject({ ok: false, reason: 'stale' });
    await expect(store.latest()).resolves.toMatchObject({ ok: true, tower: { bytes: newer } });
    await store.close();
  });
});

describe('directory store', () => {
  it('writes its backup with mode 0600 and leaves no temporary file behind', async () => {
    const backups = path.join(dir.path, 'backups');
    const store = createDirectoryTowerStore({ directory: backups, identity });
    const bytes = Buffer.from('x');
    await store.backup(bytes, metaFor(bytes, 1));
    const files = readdirSync(backups);
    expect(files).toEqual([`tower-backup-${identity}.json`]);
    expect(statSync(path.join(backups, files[0] as string)).mode & 0o777).toBe(0o600);
  });
});

describe('command store', () => {
  it('runs the Go-style backup and restore commands and reads back what the restore wrote', async () => {
    const towerFile = path.join(dir.path, `tower-1_9-${identity}.bin`);
    const saved = path.join(dir.path, 'saved.b64');
    const runner = createCommandRunner({
      placeholders: { validator_identity: identity },
      dryRun: false,
      logger: recordingLogger(),
    });
    const store = createCommandTowerStore({
      runner,
      towerFile,
      backupCommand: `base64 -w0 ${dir.path}/tower-1_9-*.bin > ${saved}`,
      restoreCommand: `base64 -d < ${saved} > ${dir.path}/tower-1_9-{validator_identity}.bin`,
    });
    const bytes = Buffer.from([1, 2, 3, 250]);
    writeFileSync(towerFile, bytes);
    await expect(store.backup(bytes, metaFor(bytes, 5))).resolves.toMatchObject({ ok: true });
    rmSync(towerFile);
    const latest = await store.latest();
    expect(latest).toMatchObject({
      ok: true,
      tower: { bytes, meta: { sha256: sha256Hex(bytes), fileName: path.basename(towerFile) } },
    });
  });

  it('reports a failing backup command with its exit code', async () => {
    const runner = createCommandRunner({ placeholders: {}, dryRun: false, logger: recordingLogger() });
    const store = createCommandTowerStore({
      runner,
      towerFile: path.join(dir.path, 't.bin'),
      backupCommand: 'echo nope >&2; exit 4',
      restoreCommand: 'exit 1',
    });
    const bytes = Buffer.from('t');
    await expect(store.backup(bytes, metaFor(bytes, 1))).resolves.toEqual({
      ok: false,
      reason: 'failed',
      error: 'tower_backup_command exited with 4: nope',
    });
    await expect(store.latest()).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('tower_restore_command exited with 1'),
    });
  });
});

describe('etcd store (real etcd)', () => {
  let etcd: EtcdCluster | undefined;
  const stores: TowerStore[] = [];
  const open = (): TowerStore => {
    const store = createEtcdTowerStore({
      endpoints: etcd?.endpoints ?? [],
      prefix: '/failover/testnet',
      identity,
      callTimeoutMs: 500,
      dialTimeoutMs: 500,
    });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    const client = new Etcd3({ hosts: etcd?.endpoints ?? [] });
    await client.delete().all();
    client.close();
  });

  it('writes bytes, metadata and slot under one key set per prefix (cluster) and identity', async () => {
    const store = open();
    const bytes = Buffer.from([0, 1, 2, 255]);
    await expect(store.backup(bytes, metaFor(bytes, 77))).resolves.toMatchObject({ ok: true });
    const client = new Etcd3({ hosts: etcd?.endpoints ?? [] });
    const keys = await client.getAll().prefix('/failover/testnet/').keys();
    client.close();
    expect(keys.sort()).toEqual([
      `/failover/testnet/${identity}/bytes`,
      `/failover/testnet/${identity}/meta`,
      `/failover/testnet/${identity}/slot`,
    ]);
    await expect(open().latest()).resolves.toEqual({ ok: true, tower: { bytes, meta: metaFor(bytes, 77) } });
  });

  it('refuses an older tower in the same transaction', async () => {
    const store = open();
    const newer = Buffer.from('n');
    const older = Buffer.from('o');
    await store.backup(newer, metaFor(newer, 1000));
    await expect(open().backup(older, metaFor(older, 999))).resolves.toMatchObject({ ok: false, reason: 'stale' });
  });

  it('fences an agent whose view is stale: after another holder wrote, its backup is refused', async () => {
    const oldHolder = open();
    const newHolder = open();
    const t1 = Buffer.from('t1');
    await oldHolder.backup(t1, metaFor(t1, 10, 'old'));
    await expect(newHolder.latest()).resolves.toMatchObject({ ok: true, tower: { bytes: t1 } });
    const t2 = Buffer.from('t2');
    await expect(newHolder.backup(t2, metaFor(t2, 20, 'new'))).resolves.toMatchObject({ ok: true });
    const late = Buffer.from('late');
    await expect(oldHolder.backup(late, metaFor(late, 30, 'old'))).resolves.toMatchObject({
      ok: false,
      reason: 'fenced',
    });
    await expect(newHolder.latest()).resolves.toMatchObject({ ok: true, tower: { bytes: t2 } });
  });

  // Regression: a lower slot than the new holder's came back `stale`, so the resumed old active never stepped down.
  it("fences the resumed old active's backup of a lower slot once the new holder has written since", async () => {
    const oldHolder = open();
    const newHolder = open();
    const t10 = Buffer.from('t10');
    await expect(oldHolder.backup(t10, metaFor(t10, 10, 'node-a'))).resolves.toMatchObject({ ok: true });
    await newHolder.latest();
    const t20 = Buffer.from('t20');
    await expect(newHolder.backup(t20, metaFor(t20, 20, 'node-b'))).resolves.toMatchObject({ ok: true });
    const t15 = Buffer.from('t15');
    const late = await oldHolder.backup(t15, metaFor(t15, 15, 'node-a'));
    expect(late).toMatchObject({ ok: false, reason: 'fenced' });
    expect(late.ok ? '' : late.error).toContain('node-b');
    await expect(newHolder.latest()).resolves.toMatchObject({ ok: true, tower: { bytes: t20 } });
  });

  // Regression: an agent that had not read the keys wrote with the slot check alone, never fenced.
  it('fences the first backup of a freshly started agent when another agent wrote after its start', async () => {
    const holder = open();
    const t20 = Buffer.from('t20');
    await holder.backup(t20, metaFor(t20, 20, 'node-b'));
    const restarted = open();
    await expect(restarted.readRevision()).resolves.toEqual({ ok: true });
    const t21 = Buffer.from('t21');
    await expect(holder.backup(t21, metaFor(t21, 21, 'node-b'))).resolves.toMatchObject({ ok: true });
    const t30 = Buffer.from('t30');
    await expect(restarted.backup(t30, metaFor(t30, 30, 'node-a'))).resolves.toMatchObject({
      ok: false,
      reason: 'fenced',
    });
    await expect(open().latest()).resolves.toMatchObject({ ok: true, tower: { bytes: t21 } });
  });

  it("fences a freshly started agent's backup below another agent's tower, and lets one above it through", async () => {
    const holder = open();
    const t20 = Buffer.from('t20');
    await holder.backup(t20, metaFor(t20, 20, 'node-b'));
    const t15 = Buffer.from('t15');
    await expect(open().backup(t15, metaFor(t15, 15, 'node-a'))).resolves.toMatchObject({
      ok: false,
      reason: 'fenced',
    });
    // A holder restarted between its restore and its first backup: the store holds the old
    // holder's tower, older than its own.
    const t25 = Buffer.from('t25');
    await expect(open().backup(t25, metaFor(t25, 25, 'node-a'))).resolves.toMatchObject({ ok: true });
  });

  it('calls a backup below its own earlier one stale, not fenced', async () => {
    const store = open();
    const t20 = Buffer.from('t20');
    await store.backup(t20, metaFor(t20, 20, 'node-a'));
    const t15 = Buffer.from('t15');
    await expect(store.backup(t15, metaFor(t15, 15, 'node-a'))).resolves.toMatchObject({ ok: false, reason: 'stale' });
  });

  // A write whose answer was lost still lands; taking it for another holder's would make the
  // active step down on a fence of its own making.
  it.each([
    ['its own write whose answer was lost: adopted, and the backup stored', 'mine', true],
    ["another agent's write: fenced", 'other', false],
  ])('after %s', async (_case, writer, stored) => {
    const store = open();
    const t1 = Buffer.from('t1');
    await expect(store.backup(t1, metaFor(t1, 10, 'mine'))).resolves.toMatchObject({ ok: true });
    const client = new Etcd3({ hosts: etcd?.endpoints ?? [] });
    const t2 = Buffer.from('t2');
    const meta = metaFor(t2, 11, writer);
    await client.put(`/failover/testnet/${identity}/meta`).value(
      JSON.stringify({
        file_name: meta.fileName,
        sha256: meta.sha256,
        last_voted_slot: 11,
        source: writer,
        taken_at: meta.takenAt,
      }),
    );
    await client.put(`/failover/testnet/${identity}/slot`).value(String(12).padStart(20, '0'));
    client.close();
    const t3 = Buffer.from('t3');
    await expect(store.backup(t3, metaFor(t3, 12, 'mine'))).resolves.toMatchObject(
      stored ? { ok: true } : { ok: false, reason: 'fenced' },
    );
  });

  // Regression: a promotion restored from the carried tower while etcd was down; its agent still
  // held what it read at its start (no keys), took the old holder's final backup for another
  // holder's once etcd was back, and stepped down.
  it("reads the keys again before the first write when its restore could not: the old holder's final backup is no fence", async () => {
    const newHolder = open();
    await expect(newHolder.readRevision()).resolves.toEqual({ ok: true });
    const t20 = Buffer.from('t20');
    await expect(open().backup(t20, metaFor(t20, 20, 'node-b'))).resolves.toMatchObject({ ok: true });
    const member = etcd!.members[0]!;
    await member.stop();
    try {
      await expect(newHolder.latest()).resolves.toMatchObject({ ok: false });
    } finally {
      await member.restart();
    }
    await etcd!.waitHealthy();
    const t25 = Buffer.from('t25');
    const refusals: string[] = [];
    await waitFor(
      async () => {
        const outcome = await newHolder.backup(t25, metaFor(t25, 25, 'node-a'));
        if (!outcome.ok) refusals.push(outcome.reason);
        return outcome.ok || outcome.reason === 'fenced';
      },
      { description: 'a backup after etcd returned', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(refusals).not.toContain('fenced');
    await expect(open().latest()).resolves.toMatchObject({ ok: true, tower: { bytes: t25 } });
  });

  it('reports etcd down as unavailable within its deadline, and works again once etcd is back', async () => {
    const store = open();
    const a = Buffer.from('a');
    await store.backup(a, metaFor(a, 1));
    const member = etcd?.members[0];
    await member?.stop();
    try {
      const started = Date.now();
      const b = Buffer.from('b');
      await expect(store.backup(b, metaFor(b, 2))).resolves.toMatchObject({ ok: false, reason: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(store.latest()).resolves.toMatchObject({ ok: false });
    } finally {
      await member?.restart();
    }
    await etcd?.waitHealthy();
    const c = Buffer.from('c');
    await waitFor(async () => (await store.backup(c, metaFor(c, 3))).ok, {
      description: 'a backup after etcd returned',
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    await expect(open().latest()).resolves.toMatchObject({ ok: true, tower: { bytes: c } });
  });
});

describe('etcd store over TLS with client certificates (real etcd)', () => {
  let etcd: EtcdCluster | undefined;
  const stores: TowerStore[] = [];
  beforeAll(async () => {
    etcd = await startEtcd({ tls: true });
  });
  afterAll(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await etcd?.stop();
  });

  /** A store connected as the agent does: from the config's keys, through `loadEtcdAccess`. */
  async function openFrom(keys: Record<string, unknown>): Promise<TowerStore> {
    const resolved = resolveAgentConfigFile({
      raw: {
        validator_identity: identity,
        ledger_path: dir.path,
        tower_store: 'etcd',
        etcd_endpoints: etcd!.endpoints,
        ...keys,
      },
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    const setting = resolved.config.towerStore;
    if (setting.kind !== 'etcd') throw new Error(`tower store ${setting.kind}`);
    const store = createEtcdTowerStore({
      endpoints: setting.endpoints,
      identity,
      callTimeoutMs: 1_000,
      dialTimeoutMs: 1_000,
      clientOptions: await loadEtcdAccess(setting.access ?? {}),
    });
    stores.push(store);
    return store;
  }

  it('backs up and reads back with the CA and a client certificate from the config', async () => {
    const certs = etcd!.certificates!;
    const store = await openFrom({
      etcd_ca_file: certs.caFile,
      etcd_cert_file: certs.clientCertFile,
      etcd_key_file: certs.clientKeyFile,
    });
    const bytes = Buffer.from('tower over tls');
    await expect(store.backup(bytes, metaFor(bytes, 42))).resolves.toMatchObject({ ok: true });
    await expect(store.latest()).resolves.toMatchObject({ ok: true, tower: { bytes } });
  });

  it('is refused by etcd without a client certificate, as unavailable, with the reason', async () => {
    const store = await openFrom({ etcd_ca_file: etcd!.certificates!.caFile });
    const bytes = Buffer.from('no certificate');
    const outcome = await store.backup(bytes, metaFor(bytes, 43));
    expect(outcome).toMatchObject({ ok: false, reason: 'unavailable' });
  });
});
