import { requestSwitchover } from '@failover/manager';
import type { SwitchoverLine } from '@failover/protocol';
import { startStack, type Stack } from '../src/stack';

// Agent hooks in a planned switchover, with the built bins of both programs and the simulator
// as the judge of who voted.
jest.setTimeout(120_000);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Starts the stack with `hooks` on v2's agent and waits for v1 to be active with a tower backup. */
async function startWithHooksOnV2(hooks: Record<string, unknown>): Promise<Stack> {
  stack = await startStack({
    slotMs: 50,
    editAgentConfig: (config, v) => (v.name === 'v2' ? { ...config, hooks } : config),
  });
  const { manager, cluster } = stack;
  await cluster.waitFor(
    'the manager to see v1 active with a tower backup',
    async () => {
      const status = await manager.status();
      return status.active === 'validator1' && status.nodes[0]?.last_tower_backup != null;
    },
    { timeoutMs: 20_000 },
  );
  return stack;
}

async function switchover(s: Stack): Promise<SwitchoverLine[]> {
  const lines: SwitchoverLine[] = [];
  for await (const line of requestSwitchover(s.manager.control, {
    reason: 'planned switchover',
    wait_for_leader_gap_slots: 0,
  }))
    lines.push(line);
  return lines;
}

describe('agent hooks in a planned switchover', () => {
  it('never lets v2 vote when its must_succeed pre_promote fails: the identity goes back to v1, no double vote', async () => {
    const s = await startWithHooksOnV2({
      pre_promote: { command: 'echo "not in the window" >&2; exit 7', must_succeed: true },
    });
    const [v1, v2] = s.cluster.validators;

    const lines = await switchover(s);
    expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'rolled-back' });
    const promotions = lines.filter((l) => l.type === 'step-finished' && l.step.startsWith('promote validator2'));
    expect(promotions.length).toBeGreaterThan(0);
    for (const promotion of promotions)
      expect(promotion).toMatchObject({
        ok: false,
        detail: expect.stringContaining('pre_promote failed and must succeed'),
      });

    await s.cluster.waitFor('v1 to vote again', async () => (await v1!.status()).voting || undefined, {
      timeoutMs: 15_000,
    });
    expect((await s.cluster.judge.votes()).filter((vote) => vote.validator === v2!.name)).toEqual([]);
    expect(await s.cluster.judge.violations()).toEqual([]);
    expect((await s.manager.status()).active).toBe('validator1');
  });

  it('completes the switchover when post_promote fails, and the manager reports the failure', async () => {
    const s = await startWithHooksOnV2({ post_promote: { command: 'echo "dns update failed" >&2; exit 1' } });
    const [, v2] = s.cluster.validators;

    const lines = await switchover(s);
    expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'completed' });
    const warning = await s.manager.log.waitFor((line) => line.event === 'role-change-warning', 10_000);
    expect(warning?.fields).toMatchObject({ node: 'validator2', action: 'become_active' });
    expect(JSON.stringify(warning?.fields['warnings'])).toContain('dns update failed');

    await s.cluster.waitFor(
      'v2 to vote with the staked identity',
      async () => (await v2!.status()).voting || undefined,
      {
        timeoutMs: 15_000,
      },
    );
    expect(await s.cluster.judge.violations()).toEqual([]);
  });
});
