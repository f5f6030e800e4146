import type { NodeObservation, NodeStatus } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { EvidenceReader } from '../src/cluster-evidence';
import { executeAction, type ExecutorContext, type RunMemory } from '../src/failover-executor';

const STAKED = 'Stake11111111111111111111111111111111111111';

const status = (holds: boolean): NodeStatus => ({
  processRunning: true,
  processUptimeSec: 60,
  processHealthy: true,
  validatorSlot: 100,
  networkSlot: 100,
  slotDiff: 0,
  rpcHealthy: true,
  isActive: holds,
  lastTowerBackup: null,
  identityPubkey: holds ? STAKED : 'Other1111111111111111111111111111111111111',
  role: holds ? 'active' : 'passive',
  timestamp: 0,
});

/** Runs `verify-demotion` of validator1 while its agent keeps the identity until `releasedAt`; returns when /status was asked. */
async function verifyDemotionPolls(
  releasedAt: number,
  options: Pick<ExecutorContext, 'pollMs' | 'firstPollMs'>,
): Promise<{ ok: boolean; polledAt: number[] }> {
  const clock = new SimulatedClock(0);
  const polledAt: number[] = [];
  const agent = {
    status: async (): Promise<NodeObservation> => {
      polledAt.push(clock.now());
      return { reachable: true, status: status(clock.now() < releasedAt), latencyMs: 1 };
    },
    failover: async () => ({ ok: true as const, success: true, message: '', dryRun: false }),
  };
  const ctx: ExecutorContext = {
    agents: { validator1: agent, validator2: agent },
    evidence: {} as EvidenceReader,
    clock,
    gossip: undefined,
    stakedIdentityPubkey: STAKED,
    voteAccountPubkey: undefined,
    voteProof: {} as ExecutorContext['voteProof'],
    lastObservation: () => null,
    pusher: undefined,
    pushTargets: undefined,
    ...options,
  };
  const memory: RunMemory = { reason: 'test', demotedAt: {} };
  const running = executeAction(ctx, memory, { kind: 'verify-demotion', node: 'validator1' }, 5_000);
  let settled = false;
  void running.then(() => (settled = true));
  while (!settled) {
    for (let i = 0; i < 10; i++) await Promise.resolve();
    if (!settled) clock.advance(1);
  }
  return { ok: (await running).ok, polledAt };
}

describe('verify steps of the failover executor', () => {
  it.each([
    ['is seen at the first quick poll', 30, { pollMs: 250, firstPollMs: 50 }, [0, 50]],
    ['is seen within a few quick polls that double', 300, { pollMs: 250, firstPollMs: 50 }, [0, 50, 150, 350]],
    [
      'is polled at pollMs once the doubling reaches it',
      700,
      { pollMs: 250, firstPollMs: 50 },
      [0, 50, 150, 350, 600, 850],
    ],
    ['uses the defaults (50 ms first, 250 ms steady)', 700, {}, [0, 50, 150, 350, 600, 850]],
    ['never waits longer than pollMs when it is below the first wait', 50, { pollMs: 20 }, [0, 20, 40, 60]],
  ] as const)('a demotion that lands after the answer %s', async (_name, releasedAt, options, expected) => {
    const result = await verifyDemotionPolls(releasedAt, options);
    expect(result).toEqual({ ok: true, polledAt: expected });
  });
});
