import type { AlpenglowGenesis, ConsensusView, NodeObservation } from '@failover/core';
import {
  alpenglowGenesisOf,
  newVoteMark,
  promotionFloors,
  proveStoppedVoting,
  reportedVoteHistorySlot,
  DEFAULT_VOTE_PROOF_RULES,
} from '@failover/core';
import { activeStatus, down, observe, status, up } from './support/observations';
import { FAST, ManagerDriver } from './support/manager-driver';

const GENESIS = alpenglowGenesisOf(
  7000,
  Array.from({ length: 32 }, () => 7),
);
const OTHER_GENESIS = alpenglowGenesisOf(
  7000,
  Array.from({ length: 32 }, () => 9),
);

function view(phase: ConsensusView['phase'], standstill: string | null = null): ConsensusView {
  return {
    phase,
    detail: `phase ${phase}`,
    genesis: phase === 'alpenglow' ? GENESIS : null,
    finalization: null,
    standstill,
    observedAt: 0,
  };
}

const migrated = (genesis: AlpenglowGenesis | null = GENESIS): NodeObservation =>
  up(status({ validatorSlot: 1200, alpenglowGenesis: genesis }));
const crashed: NodeObservation = up(
  activeStatus({ processRunning: false, processHealthy: false, rpcHealthy: false, processUptimeSec: 0 }),
);
/** The old active unreachable, its vote account 201 slots behind the processed slot. */
const silent = { v1: down(), slot: 1200, lastVote: 999 };

function started(consensus: ConsensusView): ManagerDriver {
  const d = new ManagerDriver(FAST);
  d.tick({ consensus, v2: migrated() });
  d.tick({ consensus, v2: migrated() });
  return d;
}

function blocked(d: ManagerDriver): string[] {
  return d.notified('blocked').map((e) => e.cause.kind);
}

describe('vote evidence under TowerBFT', () => {
  it('is unchanged: a stale vote account proves an unreachable active stopped', () => {
    const d = started(view('tower'));
    for (let i = 0; i < 4; i++) d.tick({ ...silent, consensus: view('tower'), v2: migrated(null) });
    expect(d.failovers()).toHaveLength(1);
  });
});

describe('vote evidence while migrating', () => {
  it.each(['migrating', 'unknown'] as const)('proves nothing when the phase is %s', (phase) => {
    const d = started(view(phase));
    for (let i = 0; i < 6; i++) d.tick({ ...silent, consensus: view(phase), v2: migrated() });
    expect(d.failovers()).toHaveLength(0);
    expect(blocked(d)).toEqual(['migrating']);
    expect(d.notified('blocked')[0]?.cause).toMatchObject({ phase });
  });

  it('still fails over from a reachable active that is demoted first', () => {
    const d = started(view('migrating'));
    for (let i = 0; i < 3; i++) d.tick({ v1: crashed, consensus: view('migrating'), v2: migrated(null) });
    expect(d.failovers()).toHaveLength(1);
    expect(d.failovers()[0]?.plan).toMatchObject({ fromReachable: true });
  });
});

