import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestSwitchover } from '@failover/manager';
import type { SwitchoverLine } from '@failover/protocol';
import { startStack, type Stack, type StackOptions } from '../src/stack';

// Agent hooks in a planned switchover, with the built bins of both programs and the simulator
// as the judge of who voted.
jest.setTimeout(120_000);

/**
 * The widest hole allowed between two consecutive votes of a voter that was never demoted: a
 * validator votes each slot it sees, and a starved process may skip a few. A demotion and its
 * rollback take seconds, hundreds of 50 ms slots.
 */
const MAX_VOTE_GAP_SLOTS = 20;

let stack: Stack | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Starts the stack and waits for the manager to see v1 active with a tower backup. */
async function startReady(options: StackOptions): Promise<Stack> {
  stack = await startStack({ slotMs: 50, ...options });
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

/** Starts the stack with `hooks` on v2's agent. */
function startWithHooksOnV2(hooks: Record<string, unknown>): Promise<Stack> {
  return startReady({ editAgentConfig: (config, v) => (v.name === 'v2' ? { ...config, hooks } : config) });
}

/** Starts the stack with `hooks` in the manager's config. */
function startWithManagerHooks(hooks: Record<string, unknown>): Promise<Stack> {
  return startReady({ editManagerConfig: (config) => ({ ...config, hooks }) });
}

/** v1's last vote so far, by the simulator's judge. */
async function lastVoteOfV1(s: Stack): Promise<number> {
  const v1 = s.cluster.validators[0]!;
  return (await s.cluster.judge.votes()).filter((vote) => vote.validator === v1.name).at(-1)?.slot ?? 0;
}

/**
 * v1 kept voting through a refused switchover: from `before` to a few slots past its end its
 * votes run on without a hole (a demotion, even one rolled back, stops it for many), v2 never
 * voted, and the judge saw no violation.
 */
async function expectV1VotedThrough(s: Stack, before: number): Promise<void> {
  const [v1, v2] = s.cluster.validators;
  const lastSlot = await lastVoteOfV1(s);
  await s.cluster.waitFor(
    'v1 to vote past the refused switchover',
    async () =>
      (await s.cluster.judge.votes()).some((vote) => vote.validator === v1!.name && vote.slot > lastSlot + 10) ||
      undefined,
    { timeoutMs: 15_000 },
  );
  const votes = await s.cluster.judge.votes();
  const v1Slots = votes.filter((vote) => vote.validator === v1!.name && vote.slot >= before).map((vote) => vote.slot);
  const gaps = v1Slots.slice(1).map((slot, i) => slot - v1Slots[i]!);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(MAX_VOTE_GAP_SLOTS);
  expect(votes.filter((vote) => vote.validator === v2!.name)).toEqual([]);
  expect(await s.cluster.judge.violations()).toEqual([]);
  expect(await v1!.status()).toMatchObject({ voting: true });
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
  it("refuses a planned switchover before any role change when v2's must_succeed pre_promote fails: v1 never stops voting, v2 never votes", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hooks-e2e-'));
    dirs.push(dir);
    const runs = join(dir, 'pre_promote.runs');
    const s = await startWithHooksOnV2({
      pre_promote: { command: `echo run >> ${runs}; echo "not in the window" >&2; exit 7`, must_succeed: true },
    });
    const before = await lastVoteOfV1(s);

    const lines = await switchover(s);
    expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'aborted' });
    const steps = lines.filter((l) => l.type === 'step-finished');
    expect(steps).toEqual([
      expect.objectContaining({
        step: 'check promote validator2',
        ok: false,
        detail: expect.stringContaining('not in the window'),
      }),
    ]);
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual(['run']);

    await expectV1VotedThrough(s, before);
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

describe("the manager's hooks around a planned switchover", () => {
  it('aborts the switchover before any role change when pre_failover must succeed and fails: v1 never stops voting, v2 never votes', async () => {
    const s = await startWithManagerHooks({
      pre_failover: { command: 'echo "change freeze in force" >&2; exit 9', must_succeed: true },
    });
    const before = await lastVoteOfV1(s);
    const lines = await switchover(s);
    expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'aborted' });
    expect(lines.filter((l) => l.type === 'step-finished')).toEqual([
      expect.objectContaining({ step: 'check promote validator2', ok: true }),
      expect.objectContaining({
        step: 'pre_failover hook (to validator2)',
        ok: false,
        detail: 'pre_failover exited with 9: change freeze in force',
      }),
    ]);

    await expectV1VotedThrough(s, before);
    expect((await s.manager.status()).active).toBe('validator1');
  });

  it('runs pre_failover before the demotion and post_failover once v2 votes; a failing post_failover is reported and undoes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manager-hooks-e2e-'));
    dirs.push(dir);
    const envFile = join(dir, 'post_failover.env');
    const s = await startWithManagerHooks({
      pre_failover: { command: 'exit 0' },
      post_failover: { command: `env | grep ^FAILOVER_ | sort > ${envFile}; echo "dns update failed" >&2; exit 1` },
    });
    const [, v2] = s.cluster.validators;
    const lines = await switchover(s);
    expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'completed' });
    const steps = lines.filter((l) => l.type === 'step-finished').map((l) => l.step);
    expect(steps.indexOf('pre_failover hook (to validator2)')).toBe(steps.indexOf('demote validator1') - 1);
    expect(steps.at(-1)).toBe('post_failover hook (to validator2)');

    const complete = await s.manager.log.waitFor((line) => line.event === 'failover-complete', 10_000);
    expect(complete?.fields['warnings']).toEqual([
      'post_failover hook (to validator2): post_failover exited with 1: dns update failed',
    ]);
    const env = (await readFile(envFile, 'utf8')).trim().split('\n');
    expect(env).toEqual(
      expect.arrayContaining([
        'FAILOVER_HOOK=post_failover',
        'FAILOVER_PLAN=switchover',
        'FAILOVER_FROM=validator1',
        'FAILOVER_TO=validator2',
        'FAILOVER_REASON=planned switchover: planned switchover',
      ]),
    );
    // The agents' node names, learned from their signed answers: distinct, and never empty.
    const names = env.filter((line) => /^FAILOVER_(FROM|TO)_NAME=/.test(line)).map((line) => line.split('=')[1]);
    expect(names).toHaveLength(2);
    expect(names.every((name) => name !== '')).toBe(true);
    expect(names[0]).not.toBe(names[1]);
    await s.cluster.waitFor(
      'v2 to vote with the staked identity',
      async () => (await v2!.status()).voting || undefined,
      {
        timeoutMs: 15_000,
      },
    );
    expect((await s.manager.status()).active).toBe('validator2');
    expect(await s.cluster.judge.violations()).toEqual([]);
  });
});
