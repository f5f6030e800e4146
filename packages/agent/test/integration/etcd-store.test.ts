import { decodeTower } from '@failover/core';
import { Etcd3 } from 'etcd3';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { statusUntil, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-etcd');

let agents: RunningAgent[] = [];

beforeEach(async () => {
  // The native store: tower_store etcd replaces the Go tool's shell commands.
  agents = await bed.startAgents({
    configure: ({ tower_backup_command: _b, tower_restore_command: _r, ...config }) => ({
      ...config,
      tower_store: 'etcd',
      etcd_endpoints: bed.etcd.endpoints,
      etcd_prefix: '/failover/test',
    }),
  });
});

describe('native etcd tower store', () => {
  it('reports backup failures in /status while etcd is down, keeps serving, and resumes when it returns', async () => {
    const [a] = agents as [RunningAgent];
    const first = await statusUntil(a, 'a first backup', (s) => s.ok && s.value.tower && s.value);
    expect(first.error).toBeUndefined();

    const member = bed.etcd.members[0]!;
    await member.stop();
    const failing = await statusUntil(
      a,
      'the backup failure to show',
      (s) => s.ok && s.value.error?.includes('tower backup failed') && s.value,
      20_000,
    );
    expect(failing).toMatchObject({ is_active: true, process_running: true });
    expect(failing.error).toMatch(/etcd .*unavailable|unavailable/);

    await member.restart();
    await bed.etcd.waitHealthy();
    const resumed = await statusUntil(
      a,
      'backups to resume',
      (s) =>
        s.ok &&
        s.value.error === undefined &&
        (s.value.tower?.last_vote_slot ?? 0) > (first.tower?.last_vote_slot ?? 0) &&
        s.value,
      30_000,
    );
    expect(resumed.last_tower_backup).toBeGreaterThanOrEqual(first.last_tower_backup);
    expect(a.log()).toContain('tower backups resumed');
  });

  it('moves the identity through the etcd store with the tower verified, and the judge finds no violation', async () => {
    const c = bed.cluster;
    const [a, b] = agents as [RunningAgent, RunningAgent];
    await statusUntil(a, 'a first backup', (s) => s.ok && s.value.tower !== undefined);
    await expect(a.client.failover({ action: 'become_passive', reason: 'test' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    await expect(b.client.failover({ action: 'become_active', reason: 'test' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    expect(b.log()).toMatch(/restored .* from .* \(last voted slot \d+/);
    await c.waitFor('b to vote', async () => (await c.validator('b').status()).voting);
    expect(await c.judge.violations()).toEqual([]);
  });

  // Regression F4 (docs/chaos.md): the final backup failed while etcd had no quorum, the tower
  // file was removed anyway and the backup was never retried, so the manager rolled back.
  it('keeps the tower file when the final backup fails on demotion, and backs it up and removes it once etcd is back', async () => {
    const c = bed.cluster;
    const [a] = agents as [RunningAgent];
    const towerFile = a.validator.towerPath(c.stakedPubkey);
    const first = await statusUntil(a, 'a first backup', (s) => s.ok && s.value.tower && s.value);
    const member = bed.etcd.members[0]!;
    await member.stop();

    await expect(a.client.failover({ action: 'become_passive', reason: 'test' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    const pending = await statusUntil(
      a,
      'the pending final backup to show',
      (s) => s.ok && s.value.error?.includes('final tower backup pending') && s.value,
    );
    expect(pending.is_active).toBe(false);
    expect(existsSync(towerFile)).toBe(true);

    await member.restart();
    await bed.etcd.waitHealthy();
    const landed = await statusUntil(
      a,
      'the final backup to land',
      (s) =>
        s.ok &&
        s.value.error === undefined &&
        (s.value.tower?.last_vote_slot ?? 0) > (first.tower?.last_vote_slot ?? 0) &&
        s.value,
      30_000,
    );
    expect(landed.last_tower_backup).toBeGreaterThanOrEqual(first.last_tower_backup);
    expect(existsSync(towerFile)).toBe(false);
    expect(a.log()).toContain('final tower backup landed; tower file removed');
  });

  // Regression: a backup refused as fenced made the holder step down and delete its tower file,
  // leaving the store with only the other writer's older tower, below the vote account's last
  // vote: every restore was refused and nobody could vote until a newer tower was found.
  it('keeps the tower aside when a fenced backup makes the holder step down, restores only what an operator put back', async () => {
    const c = bed.cluster;
    const [a] = agents as [RunningAgent];
    const towerFile = a.validator.towerPath(c.stakedPubkey);
    await statusUntil(a, 'a first backup', (s) => s.ok && s.value.tower && s.value);

    // An older signed tower written back by another writer: the keys as the agent left them, re-put under another name.
    const base = `/failover/test/${c.stakedPubkey}/`;
    const etcd = new Etcd3({ hosts: [...bed.etcd.endpoints] });
    let staleSlot: number;
    try {
      const keys = await etcd.getAll().prefix(base).buffers();
      const meta = JSON.parse(keys[`${base}meta`]!.toString()) as { last_voted_slot: number };
      staleSlot = meta.last_voted_slot;
      await etcd
        .if(`${base}slot`, 'Version', '>', 0)
        .then(
          etcd.put(`${base}bytes`).value(keys[`${base}bytes`]!),
          etcd.put(`${base}meta`).value(JSON.stringify({ ...meta, source: 'elsewhere' })),
          etcd.put(`${base}slot`).value(keys[`${base}slot`]!),
        )
        .commit();
    } finally {
      etcd.close();
    }

    const steppedDown = await statusUntil(
      a,
      'the fenced step-down',
      (s) => s.ok && s.value.role === 'passive' && s.value.error?.includes('kept the tower aside') && s.value,
    );
    expect(a.log()).toContain('fenced backup');
    expect(existsSync(towerFile)).toBe(false);
    const ledger = path.dirname(towerFile);
    const kept = readdirSync(ledger).filter((name) => name.startsWith(`${path.basename(towerFile)}.fenced-`));
    expect(kept).toHaveLength(1);
    const keptFile = path.join(ledger, kept[0]!);
    const decoded = decodeTower(readFileSync(keptFile), c.stakedPubkey);
    if (!decoded.ok) throw new Error(`the kept tower does not verify: ${decoded.error.message}`);
    const keptSlot = decoded.lastVotedSlot ?? -1;
    expect(keptSlot).toBeGreaterThan(staleSlot);
    expect(a.log()).toContain(keptFile);
    expect(steppedDown.error).toContain(`kept the tower aside as ${keptFile}`);

    // The kept tower is no restore's base: only the store's older one is found, below the floor.
    await expect(
      a.client.failover({ action: 'become_active', reason: 'test', minTowerSlot: keptSlot }),
    ).resolves.toMatchObject({
      ok: false,
      error: { status: 422, code: 'FAILOVER_TOWER_STALE', details: { tower_last_vote_slot: staleSlot } },
    });

    // What docs/safety.md tells the operator: put it back on the passive node, then promote it.
    renameSync(keptFile, towerFile);
    await expect(
      a.client.failover({ action: 'become_active', reason: 'test', minTowerSlot: keptSlot }),
    ).resolves.toMatchObject({ ok: true, value: { success: true } });
    await c.waitFor('a to vote again', async () => (await c.validator('a').status()).voting);
    expect(await c.judge.violations()).toEqual([]);
    const promoted = await statusUntil(a, 'the active status', (s) => s.ok && s.value.role === 'active' && s.value);
    expect(promoted.error ?? '').not.toContain('kept the tower aside');
  });
});
