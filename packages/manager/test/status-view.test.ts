import { createManagerState } from '@failover/core';
import type {
  AlpenglowGenesis,
  BlockCause,
  ConsensusView,
  HealthReason,
  ManagerState,
  NodeObservation,
  Observation,
} from '@failover/core';
import { renderStatusTable, toControlStatus } from '../src/status-view';

const ENDPOINTS = { validator1: 'http://10.0.0.1:8080', validator2: 'http://10.0.0.2:8080' };
const LAGGING: HealthReason = { kind: 'lagging', slotsBehind: 300, threshold: 100 };

function heldBy(hold: BlockCause): ManagerState {
  const state = createManagerState({ stakedIdentityPubkey: 'Stake11111111111111111111111111111111111111' }, 0);
  return {
    ...state,
    active: 'validator1',
    hold,
    nodes: {
      ...state.nodes,
      validator2: {
        ...state.nodes.validator2,
        reachable: true,
        misses: 2,
        health: { healthy: false, reasons: [LAGGING], notes: [] },
      },
    },
  };
}

describe('the status view', () => {
  it('words health reasons and what holds a failover back as the notifications do', () => {
    const state = heldBy({ kind: 'passive-unhealthy', node: 'validator2', reasons: [LAGGING] });
    const status = toControlStatus({ state, observation: null }, ENDPOINTS, false, 0);
    expect(status.hold).toBe('the passive validator2 is unhealthy: 300 slots behind (threshold 100)');
    expect(status.nodes[1]?.reasons).toEqual(['300 slots behind (threshold 100)']);
    const table = renderStatusTable(status);
    expect(table).toContain('held back: the passive validator2 is unhealthy: 300 slots behind (threshold 100)');
    expect(table).toMatch(/validator2\s+unknown\s+-\s+-\s+-\s+300 slots behind \(threshold 100\) \(2 misses\)/);
  });

  it('says a passive is not yet assessed rather than listing no reasons', () => {
    const status = toControlStatus(
      { state: heldBy({ kind: 'passive-unhealthy', node: 'validator2', reasons: [] }), observation: null },
      ENDPOINTS,
      false,
      0,
    );
    expect(status.hold).toBe('the passive validator2 is unhealthy: not yet assessed');
  });
});

describe('the status view of the consensus phase', () => {
  const passive = (alpenglowGenesis: AlpenglowGenesis | null): NodeObservation => ({
    reachable: true,
    latencyMs: 3,
    status: {
      processRunning: true,
      processUptimeSec: 10,
      processHealthy: true,
      validatorSlot: 1000,
      networkSlot: 0,
      slotDiff: 0,
      rpcHealthy: true,
      isActive: false,
      lastTowerBackup: null,
      alpenglowGenesis,
      timestamp: 0,
    },
  });
  const observation = (consensus: ConsensusView, v2: NodeObservation): Observation => ({
    at: 0,
    nodes: { validator1: { reachable: false, reason: 'timeout', detail: 'no answer' }, validator2: v2 },
    clusterSlot: null,
    vote: null,
    gossip: null,
    consensus,
  });
  const alpenglow: ConsensusView = {
    phase: 'alpenglow',
    detail: 'Alpenglow genesis certificate seen for slot 7000',
    genesis: { slot: 7000, blockId: 'Block1' },
    finalization: null,
    standstill: null,
    observedAt: 0,
  };

  it('shows the phase, and a standstill as a veto whether or not a failover is wanted', () => {
    const state = heldBy({ kind: 'no-active' });
    const still = { ...alpenglow, standstill: 'the finalized slot 900 has not advanced for 12000 ms' };
    const status = toControlStatus(
      { state, observation: observation(still, passive(alpenglow.genesis)) },
      ENDPOINTS,
      false,
      0,
    );
    expect(status.consensus).toMatchObject({
      phase: 'alpenglow',
      veto: expect.stringMatching(/^Alpenglow standstill/),
    });
    const table = renderStatusTable(status);
    expect(table).toContain('consensus: alpenglow (Alpenglow genesis certificate seen for slot 7000)');
    expect(table).toContain('veto: Alpenglow standstill: the finalized slot 900 has not advanced for 12000 ms.');
  });

  it('shows a passive that has not migrated as a veto', () => {
    const status = toControlStatus(
      { state: heldBy({ kind: 'no-active' }), observation: observation(alpenglow, passive(null)) },
      ENDPOINTS,
      false,
      0,
    );
    expect(status.consensus?.veto).toMatch(/^refusing to promote validator2 under Alpenglow/);
  });

  it('says nothing of a phase the manager does not read', () => {
    expect(
      toControlStatus({ state: heldBy({ kind: 'no-active' }), observation: null }, ENDPOINTS, false, 0).consensus,
    ).toBeUndefined();
  });
});

describe('the status view of highly available managers', () => {
  it('names this manager’s standing, the leader with its term, and the followers', () => {
    const status = {
      ...toControlStatus({ state: heldBy({ kind: 'no-active' }), observation: null }, ENDPOINTS, false, 0),
      election: {
        role: 'follower' as const,
        leader: { sender: 'manager-aaaa', host: 'mgr-1', control: '127.0.0.1:8079', term: 41 },
        followers: [{ sender: 'manager-bbbb', host: 'mgr-2', control: '127.0.0.1:8079' }],
        lease_ttl_ms: 10_000,
      },
    };
    const table = renderStatusTable(status);
    expect(table).toContain('election: this manager follows (lease 10 s)');
    expect(table).toContain('leader: manager-aaaa on mgr-1, control 127.0.0.1:8079, term 41');
    expect(table).toContain('follower: manager-bbbb on mgr-2, control 127.0.0.1:8079');
  });
});
