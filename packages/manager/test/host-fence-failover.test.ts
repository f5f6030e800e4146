import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FailoverProgress } from '../src/monitor';
import type { ManagerHandle } from '../src/start-manager';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Cuts the manager from v1's agent and crashes v1's validator; resolves with when v1 was cut off. */
async function strandActive(r: Rig, manager: ManagerHandle): Promise<number> {
  const { cluster, proxy } = r;
  await cluster.waitFor(
    'the manager to see v1 active',
    async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
    { timeoutMs: 15_000 },
  );
  const cutAt = Date.now();
  await proxy!.cut('blackhole');
  await cluster.validators[0]!.crash();
  return cutAt;
}

/** Waits for "Failover complete"; a failure says everything the operator was told. */
async function completed(r: Rig): Promise<void> {
  await r.cluster
    .waitFor(
      'a failover complete message',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 60_000, intervalMs: 100 },
    )
    .catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; told: ${r.telegram.messages.map((m) => m.text).join(' | ')}`);
    });
}

describe('the host fence before promoting past an unreachable active', () => {
  // Regression: a stale vote account alone promoted past an agent heard a moment before, whose host guard had not acted yet.
  it('waits out guard_bound since the old agent was last heard, though the vote account is stale before', async () => {
    rig = await startRig({ proxyActive: true });
    const manager = await rig.startManager({ guard_bound: '12s' });
    const steps: Array<Extract<FailoverProgress, { type: 'step-finished' }>> = [];
    manager.monitor.onProgress((p) => {
      if (p.type === 'step-finished') steps.push(p);
    });
    const cutAt = await strandActive(rig, manager);
    const { cluster } = rig;
    await completed(rig);
    const proof = steps.find((s) => s.step === 'prove stopped voting validator1' && s.ok);
    expect(proof).toBeDefined();
    // The agent was last heard at most one heartbeat and one request timeout (700 ms) before the cut;
    // the vote account was stale within about 3 s of it.
    expect(proof!.at - cutAt).toBeGreaterThanOrEqual(12_000 - 700);
    await cluster.waitFor('v2 to vote', async () => (await cluster.validators[1]!.status()).voting || undefined, {
      timeoutMs: 10_000,
    });
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('promotes at once when fence_command exits 0, with the node filled in, whatever guard_bound says', async () => {
    rig = await startRig({ proxyActive: true });
    const record = path.join(rig.dir, 'fenced');
    const manager = await rig.startManager({
      guard_bound: '10m',
      fence_command: ['sh', '-c', 'echo "$1 $2" > "$3"', 'fence', '{node}', '{ip}', record],
    });
    const steps: Array<Extract<FailoverProgress, { type: 'step-finished' }>> = [];
    manager.monitor.onProgress((p) => {
      if (p.type === 'step-finished') steps.push(p);
    });
    await strandActive(rig, manager);
    const { cluster } = rig;
    await completed(rig);
    expect(readFileSync(record, 'utf8').trim()).toBe(`validator1 ${cluster.validators[0]!.ip}`);
    expect(steps.find((s) => s.step === 'prove stopped voting validator1')?.ok).toBe(true);
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
