import { fetchControlStatus } from '../src/control-client';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('evidence from independent cluster RPC endpoints', () => {
  // Regression: one endpoint decided the proof; a backend whose vote view stopped made a voting active look stopped.
  it('never promotes past an unreachable active that still votes while one of two endpoints reports its votes stale', async () => {
    rig = await startRig({ proxyActive: true });
    const { cluster, telegram, proxy } = rig;
    await cluster.freezeBackendVotes('stale', true);
    const manager = await rig.startManager({ cluster_rpc: [cluster.backendUrl('stale'), cluster.rpcUrl] });
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
    // Past the stale threshold (40 slots) the frozen backend alone would prove a stop.
    const slotAtBlock = (await v1!.status()).slot;
    await cluster.waitFor('60 more slots', async () => (await v1!.status()).slot >= slotAtBlock + 60 || undefined, {
      timeoutMs: 30_000,
    });
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect((await v1!.status()).voting).toBe(true);
    expect(manager.monitor.snapshot().state.status).toBe('monitoring');
    expect(await cluster.judge.violations()).toEqual([]);
  });
});

describe('a Go config without vote_account_pubkey', () => {
  it('loads, says at start in the log, the status and Telegram that nothing will be promoted, and promotes nothing', async () => {
    rig = await startRig();
    const { cluster, telegram } = rig;
    // An empty string is "not set", as in the Go tool's files.
    const manager = await rig.startManager({ vote_account_pubkey: '' });
    const [v1, v2] = cluster.validators;
    const blocked = await cluster.waitFor(
      'a blocked notification',
      async () => telegram.messages.find((m) => m.text.includes('Failover blocked')),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(blocked.text).toContain('refusing to promote validator2: no tower floor (vote_account_pubkey is not set');
    expect(rig.managerLog.join('\n')).toContain('vote_account_pubkey is not set');
    const status = await fetchControlStatus(await rig.control());
    expect(status.hold).toContain('vote_account_pubkey is not set (docs/safety.md, "The tower floor")');

    await v1!.crash();
    await cluster.waitFor(
      'the manager to count the active down',
      async () => (manager.monitor.snapshot().state.nodes.validator1.misses >= 6 ? true : undefined),
      { timeoutMs: 15_000 },
    );
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect(telegram.messages.filter((m) => m.text.includes('Failover started'))).toEqual([]);
  });
});
