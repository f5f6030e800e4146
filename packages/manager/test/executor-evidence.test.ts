import type { FailoverAction } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { ClusterRpc } from '@failover/protocol';
import { createEvidenceReader } from '../src/cluster-evidence';
import { executeAction, type ExecutedStep, type ExecutorContext } from '../src/failover-executor';
import type { GossipReader } from '../src/gossip-source';
import { createFakeWorld, SLOT_MS, STAKED, VOTE, type FakeWorld } from './support/fake-world';

interface Setup {
  readonly clock: SimulatedClock;
  readonly world: FakeWorld;
  readonly ctx: ExecutorContext;
}

function setup(overrides: Partial<ExecutorContext> = {}): Setup {
  const clock = new SimulatedClock(1_000_000 * SLOT_MS);
  const world = createFakeWorld(clock);
  const ctx: ExecutorContext = {
    agents: world.agents,
    evidence: createEvidenceReader({ witnesses: [world.rpc], voteAccountPubkey: VOTE, clock }),
    clock,
    gossip: undefined,
    stakedIdentityPubkey: STAKED,
    voteAccountPubkey: VOTE,
    voteProof: { staleVoteSlotThreshold: 150, maxAgeMs: 15_000, maxSkewMs: 2_000 },
    lastObservation: () => null,
    pusher: undefined,
    pushTargets: undefined,
    pollMs: 100,
    floorRetryMs: 500,
    ...overrides,
  };
  return { clock, world, ctx };
}

/** Runs one action to its end, moving the simulated world on while it waits. */
async function run({ world, ctx }: Setup, action: FailoverAction, timeoutMs = 10_000): Promise<ExecutedStep> {
  let result: ExecutedStep | undefined;
  const running = executeAction(ctx, { reason: 'test', demotedAt: {} }, action, timeoutMs).then((r) => (result = r));
  for (let i = 0; i < 10_000 && result === undefined; i += 1) {
    for (let j = 0; j < 10; j += 1) await Promise.resolve();
    if (result === undefined) world.advance(50);
  }
  await running;
  if (result === undefined) throw new Error('the action never ended');
  return result;
}

describe('the tower floor of a promotion (S2)', () => {
  it('sends the vote account lastVote as min_tower_slot', async () => {
    const s = setup();
    s.world.nodes.validator1.active = false;
    expect(await run(s, { kind: 'promote', node: 'validator2', via: 'agent' })).toEqual({ ok: true });
    expect(s.world.nodes.validator2.calls).toEqual([
      expect.objectContaining({ action: 'become_active', minTowerSlot: expect.any(Number) }),
    ]);
  });

  // Regression: a getVoteAccounts failure at the moment of the promotion sent become_active with no floor at all.
  it.each([
    ['promote', { kind: 'promote', node: 'validator2', via: 'agent' }],
    ['restore-tower', { kind: 'restore-tower', node: 'validator2' }],
  ] as const)(
    'sends no %s when the vote account cannot be read, after retrying, and says why',
    async (_name, action) => {
      const s = setup();
      s.world.clusterDown = true;
      const result = await run(s, action);
      expect(result).toMatchObject({ ok: false, refusal: { kind: 'no-tower-floor' } });
      expect(result.ok ? '' : result.detail).toMatch(
        /^no tower floor after 3 reads of the vote account: .*cluster RPC down/,
      );
      expect(s.world.nodes.validator2.calls).toEqual([]);
    },
  );

  it('refuses a promotion when only one of two configured endpoints answers', async () => {
    const s = setup();
    const down: ClusterRpc = {
      ...s.world.rpc,
      getSlotAndVoteAccount: async () => ({
        ok: false,
        reason: 'unreachable',
        message: 'getSlot+getVoteAccounts on http://b.invalid: unreachable',
        endpoint: 'http://b.invalid',
      }),
    };
    const evidence = createEvidenceReader({ witnesses: [s.world.rpc, down], voteAccountPubkey: VOTE, clock: s.clock });
    const result = await run(
      { ...s, ctx: { ...s.ctx, evidence } },
      { kind: 'promote', node: 'validator2', via: 'agent' },
    );
    expect(result).toMatchObject({ ok: false, refusal: { kind: 'no-tower-floor' } });
    expect(result.ok ? '' : result.detail).toContain('1 of 2 cluster RPC endpoints gave the slot and the vote account');
    expect(s.world.nodes.validator2.calls).toEqual([]);
  });
});

describe('what the executor takes as done', () => {
  // Regression: an agent in dry run answered success to become_passive and the demotion counted as done.
  it('does not take the success of an agent in dry run for a demotion', async () => {
    const s = setup();
    const agent = s.world.agents.validator1;
    const dryRunAgent = {
      status: () => agent.status(),
      failover: async () => ({ ok: true as const, success: true, message: 'dry run', dryRun: true }),
    };
    const ctx = { ...s.ctx, agents: { ...s.world.agents, validator1: dryRunAgent } };
    const result = await run({ ...s, ctx }, { kind: 'demote', node: 'validator1' });
    expect(result).toEqual({
      ok: false,
      detail: 'become_passive on validator1: its agent runs in dry run and changed nothing',
    });
  });

  // Regression: gossip that could not be read let a demotion count as verified.
  it('does not verify a demotion while gossip cannot be read', async () => {
    const unreadable: GossipReader = {
      source: 'getClusterNodes',
      read: async () => ({ ok: false, detail: 'getClusterNodes on http://cluster.invalid: timeout' }),
    };
    const s = setup({ gossip: unreadable });
    s.world.nodes.validator1.active = false;
    const result = await run(s, { kind: 'verify-demotion', node: 'validator1' }, 2_000);
    expect(result).toEqual({
      ok: false,
      detail:
        'gossip could not be read to confirm validator1 let go: getClusterNodes on http://cluster.invalid: timeout',
    });
  });
});
