import type { SimValidator } from '@failover/solana-sim';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(90_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const failoverRequests = (r: Rig): number =>
  r.agents.reduce((n, a) => n + (a.output.match(/failover requested/g) ?? []).length, 0);

describe('failovers held back, with real agents', () => {
  it('holds the failover when the manager runs dry: no command runs anywhere', async () => {
    rig = await startRig();
    const r = rig;
    const manager = await r.startManager({ dry_run: true });
    await r.cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );
    await r.cluster.validators[0]!.crash();
    const blocked = await r.cluster.waitFor(
      'a blocked notification',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover blocked')),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(blocked.text.toLowerCase()).toContain('dry run');
    const seen = manager.monitor.snapshot().state.nodes.validator1.misses;
    await r.cluster.waitFor(
      'more heartbeats',
      async () => manager.monitor.snapshot().state.nodes.validator1.misses >= seen + 5 || undefined,
      { timeoutMs: 10_000 },
    );
    expect(failoverRequests(r)).toBe(0);
    expect(r.agents.map((a) => a.output).join('\n')).not.toMatch(/executing: .*set-identity/);
    expect(r.telegram.messages.filter((m) => m.text.includes('Failover blocked'))).toHaveLength(1);
  });

  // Regression: core read the wire's process check as getHealth, so an RPC-unhealthy passive was promoted.
  it.each([
    ['its RPC answers getHealth with "unhealthy"', async (v: SimValidator) => v.setRpcUnhealthy(true), 'rpc unhealthy'],
    [
      'it lags the cluster by far more than slot_diff_threshold',
      async (v: SimValidator) => v.fallBehind(400),
      'slots behind',
    ],
  ])('blocks the failover to a passive whose validator is unhealthy: %s', async (_name, spoil, wording) => {
    rig = await startRig();
    const r = rig;
    const manager = await r.startManager();
    const [v1, v2] = r.cluster.validators;
    await r.cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );
    await spoil(v2!);
    await r.cluster.waitFor(
      'the manager to judge v2 unhealthy',
      async () => manager.monitor.snapshot().state.nodes.validator2.health?.healthy === false || undefined,
      { timeoutMs: 10_000 },
    );
    await v1!.crash();
    const blocked = await r.cluster.waitFor(
      'a blocked notification',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover blocked')),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(blocked.text).toContain('validator2 is unhealthy');
    expect(blocked.text.toLowerCase()).toContain(wording);
    // The crashed active is reported as down, not as lagging behind another validator's process. The
    // failover may be decided on the heartbeat that first saw its RPC fail, before a probe saw the
    // process gone: the next heartbeats must say it.
    await r.cluster.waitFor(
      'the manager to report v1 process-down',
      async () =>
        manager.monitor.snapshot().state.nodes.validator1.health?.reasons.some((x) => x.kind === 'process-down') ||
        undefined,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    const seen = manager.monitor.snapshot().state.nodes.validator1.misses;
    await r.cluster.waitFor(
      'more heartbeats',
      async () => manager.monitor.snapshot().state.nodes.validator1.misses >= seen + 5 || undefined,
      { timeoutMs: 10_000 },
    );
    expect(failoverRequests(r)).toBe(0);
    expect(await v2!.identity()).not.toBe(r.cluster.stakedPubkey);
    expect(
      r.telegram.messages.some((m) => m.text.includes('Failover started') || m.text.includes('Failover complete')),
    ).toBe(false);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });

  // Regression (F2): a request_timeout of 500 ms was accepted silently; a late agent answer then reads as unreachable and the failover cannot demote it.
  it('warns at start-up, in the log and on Telegram, about a request_timeout below the floor', async () => {
    rig = await startRig();
    const r = rig;
    await r.startManager({ request_timeout: '500ms' });
    const warning = await r.cluster.waitFor(
      'a configuration warning',
      async () => r.telegram.messages.find((m) => m.text.includes('Configuration: request_timeout')),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(warning.text).toContain('request_timeout is 500 ms, below the 1000 ms floor');
    expect(r.managerLog.join('\n')).toMatch(/request_timeout is 500 ms, below the 1000 ms floor/);
  });

  it('honours the start-up grace period, then fails over', async () => {
    rig = await startRig();
    const r = rig;
    await r.cluster.validators[0]!.crash();
    const started = Date.now();
    await r.startManager({ startup_grace_period: '4s' });
    const blocked = await r.cluster.waitFor(
      'a blocked notification',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover blocked')),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(blocked.text.toLowerCase()).toContain('grace');
    const complete = await r.cluster.waitFor(
      'a failover complete message',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 40_000, intervalMs: 100 },
    );
    expect(complete).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });
});
