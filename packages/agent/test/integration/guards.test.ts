import type { SimCluster } from '@failover/solana-sim';
import { freePort, startCuttableProxy, waitFor, type CuttableProxy } from '@failover/testkit';
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { statusUntil, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-guards');

let proxy: CuttableProxy | undefined;

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

const lastVoteOn = async (c: SimCluster, name: string): Promise<number> =>
  Math.max(...(await c.judge.votes()).filter((v) => v.validator === name).map((v) => v.slot));

describe('min_tower_slot (S2)', () => {
  // Regression: become_active took the identity from a backup older than the vote account's last vote.
  it('refuses become_active with 422 FAILOVER_TOWER_STALE when every tower ends below min_tower_slot, and changes nothing', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents();
    const [a, b] = agents as [RunningAgent, RunningAgent];
    const vb = c.validator('b');
    await statusUntil(a, 'a first tower backup', (s) => s.ok && s.value.last_tower_backup > 0);
    await expect(a.client.failover({ action: 'become_passive', reason: 'switchover' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    const last = await lastVoteOn(c, 'a');
    const symlinkBefore = readlinkSync(vb.identitySymlink);

    const refused = await b.client.failover({ action: 'become_active', reason: 'test', minTowerSlot: last + 1_000 });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        kind: 'rejected',
        status: 422,
        code: 'FAILOVER_TOWER_STALE',
        details: { min_tower_slot: last + 1_000, tower_last_vote_slot: last },
      },
    });
    expect(await vb.identity()).toBe(vb.unstakedPubkey);
    expect(readlinkSync(vb.identitySymlink)).toBe(symlinkBefore);
    await expect(b.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'passive', is_active: false } });

    const promoted = await b.client.failover({ action: 'become_active', reason: 'test', minTowerSlot: last });
    expect(promoted).toMatchObject({ ok: true, value: { success: true } });
    expect(await vb.identity()).toBe(c.stakedPubkey);
    expect(await c.judge.violations()).toEqual([]);
  });
});

describe('a staked validator behind a passive agent (S3)', () => {
  // Regression: a passive validator restarted on a symlink still naming the staked key voted unnoticed.
  it('is demoted at once: symlink back to the unstaked key, identity removed, reported in /status', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents();
    const [a, b] = agents as [RunningAgent, RunningAgent];
    const vb = c.validator('b');
    // The holder steps down first, so the judge sees one voter at a time throughout.
    await expect(a.client.failover({ action: 'become_passive', reason: 'maintenance' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    execFileSync('ln', ['-sfn', c.stakedKeypairPath, vb.identitySymlink]);
    await vb.restart();

    await waitFor(async () => (await vb.identity().catch(() => '')) === vb.unstakedPubkey, {
      description: 'b to be demoted',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(readlinkSync(vb.identitySymlink)).toBe(vb.unstakedKeypairPath);
    const status = await statusUntil(b, 'b to settle passive', (s) => s.ok && s.value.role === 'passive' && s.value);
    expect(status.error).toContain('the validator ran the staked identity while this node was passive');
    expect(b.log()).toContain('the validator ran the staked identity while this node was passive (S3); demoting it');
  });
});

describe('demoting a validator that is down', () => {
  // Regression: confirm-unstaked needed getIdentity, which a crashed validator cannot answer, so the failover aborted.
  it('is confirmed when the process is gone and the identity symlink names the unstaked keypair', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents({
      // The service manager accepted the restart, but the validator is not up yet.
      configure: (config, v) => ({
        ...config,
        validator_restart_command: 'true',
        identity_symlink_path: v.identitySymlink,
        command_timeout: '2s',
      }),
    });
    const [a] = agents as [RunningAgent];
    const va = c.validator('a');
    await statusUntil(a, 'a first tower backup', (s) => s.ok && s.value.last_tower_backup > 0);
    await va.crash();
    const demoted = await a.client.failover({ action: 'become_passive', reason: 'validator crashed' });
    expect(demoted).toMatchObject({ ok: true, value: { success: true } });
    expect(readlinkSync(va.identitySymlink)).toBe(va.unstakedKeypairPath);
    expect(a.log()).toContain('demotion confirmed without its answer');
    await expect(a.client.status()).resolves.toMatchObject({
      ok: true,
      value: { role: 'passive', is_active: false, process_running: false },
    });
  });
});

describe('isolation self-fencing', () => {
  const isolated =
    (clusterRpc: string) =>
    (config: Record<string, unknown>): Record<string, unknown> => ({
      ...config,
      manager_timeout: '1s',
      startup_grace_period: '1s',
      isolation_timeout: '2s',
      cluster_rpc: clusterRpc,
    });

  it('stays active while only the manager and the peer are silent and the cluster RPC answers', async () => {
    const c = bed.cluster;
    const closed = `http://127.0.0.1:${await freePort()}`;
    const agents = await bed.startAgents({ configure: isolated(c.rpcUrl), peerUrl: () => closed });
    const [a] = agents as [RunningAgent];
    await waitFor(() => a.log().includes('peer is unreachable; staying active'), {
      description: 'a to ask its peer and stay',
      timeoutMs: 20_000,
    });
    const votes = await lastVoteOn(c, 'a');
    await waitFor(async () => (await lastVoteOn(c, 'a')) > votes + 80, {
      description: 'a to keep voting past the isolation timeout',
      timeoutMs: 20_000,
    });
    expect(await c.validator('a').identity()).toBe(c.stakedPubkey);
    expect(a.log()).not.toContain('isolated:');
  });

  it('demotes its own validator once manager, peer and cluster RPC are all unreachable', async () => {
    const c = bed.cluster;
    const closed = `http://127.0.0.1:${await freePort()}`;
    proxy = await startCuttableProxy({ target: new URL(c.rpcUrl).host });
    const agents = await bed.startAgents({ configure: isolated(proxy.url), peerUrl: () => closed });
    const [a] = agents as [RunningAgent];
    const va = c.validator('a');
    await waitFor(() => a.log().includes('peer is unreachable; staying active'), {
      description: 'a to ask its peer and stay',
      timeoutMs: 20_000,
    });
    await proxy.cut('refuse');
    await waitFor(async () => (await va.identity()) === va.unstakedPubkey, {
      description: 'a to demote itself',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(a.log()).toMatch(/isolated: no manager, peer or advancing cluster slot for \ds/);
    expect(readlinkSync(va.identitySymlink)).toBe(va.unstakedKeypairPath);
  });
});
