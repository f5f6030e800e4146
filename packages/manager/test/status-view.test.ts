import { createManagerState } from '@failover/core';
import type { BlockCause, HealthReason, ManagerState } from '@failover/core';
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
