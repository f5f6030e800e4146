import type { Observation, RoleResolution, VoteProof } from '@failover/core';
import { DEFAULT_VOTE_PROOF_RULES, isChangingRole, proveStoppedVoting, resolveRoles } from '@failover/core';
import { STAKED, activeStatus, down, observe, status, up } from './support/observations';

function roles(observation: Observation, lastKnownActive: 'validator1' | 'validator2' | null = null): RoleResolution {
  return resolveRoles({ observation, lastKnownActive, stakedIdentityPubkey: STAKED, gossipMaxAgeMs: 60_000 });
}

describe('resolveRoles', () => {
  const cases: [string, Observation, RoleResolution][] = [
    [
      'the node claiming active is active',
      observe({ at: 0 }),
      { kind: 'resolved', active: 'validator1', passive: 'validator2' },
    ],
    [
      'a node answering getIdentity with the staked key holds it, whatever its agent says',
      observe({ at: 0, v1: up(status()), v2: up(status({ identityPubkey: STAKED })) }),
      { kind: 'resolved', active: 'validator2', passive: 'validator1' },
    ],
    [
      'a node in the middle of a role change may hold it',
      observe({ at: 0, v1: up(status()), v2: up(status({ role: 'deactivating' })) }),
      { kind: 'resolved', active: 'validator2', passive: 'validator1' },
    ],
    [
      'a node whose promotion failed unconfirmed may hold it, even without is_active',
      observe({ at: 0, v1: up(status()), v2: up(status({ isActive: false, role: 'unconfirmed' })) }),
      { kind: 'resolved', active: 'validator2', passive: 'validator1' },
    ],
    [
      'two claims are a conflict',
      observe({ at: 0, v2: up(activeStatus()) }),
      { kind: 'conflict', cause: { kind: 'both-active' } },
    ],
    [
      'two reachable passives mean nobody votes',
      observe({ at: 0, v1: up(status()) }),
      { kind: 'conflict', cause: { kind: 'no-active' } },
    ],
    [
      'an unreachable node beside a passive one is the active by elimination',
      observe({ at: 0, v1: down() }),
      { kind: 'resolved', active: 'validator1', passive: 'validator2' },
    ],
    [
      'gossip placing the identity on a third machine is a conflict',
      observe({ at: 0, gossip: { holder: null, ip: '10.9.9.9', observedAt: 0 } }),
      { kind: 'conflict', cause: { kind: 'identity-elsewhere', ip: '10.9.9.9' } },
    ],
    [
      'an old gossip reading is ignored',
      observe({ at: 120_000, gossip: { holder: null, ip: '10.9.9.9', observedAt: 0 } }),
      { kind: 'resolved', active: 'validator1', passive: 'validator2' },
    ],
    ['both unreachable and nothing known is unknown', observe({ at: 0, v1: down(), v2: down() }), { kind: 'unknown' }],
  ];
  it.each(cases)('%s', (_name, observation, expected) => {
    expect(roles(observation)).toEqual(expected);
  });

  it('falls back to the last known active when both are unreachable', () => {
    expect(roles(observe({ at: 0, v1: down(), v2: down() }), 'validator2')).toEqual({
      kind: 'resolved',
      active: 'validator2',
      passive: 'validator1',
    });
  });
});

describe('isChangingRole', () => {
  // A node mid-change is no news about the holder until its validator runs the staked identity.
  it.each([
    ['activating, validator still unstaked', status({ role: 'activating' }), true],
    ['deactivating, validator already unstaked', status({ role: 'deactivating' }), true],
    ['activating, validator already staked', status({ role: 'activating', identityPubkey: STAKED }), false],
    ['deactivating, validator still staked', status({ role: 'deactivating', identityPubkey: STAKED }), false],
    ['active', activeStatus(), false],
    ['passive', status(), false],
    ['unconfirmed', status({ role: 'unconfirmed' }), false],
  ])('%s', (_name, nodeStatus, changing) => {
    expect(isChangingRole(nodeStatus, STAKED)).toBe(changing);
  });
});

describe('proveStoppedVoting', () => {
  const rules = DEFAULT_VOTE_PROOF_RULES;
  const at = 100_000;
  function proof(o: Partial<Observation>): VoteProof {
    return proveStoppedVoting({ ...observe({ at, v1: down() }), ...o }, 'validator1', rules);
  }
  const vote = (lastVote: number, observedAt = at): Observation['vote'] => ({
    lastVote,
    delinquent: false,
    observedAt,
  });
  const slot = (s: number, observedAt = at): Observation['clusterSlot'] => ({ slot: s, observedAt });

  const cases: [string, Partial<Observation>, VoteProof['proven'], string | null][] = [
    ['a vote 150 slots behind a fresh cluster slot is proof', { vote: vote(850), clusterSlot: slot(1000) }, true, null],
    [
      'a vote 149 slots behind is not: the node may still vote',
      { vote: vote(851), clusterSlot: slot(1000) },
      false,
      'old-active-still-voting',
    ],
    ['no vote account reading is no proof', { vote: null, clusterSlot: slot(1000) }, false, 'no-vote-proof'],
    ['no cluster slot is no proof', { vote: vote(0), clusterSlot: null }, false, 'no-vote-proof'],
    [
      'an old vote reading is no proof',
      { vote: vote(0, at - 16_000), clusterSlot: slot(1000, at - 16_000) },
      false,
      'no-vote-proof',
    ],
    [
      'a cluster slot read long after the vote account is no proof',
      { vote: vote(0, at - 10_000), clusterSlot: slot(1000) },
      false,
      'no-vote-proof',
    ],
  ];
  it.each(cases)('%s', (_name, o, proven, cause) => {
    const result = proof(o);
    expect(result.proven).toBe(proven);
    if (!result.proven) expect(result.cause.kind).toBe(cause);
  });
});
