import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API.
jest.setTimeout(150_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('a planned switchover while etcd is down', () => {
  // Regression: with etcd down from the start, the old active's final backup could not land, the
  // final-backup step waited out its 3 × 15 s and the switchover rolled back onto the old active.
  // The tower its demotion kept on disk now travels with the promotion, and the switchover
  // completes; once etcd is back the new holder's backups land over everything else.
  it('completes with the tower the demotion kept, and the new holder backs up once etcd is back; the judge finds no violation', async () => {
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
        telegram.messages.find(
          (m) =>
            m.text.includes('Failover complete') ||
            m.text.includes('Failover rolled back') ||
            m.text.includes('Failover FAILED'),
        ),
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(ended.text).toContain('Failover complete');
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 15_000 });
    expect(await v2!.identity()).toBe(cluster.stakedPubkey);
    expect(await v1!.identity()).not.toBe(cluster.stakedPubkey);
    expect(rig.agents[1].output).toMatch(/restored .* from the final tower carried from validator1/);

    const etcdBackAt = Date.now();
    await etcd.members[0]!.restart();
    await cluster.waitFor(
      "v2's tower backed up once etcd is back, v2 still the holder",
      async () => {
        const v2Status = manager.monitor.snapshot().observation?.nodes.validator2;
        return (
          (v2Status?.reachable === true &&
            v2Status.status.role === 'active' &&
            // Backup times have one-second resolution.
            (v2Status.status.lastTowerBackup ?? 0) >= etcdBackAt - 1000) ||
          undefined
        );
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await cluster.waitFor('v2 to vote on', async () => (await v2!.status()).voting || undefined, { timeoutMs: 5_000 });
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
