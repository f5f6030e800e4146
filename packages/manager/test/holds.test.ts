import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(90_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const failoverRequests = (r: Rig): number => r.agents.reduce((n, a) => n + (a.output.match(/failover requested/g) ?? []).length, 0);

describe('failovers held back, with real agents', () => {
  it('holds the failover when the manager runs dry: no command runs anywhere', async () => {
    rig = await startRig();
    const r = rig;
    const manager = await r.startManager({ dry_run: true });
    await r.cluster.waitFor('the manager to see v1 active', async () => manager.monitor.snapshot().state.active === 'validator1' || undefined, { timeoutMs: 15_000 });
    await r.cluster.validators[0]!.crash();
    const blocked = await r.cluster.waitFor('a blocked notification', async () => r.telegram.messages.find((m) => m.text.includes('Failover blocked')), { timeoutMs: 20_000, intervalMs: 100 });
    expect(blocked.text.toLowerCase()).toContain('dry run');
    const seen = manager.monitor.snapshot().state.nodes.validator1.misses;
    await r.cluster.waitFor('more heartbeats', async () => manager.monitor.snapshot().state.nodes.validator1.misses >= seen + 5 || undefined, { timeoutMs: 10_000 });
    expect(failoverRequests(r)).toBe(0);
    expect(r.agents.map((a) => a.output).join('\n')).not.toMatch(/executing: .*set-identity/);
    expect(r.telegram.messages.filter((m) => m.text.includes('Failover blocked'))).toHaveLength(1);
  });

  it('honours the start-up grace period, then fails over', async () => {
    rig = await startRig();
    const r = rig;
    await r.cluster.validators[0]!.crash();
    const started = Date.now();
    await r.startManager({ startup_grace_period: '4s' });
    const blocked = await r.cluster.waitFor('a blocked notification', async () => r.telegram.messages.find((m) => m.text.includes('Failover blocked')), { timeoutMs: 20_000, intervalMs: 100 });
    expect(blocked.text.toLowerCase()).toContain('grace');
    const complete = await r.cluster.waitFor('a failover complete message', async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')), { timeoutMs: 40_000, intervalMs: 100 });
    expect(complete).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });
});
