import { decodeTower } from '@failover/core';
import { waitFor } from '@failover/testkit';
import { existsSync, readFileSync } from 'node:fs';
import { statusUntil, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-go');

describe("the Go tool's example validator-config.json", () => {
  it('starts the agent unchanged apart from the auth key, and detects both roles at start-up', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents();
    const [a, b] = agents as [RunningAgent, RunningAgent];
    const statusA = await statusUntil(
      a,
      'a to report its validator',
      (s) => s.ok && s.value.process_running && s.value,
    );
    expect(statusA).toMatchObject({ is_active: true, role: 'active', identity_pubkey: c.stakedPubkey, dry_run: false });
    const statusB = await statusUntil(
      b,
      'b to report its validator',
      (s) => s.ok && s.value.process_running && s.value,
    );
    expect(statusB).toMatchObject({
      is_active: false,
      role: 'passive',
      identity_pubkey: c.validator('b').unstakedPubkey,
    });
    expect(a.log()).toContain('starting as active');
    expect(b.log()).toContain('starting as passive');
    expect(a.log()).toContain('identity_change_command has no --require-tower');
  });

  it('moves the staked identity from a to b with become_passive then become_active: tower carried through etcd and verified, no violation', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents();
    const [a, b] = agents as [RunningAgent, RunningAgent];
    const va = c.validator('a');
    const vb = c.validator('b');
    // The manager's pings make the active agent back its tower up (tower_backup_command).
    await statusUntil(a, 'a first tower backup', (s) => s.ok && s.value.last_tower_backup > 0);

    const demoted = await a.client.failover({ action: 'become_passive', reason: 'planned switchover' });
    expect(demoted).toMatchObject({ ok: true, value: { success: true, message: 'now passive', dry_run: false } });
    expect(await va.identity()).toBe(va.unstakedPubkey);
    expect(existsSync(va.towerPath(c.stakedPubkey))).toBe(false);

    const promoted = await b.client.failover({ action: 'become_active', reason: 'planned switchover' });
    expect(promoted).toMatchObject({ ok: true, value: { success: true, message: 'now active' } });
    expect(await vb.identity()).toBe(c.stakedPubkey);

    expect(b.log()).toContain(`restored ${vb.towerPath(c.stakedPubkey)} from tower_restore_command`);
    const tower = decodeTower(readFileSync(vb.towerPath(c.stakedPubkey)), c.stakedPubkey);
    expect(tower.ok).toBe(true);
    const lastOnA = Math.max(...(await c.judge.votes()).filter((v) => v.validator === 'a').map((v) => v.slot));
    await waitFor(async () => (await c.judge.votes()).some((v) => v.validator === 'b' && v.slot > lastOnA), {
      description: 'b to vote with the staked identity',
      timeoutMs: 15_000,
    });
    expect(await c.judge.violations()).toEqual([]);

    await expect(b.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active', is_active: true } });
    await expect(a.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'passive', is_active: false } });
  });

  it('keeps claiming active, and says why, when the identity cannot be removed', async () => {
    const c = bed.cluster;
    const agents = await bed.startAgents();
    const [a] = agents as [RunningAgent];
    const va = c.validator('a');
    await va.failSetIdentity(true);
    const demoted = await a.client.failover({ action: 'become_passive', reason: 'test' });
    expect(demoted).toMatchObject({
      ok: true,
      value: { success: false, message: expect.stringContaining('could not become passive') },
    });
    expect(demoted.ok && demoted.value.message).toContain('validator_restart_command');
    await expect(a.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active', is_active: true } });
    expect(await va.identity()).toBe(c.stakedPubkey);
    expect(await c.judge.violations()).toEqual([]);
  });
});
