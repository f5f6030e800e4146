import { etcdKeys, type EtcdKv } from '@failover/testkit';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** The last voted slot of the tower in `kvs`, from its `slot` key (the last voted slot + 1). */
function slotOf(kvs: readonly EtcdKv[]): number | undefined {
  const kv = kvs.find((k) => Buffer.from(k.key, 'base64').toString().endsWith('/slot'));
  return kv === undefined ? undefined : Number(Buffer.from(kv.value, 'base64').toString()) - 1;
}

describe('a promotion refused for a stale tower past an unreachable active', () => {
  it('never names the refused node active and notifies the hold once while it lasts', async () => {
    rig = await startRig({ proxyActive: true });
    const { cluster, telegram, etcd, proxy } = rig;
    const manager = await rig.startManager();
    const [v1, v2] = cluster.validators;
    const towers = etcdKeys(etcd.endpoints[0]!, `/failover/tower/${cluster.stakedPubkey}/`);
    await cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );
    const old = await cluster.waitFor(
      'a first tower backup',
      async () => {
        const kvs = await towers.read();
        return kvs.length > 0 ? kvs : undefined;
      },
      { timeoutMs: 15_000 },
    );
    // From the keys saved, not read again: the active may have backed up a newer tower since.
    const oldSlot = slotOf(old)!;
    await cluster.waitFor(
      'v1 to vote past the saved tower',
      async () => ((await v1!.status()).lastVote ?? 0) > oldSlot + 5 || undefined,
      {
        timeoutMs: 15_000,
      },
    );

    // The old active is gone with its agent, and the tower store holds a backup older than its last vote.
    // Its agent no longer answers at all: each heartbeat waits out request_timeout for it, and
    // reads validator2 while the previous heartbeat's promotion still runs.
    await proxy!.cut('blackhole');
    rig.agents[0].process.kill('SIGKILL');
    await v1!.crash();
    await towers.write(old);
    expect(slotOf(await towers.read())).toBe(oldSlot);

    const staleHold = (t: string): boolean => t.includes('Failover blocked') && t.includes('newest tower backup');
    await cluster.waitFor(
      'the stale-tower hold',
      async () => telegram.messages.some((m) => staleHold(m.text)) || undefined,
      {
        timeoutMs: 40_000,
        intervalMs: 100,
      },
    );
    // A retry whose restore waits on the tower store until a heartbeat has read validator2 in the
    // middle of it: that heartbeat reaches the manager after the refusal.
    const member = etcd.members[0]!;
    await member.pause();
    try {
      await cluster.waitFor(
        'a heartbeat to read validator2 mid-promotion',
        async () => {
          const seen = manager.monitor.snapshot().observation?.nodes.validator2;
          return (seen?.reachable === true && seen.status.role === 'activating') || undefined;
        },
        { timeoutMs: 20_000, intervalMs: 20 },
      );
    } finally {
      member.resume();
    }
    // Several more refused promotions under the same hold.
    const promotions = (): number => rig!.managerLog.filter((l) => l.includes('step promote validator2')).length;
    const atHold = promotions();
    await cluster.waitFor('five more refused promotions', async () => promotions() >= atHold + 5 || undefined, {
      timeoutMs: 40_000,
      intervalMs: 100,
    });

    const texts = telegram.messages.map((m) => m.text);
    expect(texts.filter((t) => t.includes('is now active'))).toEqual([]);
    const sinceHold = texts.slice(texts.findIndex(staleHold));
    expect(sinceHold.filter(staleHold)).toHaveLength(1);
    expect(sinceHold.filter((t) => t.includes('No longer blocked') || t.includes('Failover started'))).toEqual([]);
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
