import { readFileSync } from 'node:fs';
import { startStack, type Stack } from '../src/stack';

// The harness with everything on: towers in a real etcd, Telegram through the fake Bot API,
// and secure identity mode over two real sshd, each on its validator's IP.
jest.setTimeout(120_000);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('the stack harness', () => {
  it('moves the identity over SSH after a crash, with towers in etcd, and the operator told the step timings', async () => {
    stack = await startStack({ slotMs: 50, towerStore: 'etcd', telegram: true, secureMode: true });
    const { cluster, manager, telegram } = stack;
    const [v1, v2] = cluster.validators;
    const config = JSON.parse(readFileSync(manager.configPath, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      secure_identity_mode: true,
      validator1: { ssh_port: stack.secure!.servers[0].port },
    });

    await cluster.waitFor(
      'the manager to see v1 active with a tower backup',
      async () => {
        const status = await manager.status();
        return status.active === 'validator1' && status.nodes[0]?.last_tower_backup != null;
      },
      { timeoutMs: 20_000 },
    );
    await v1!.crash();

    const ended = await manager.log.waitFor(
      (line) => ['failover-complete', 'failover-failed', 'rolled-back'].includes(line.event ?? ''),
      60_000,
    );
    expect(ended?.event).toBe('failover-complete');
    const [report] = manager.log.failovers();
    expect(report?.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['restore tower validator2', 'promote validator2 (identity over SSH)']),
    );
    await cluster.waitFor('v2 to vote with the staked identity', async () => (await v2!.status()).voting || undefined, {
      timeoutMs: 15_000,
    });
    expect(await cluster.judge.violations()).toEqual([]);

    const message = await cluster.waitFor(
      'Telegram to get "Failover complete"',
      async () => telegram!.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 10_000 },
    );
    expect(message.text).toContain('identity over SSH');
    expect(telegram!.messages.map((m) => m.text).join('\n')).not.toContain(telegram!.token);
  });
});
