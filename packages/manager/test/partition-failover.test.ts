import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('a partition between the manager and the active validator only', () => {
  it('blocks while the old active still votes, says so once, and promotes only after it really stopped', async () => {
    rig = await startRig({ proxyActive: true });
    const { cluster, telegram, proxy } = rig;
    const manager = await rig.startManager();
    const [v1, v2] = cluster.validators;
    await cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );

    await proxy!.cut('blackhole');
    const blocked = await cluster.waitFor(
      'a blocked notification',
      async () => telegram.messages.find((m) => m.text.includes('Failover blocked')),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(blocked.text).toContain('still votes');
    // Many more heartbeats pass: still one notification, no promotion, v1 keeps voting alone.
    const slotAtBlock = (await v1!.status()).slot;
    await cluster.waitFor('20 more slots', async () => (await v1!.status()).slot >= slotAtBlock + 20 || undefined, {
      timeoutMs: 20_000,
    });
    expect(telegram.messages.filter((m) => m.text.includes('Failover blocked'))).toHaveLength(1);
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect((await v1!.status()).voting).toBe(true);

    await v1!.crash();
    const complete = await cluster.waitFor(
      'a failover complete message',
      async () => telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 40_000, intervalMs: 100 },
    );
    expect(complete.text).toContain('prove stopped voting validator1');
    expect(complete.text).not.toContain('demote validator1');
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 10_000 });
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
