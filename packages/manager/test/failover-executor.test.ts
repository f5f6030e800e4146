import {
  createTower,
  DEFAULT_CONSENSUS_RULES,
  encodeTower,
  generateKeypair,
  initialConsensusView,
  recordVote,
  type Keypair,
} from '@failover/core';
import type { ConsensusPhase, NodeObservation, NodeStatus, Observation } from '@failover/core';
import type { Clock } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import { systemClock } from '@failover/protocol';
import type { EvidenceReader } from '../src/cluster-evidence';
import { executeAction, type ExecutorContext, type FailoverCall, type RunMemory } from '../src/failover-executor';

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

/** Both nodes answered by `agent`, with a vote account whose every reading gives the tower floor `floor`. */
function promotionContext(
  agent: ExecutorContext['agents']['validator1'],
  clock: Clock,
  floor: number,
  observation: Observation | null,
): ExecutorContext {
  return {
    agents: { validator1: agent, validator2: agent },
    evidence: { endpoints: 1, read: async () => ({ clusterSlot: null, vote: null, floor, shortfall: null }) },
    clock,
    gossip: undefined,
    stakedIdentityPubkey: STAKED,
    voteAccountPubkey: 'Vote111111111111111111111111111111111111111',
    voteProof: {} as ExecutorContext['voteProof'],
    lastObservation: () => observation,
    pusher: undefined,
    pushTargets: undefined,
  };
}

describe('the floors of a promotion, by consensus phase', () => {
  const LAST_VOTE = 5_000;
  const withHistory: NodeStatus = {
    ...status(false),
    voteHistory: { newestSlot: 5_007, sha256: 'a'.repeat(64), backedUpAt: 0 },
  };

  /** Runs `promote` of validator2 (its `become_active`) and returns the request it sent. */
  async function promotionRequest(phase: ConsensusPhase | null, history: boolean): Promise<FailoverCall> {
    const clock = new SimulatedClock(0);
    const sent: FailoverCall[] = [];
    const agent = {
      status: async (): Promise<NodeObservation> => ({ reachable: true, status: status(true), latencyMs: 1 }),
      failover: async (request: FailoverCall) => {
        sent.push(request);
        return { ok: true as const, success: true, message: '', dryRun: false };
      },
    };
    const observation: Observation = {
      at: 0,
      nodes: {
        validator1: { reachable: true, status: history ? withHistory : status(false), latencyMs: 1 },
        validator2: { reachable: true, status: status(false), latencyMs: 1 },
      },
      clusterSlot: null,
      vote: null,
      gossip: null,
      ...(phase === null ? {} : { consensus: { ...initialConsensusView(DEFAULT_CONSENSUS_RULES), phase } }),
    };
    const ctx = promotionContext(agent, clock, LAST_VOTE, observation);
    const memory: RunMemory = { reason: 'test', demotedAt: {} };
    await executeAction(ctx, memory, { kind: 'promote', node: 'validator2', via: 'agent' }, 5_000);
    return sent[0]!;
  }

  it.each<[string, ConsensusPhase | null, boolean, Pick<FailoverCall, 'minTowerSlot' | 'minVoteHistorySlot'>]>([
    ['no phase read (a TowerBFT cluster)', null, false, { minTowerSlot: LAST_VOTE }],
    ['tower', 'tower', false, { minTowerSlot: LAST_VOTE }],
    [
      'alpenglow: the vote history alone, the tower stopped at the switch',
      'alpenglow',
      true,
      { minVoteHistorySlot: LAST_VOTE },
    ],
    ['migrating, no vote history reported', 'migrating', false, { minTowerSlot: LAST_VOTE }],
    [
      'migrating, a vote history reported',
      'migrating',
      true,
      { minTowerSlot: LAST_VOTE, minVoteHistorySlot: LAST_VOTE },
    ],
    ['unknown, a vote history reported', 'unknown', true, { minTowerSlot: LAST_VOTE, minVoteHistorySlot: LAST_VOTE }],
  ])('%s', async (_name, phase, history, floors) => {
    const request = await promotionRequest(phase, history);
    expect(request).toEqual({ action: 'become_active', reason: 'test', skipIdentity: false, ...floors });
  });
});

