import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API; the final-backup step alone waits up to 3 × 15 s
// for a backup that cannot land.
jest.setTimeout(150_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('a planned switchover while etcd is down', () => {
  // Regression: the rollback's restore failed on the store error before it looked at the tower
  // the old active had kept on disk, so the switchover ended with nobody voting.
  it('hands the identity back to the old active, which votes again from the tower it kept on disk; the judge finds no violation', async () => {
    rig = await startRig();
    const { cluster, telegram, etcd } = rig;
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
    await etcd.members[0]!.stop();

    expect((await manager.monitor.requestSwitchover('etcd outage check', null)).accepted).toBe(true);
    const ended = await cluster.waitFor(
      'the switchover to end',
      async () =>
        telegram.messages.find((m) => m.text.includes('Failover rolled back') || m.text.includes('Failover FAILED')),
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(ended.text).toContain('Failover rolled back');
    expect(ended.text).toContain('final tower backup validator1');
    await cluster.waitFor('v1 to vote again', async () => (await v1!.status()).voting || undefined, {
      timeoutMs: 15_000,
    });
    expect(await v1!.identity()).toBe(cluster.stakedPubkey);
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect(rig.agents[0].output).toMatch(/kept .*at or above min_tower_slot \d+\): cannot read the tower backup/);
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
