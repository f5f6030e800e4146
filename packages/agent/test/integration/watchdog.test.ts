import { freePort, waitFor } from '@failover/testkit';
import type { RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-watchdog');

const shortTimeouts = (config: Record<string, unknown>): Record<string, unknown> => ({
  ...config,
  manager_timeout: '1s',
  startup_grace_period: '1s',
});

describe('watchdog (manager silent)', () => {
  it('steps down for real when the peer says it is active', async () => {
    const c = bed.cluster;
    const closed = `http://127.0.0.1:${await freePort()}`;
    const agents = await bed.startAgents({
      // b rehearses in dry-run: its role flips to active without touching its validator, so
      // the cluster never sees two voters; its own peer is unreachable so it stays active.
      configure: (config, v) => (v.name === 'b' ? { ...shortTimeouts(config), dry_run: true } : shortTimeouts(config)),
      peerUrl: (v, urls) => (v.name === 'a' ? (urls.get('b') ?? closed) : closed),
    });
    const [a, b] = agents as [RunningAgent, RunningAgent];
    await expect(b.client.failover({ action: 'become_active', reason: 'rehearsal' })).resolves.toMatchObject({
      ok: true,
      value: { success: true, dry_run: true },
    });

    await waitFor(async () => (await c.validator('a').identity()) === c.validator('a').unstakedPubkey, {
      description: 'a to give up the staked identity',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    await waitFor(
      async () => {
        const s = await a.client.status();
        return s.ok && s.value.role === 'passive';
      },
      { description: 'a to settle passive', timeoutMs: 10_000 },
    );
    expect(a.log()).toContain('manager silent and the peer is active; stepping down');
    expect(await c.judge.violations()).toEqual([]);
  });

  it('stays active and says so when the peer is unreachable', async () => {
    const c = bed.cluster;
    const closed = `http://127.0.0.1:${await freePort()}`;
    const agents = await bed.startAgents({ configure: shortTimeouts, peerUrl: () => closed });
    const [a] = agents as [RunningAgent];
    await waitFor(() => a.log().includes('peer is unreachable; staying active'), {
      description: 'a to ask its peer and stay',
      timeoutMs: 20_000,
    });
    expect(await c.validator('a').identity()).toBe(c.stakedPubkey);
    expect((await c.validator('a').status()).voting).toBe(true);
  });
});