describe("the demoted node's final tower, carried to the promotions of the run", () => {
  const FINAL = { tower: 'dG93ZXI=', vote_history: 'aGlzdG9yeQ==' };

  /** Runs `demote` of validator1 (answering `finalTower` when given), then each of `then`; returns every request sent. */
  async function run(
    finalTower: typeof FINAL | undefined,
    then: Parameters<typeof executeAction>[2][],
  ): Promise<FailoverCall[]> {
    const sent: FailoverCall[] = [];
    const agent = {
      status: async (): Promise<NodeObservation> => ({ reachable: true, status: status(true), latencyMs: 1 }),
      failover: async (request: FailoverCall) => {
        sent.push(request);
        const answered = request.action === 'become_passive' && finalTower !== undefined ? { finalTower } : {};
        return { ok: true as const, success: true, message: '', dryRun: false, ...answered };
      },
    };
    const ctx = promotionContext(agent, new SimulatedClock(0), 5_000, null);
    const memory: RunMemory = { reason: 'test', demotedAt: {} };
    for (const action of [{ kind: 'demote' as const, node: 'validator1' as const }, ...then]) {
      await executeAction(ctx, memory, action, 5_000);
    }
    return sent;
  }

  it('sends it with the promotion, the secure-mode restore and the rollback onto the old active', async () => {
    const sent = await run(FINAL, [
      { kind: 'promote', node: 'validator2', via: 'agent' },
      { kind: 'restore-tower', node: 'validator2' },
      { kind: 'promote', node: 'validator1', via: 'agent' },
    ]);
    const carried = { ...FINAL, from: 'validator1' };
    expect(sent.map((r) => [r.action, r.carriedTower])).toEqual([
      ['become_passive', undefined],
      ['become_active', carried],
      ['become_active', carried],
      ['become_active', carried],
    ]);
  });

  it('sends none when the demotion answered none (an older agent, or a store that refused its final backup)', async () => {
    const sent = await run(undefined, [{ kind: 'promote', node: 'validator2', via: 'agent' }]);
    expect(sent[1]).not.toHaveProperty('carriedTower');
  });
});

describe('the final tower backup step, when the store lacks the last votes', () => {
  const holder = generateKeypair();
  const other = generateKeypair();
  const LANDED = 5_000;
  const towerOf = (keypair: Keypair, lastSlot: number): string => {
    let tower = createTower(keypair.pubkey);
    for (let slot = lastSlot - 3; slot <= lastSlot; slot++) tower = recordVote(tower, slot, 1_700_000_000 + slot);
    return Buffer.from(encodeTower(tower, keypair)).toString('base64');
  };

  /** `final-tower-backup` of validator1, whose store backup ends at 4 990, after a demotion that carried `carried`. */
  async function finalBackupStep(carried: RunMemory['carriedTower']): Promise<boolean> {
    const backedUp: NodeStatus = {
      ...status(false),
      identityPubkey: 'Other1111111111111111111111111111111111111',
      tower: { lastVoteSlot: 4_990, sha256: 'a'.repeat(64), backedUpAt: 0 },
      error: 'tower backup to etcd failed (unavailable)',
    };
    const agent = {
      status: async (): Promise<NodeObservation> => ({ reachable: true, status: backedUp, latencyMs: 1 }),
      failover: async () => ({ ok: true as const, success: true, message: '', dryRun: false }),
    };
    // A real clock: the step polls until its 300 ms limit when nothing passes it.
    const ctx = {
      ...promotionContext(agent, systemClock, LANDED, null),
      stakedIdentityPubkey: holder.pubkey,
    };
    const memory: RunMemory = { reason: 'test', demotedAt: {}, ...(carried ? { carriedTower: carried } : {}) };
    return (await executeAction(ctx, memory, { kind: 'final-tower-backup', node: 'validator1' }, 300)).ok;
  }

  it.each<[string, RunMemory['carriedTower'], boolean]>([
    ['nothing carried: held', undefined, false],
    [
      'the tower its demotion kept reaches the landed vote: passed',
      { tower: towerOf(holder, LANDED), from: 'validator1' },
      true,
    ],
    ['it ends before the landed vote: held', { tower: towerOf(holder, LANDED - 1), from: 'validator1' }, false],
    ["it is another identity's: held", { tower: towerOf(other, LANDED + 10), from: 'validator1' }, false],
    ['it came from the other node: held', { tower: towerOf(holder, LANDED), from: 'validator2' }, false],
  ])('%s', async (_case, carried, passed) => {
    expect(await finalBackupStep(carried)).toBe(passed);
  });
});