describe('vote evidence under Alpenglow', () => {
  it('proves a stop with processed slot − lastVote above the threshold while the cluster finalizes', () => {
    const d = started(view('alpenglow'));
    for (let i = 0; i < 4; i++) d.tick({ ...silent, consensus: view('alpenglow'), v2: migrated() });
    expect(d.failovers()).toHaveLength(1);
    expect(d.stepsRun()).toEqual(['prove stopped voting validator1']);
  });

  it('holds while the vote account is within the threshold', () => {
    const d = started(view('alpenglow'));
    for (let i = 0; i < 4; i++)
      d.tick({ v1: down(), slot: 1200, lastVote: 1192, consensus: view('alpenglow'), v2: migrated() });
    expect(d.failovers()).toHaveLength(0);
    expect(blocked(d)).toEqual(['old-active-still-voting']);
  });

  it('vetoes any failover during a standstill, reachable active or not, and says why', () => {
    const still = view('alpenglow', 'the finalized slot 900 has not advanced for 12000 ms');
    const d = started(still);
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, consensus: still, v2: migrated() });
    for (let i = 0; i < 4; i++) d.tick({ ...silent, consensus: still, v2: migrated() });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      { kind: 'standstill', detail: 'the finalized slot 900 has not advanced for 12000 ms' },
    ]);
  });

  it('vetoes any failover while the vote account is excluded from voting (VAT)', () => {
    const d = started(view('alpenglow'));
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, excluded: true, consensus: view('alpenglow'), v2: migrated() });
    for (let i = 0; i < 4; i++) d.tick({ ...silent, excluded: true, consensus: view('alpenglow'), v2: migrated() });
    expect(d.failovers()).toHaveLength(0);
    expect(blocked(d)).toEqual(['vote-account-excluded']);
  });

  const ineligible: [string, NodeObservation, RegExp][] = [
    ['has not migrated', migrated(null), /has not migrated/],
    ['is on another Alpenglow genesis', migrated(OTHER_GENESIS), /another Alpenglow genesis/],
    ['does not report its genesis', up(status({ validatorSlot: 1200 })), /does not report/],
  ];
  it.each(ineligible)('never promotes a passive that %s', (_name, v2, detail) => {
    const d = started(view('alpenglow'));
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, consensus: view('alpenglow'), v2 });
    expect(d.failovers()).toHaveLength(0);
    expect(blocked(d)).toEqual(['local-not-migrated']);
    expect(d.notified('blocked')[0]?.cause).toMatchObject({
      node: 'validator2',
      detail: expect.stringMatching(detail),
    });
  });

  it('refuses a switchover to a node that has not migrated', () => {
    const d = started(view('alpenglow'));
    d.tick({ consensus: view('alpenglow'), v2: migrated(null) });
    const answers = d.switchover().filter((e) => e.kind === 'switchover-answer');
    expect(answers).toMatchObject([{ answer: { accepted: false, refusal: { kind: 'local-not-migrated' } } }]);
  });
});

describe('proveStoppedVoting', () => {
  it('names the veto as the cause of no proof', () => {
    const observation = { ...observe({ at: 100, ...silent }), consensus: view('migrating') };
    expect(proveStoppedVoting(observation, 'validator1', DEFAULT_VOTE_PROOF_RULES)).toMatchObject({
      proven: false,
      cause: { kind: 'migrating', phase: 'migrating' },
    });
  });
});

describe('the floors and the voting mark of a promotion', () => {
  const history = (newestSlot: number): NodeObservation =>
    up(activeStatus({ voteHistory: { newestSlot, sha256: 'a'.repeat(64), backedUpAt: 0 } }));

  it('raises the mark to the newest vote history backed up under Alpenglow, where lastVote trails the votes', () => {
    const observation = observe({ at: 0, consensus: view('alpenglow'), v1: history(1007) });
    expect(newVoteMark(observation, 999)).toBe(1007);
    expect(newVoteMark(observation, 1010)).toBe(1010);
  });

  it('keeps lastVote as the mark under TowerBFT, whatever vote history an agent reports', () => {
    expect(newVoteMark(observe({ at: 0, consensus: view('tower'), v1: history(1007) }), 999)).toBe(999);
    expect(newVoteMark(null, 999)).toBe(999);
  });

  it('reads no vote history from a node that did not answer', () => {
    const observation = observe({ at: 0, consensus: view('migrating'), v1: down() });
    expect(reportedVoteHistorySlot(observation)).toBeNull();
    expect(promotionFloors(observation, 999)).toEqual({ minTowerSlot: 999 });
  });

  it('asks both floors while migrating once a vote history is reported, the vote history alone under Alpenglow', () => {
    expect(promotionFloors(observe({ at: 0, consensus: view('migrating'), v1: history(1007) }), 999)).toEqual({
      minTowerSlot: 999,
      minVoteHistorySlot: 999,
    });
    expect(promotionFloors(observe({ at: 0, consensus: view('alpenglow'), v1: history(1007) }), 999)).toEqual({
      minVoteHistorySlot: 999,
    });
    expect(promotionFloors(null, 999)).toEqual({ minTowerSlot: 999 });
  });
});
