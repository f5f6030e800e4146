import { startStack, type Stack } from '../src/stack';

// A validator that exits is replaced without waiting for missed heartbeats: its agent sees the
// exit and answers the manager's held /watch, and the manager's next /status confirms it.
// The heartbeats here are far apart: counting misses would take 5 × 30 s.
jest.setTimeout(90_000);

const HEARTBEAT_MS = 30_000;
const MISSES = 5;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('a validator process exit', () => {
  it('fails over at the first check after the exit, not after misses, with no double vote', async () => {
    stack = await startStack({
      slotMs: 100,
      heartbeatMs: HEARTBEAT_MS,
      misses: MISSES,
      requestTimeoutMs: 2_000,
      agentManagerTimeoutMs: 10 * HEARTBEAT_MS,
      startManager: false,
    });
    const { cluster, manager, agents } = stack;
    const [v1, v2] = cluster.validators;
    // Steady before the manager's first heartbeat: v1 votes and its tower is backed up.
    await cluster.waitFor(
      'v1 to vote with a tower backup',
      async () => {
        const status = await agents[0].client.status();
        return ((await v1!.status()).voting && status.ok && status.value.tower !== undefined) || undefined;
      },
      { timeoutMs: 20_000 },
    );
    await manager.start();
    await cluster.waitFor(
      'the manager to see v1 active',
      async () => (await manager.status()).active === 'validator1' || undefined,
      { timeoutMs: 10_000 },
    );
    // Past the stack's 1 s start-up grace, which would hold any failover.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const crashedAt = Date.now();
    await v1!.crash();

    // Well inside one heartbeat interval, let alone the five misses.
    const started = await manager.log.waitFor((line) => line.event === 'failover-started', HEARTBEAT_MS / 3);
    expect(started).toBeDefined();
    expect(started!.time - crashedAt).toBeLessThan(HEARTBEAT_MS);
    expect(started!.fields.reason).toMatchObject({
      kind: 'unhealthy',
      node: 'validator1',
      misses: 1,
      reasons: [{ kind: 'process-down', exitedAt: expect.any(Number) }],
    });
    const ended = await manager.log.waitFor(
      (line) => ['failover-complete', 'failover-failed', 'rolled-back'].includes(line.event ?? ''),
      HEARTBEAT_MS / 3,
    );
    expect(ended?.event).toBe('failover-complete');
    await cluster.waitFor('v2 to vote with the staked identity', async () => (await v2!.status()).voting || undefined, {
      timeoutMs: 15_000,
    });
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
