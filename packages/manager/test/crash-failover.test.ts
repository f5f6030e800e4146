import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: minutes of set-up budget on a 2-core machine.
jest.setTimeout(90_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('the manager against real agents and the simulator', () => {
  it('fails over when the active validator crashes: no violation, and Telegram gets "failover complete" with timings', async () => {
    rig = await startRig();
    const { cluster, telegram } = rig;
    const manager = await rig.startManager();
    const [v1, v2] = cluster.validators;
    await cluster.waitFor('v1 to vote with the staked identity', async () => (await v1!.status()).voting || undefined, {
      timeoutMs: 15_000,
    });
    await cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );

    await v1!.crash();

    const message = await cluster.waitFor(
      'a failover complete message',
      async () => telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(message.text).toMatch(/validator1.*validator2/s);
    expect(message.text).toMatch(/demote validator1/);
    expect(message.text).toMatch(/verify voting validator2/);
    expect(message.text).toMatch(/Total/);
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 10_000 });
    expect(await v2!.identity()).toBe(cluster.stakedPubkey);
    expect(await cluster.judge.violations()).toEqual([]);
    expect(telegram.messages.map((m) => m.text).join('\n')).not.toContain(telegram.token);
  });
});
