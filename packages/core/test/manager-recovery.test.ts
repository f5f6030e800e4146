import type { NodeObservation, Observation } from '@failover/core';
import { STAKED, down, status, up } from './support/observations';
import { FAST, ManagerDriver } from './support/manager-driver';

const passive = up(status({ validatorSlot: 1200 }));
/** Both nodes passive, the cluster 201 slots past the vote account's last vote: nobody votes. */
const bothPassive = { v1: passive, v2: passive, slot: 1200 };
const lagging = up(status({ validatorSlot: 500 }));
const refusal = { kind: 'stale-tower', towerSlot: 990, lastVote: 999 } as const;

/** validator1 voted, then stepped down on its own while cut off; the cut healed before any promotion. */
function steppedDown(options = FAST): ManagerDriver {
  const d = new ManagerDriver({ ...options, stakedIdentityPubkey: STAKED });
  d.tick();
  d.tick();
  for (let i = 0; i < 3; i++) d.tick({ v1: down() });
  expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['old-active-still-voting']);
  return d;
}

describe('manager machine: nobody votes after the active stepped down on its own (F1)', () => {
  // Regression: an isolated active fenced itself, the partition healed before a promotion, and the manager held no-active forever.
  it('promotes the last holder back after 3 passive heartbeats, with no demotion, and reports why', () => {
    const d = steppedDown();
    d.tick(bothPassive);
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['old-active-still-voting', 'no-active']);
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(1);
    expect(d.failovers()[0]?.plan).toMatchObject({ kind: 'recovery', from: 'validator1', to: 'validator1' });
    expect(d.notified('failover-started')).toEqual([
      expect.objectContaining({
        from: 'validator1',
        to: 'validator1',
        reason: { kind: 'no-voter', node: 'validator1', since: 30_000, ticks: 3 },
      }),
    ]);
    d.completeAll();
    expect(d.stepsRun()).toEqual([
      'verify demotion validator2',
      'promote validator1 (via agent)',
      'verify voting validator1',
    ]);
    expect(d.notified('failover-complete')).toHaveLength(1);
    expect(d.state).toMatchObject({
      status: 'cooldown',
      active: 'validator1',
      holder: 'validator1',
      lastHolder: 'validator1',
    });
  });

  it('promotes the other node when the last holder is unhealthy', () => {
    const d = steppedDown();
    for (let i = 0; i < 3; i++) d.tick({ v1: lagging, v2: passive, slot: 1200 });
    expect(d.failovers()[0]?.plan).toMatchObject({ kind: 'recovery', from: 'validator1', to: 'validator2' });
    d.completeAll();
    expect(d.stepsRun()).toEqual([
      'verify demotion validator1',
      'promote validator2 (via agent)',
      'verify voting validator2',
    ]);
    expect(d.state).toMatchObject({ active: 'validator2', holder: 'validator2' });
  });

  it('holds, saying why, when neither node is healthy', () => {
    const d = steppedDown();
    for (let i = 0; i < 5; i++) d.tick({ v1: lagging, v2: lagging });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause)).toContainEqual(
      expect.objectContaining({ kind: 'passive-unhealthy', node: 'validator1' }),
    );
  });

  const mayHold: [string, Partial<Record<'v1' | 'v2', NodeObservation>>, Observation['gossip']][] = [
    ['a node is unreachable', { v2: down() }, null],
    ['a node is taking the identity', { v2: up(status({ role: 'activating' })) }, null],
    ['a node is giving it up', { v1: up(status({ role: 'deactivating' })) }, null],
    ['a failed promotion left a node unconfirmed', { v2: up(status({ role: 'unconfirmed' })) }, null],
    ["a passive's validator runs the staked identity", { v2: up(status({ identityPubkey: STAKED })) }, null],
    ['a Go agent reports no role', { v2: up(status({ role: undefined })) }, null],
    ['gossip still places the identity at a node', {}, { holder: 'validator1', ip: '10.0.0.1', observedAt: 0 }],
  ];
  it.each(mayHold)('never recovers while %s', (_name, nodes, gossip) => {
    const d = steppedDown();
    for (let i = 0; i < 6; i++)
      d.tick({
        ...bothPassive,
        ...nodes,
        ...(gossip === null ? {} : { gossip: { ...gossip, observedAt: d.now + 5_000 } }),
      });
    expect(d.failovers().filter((f) => f.plan.kind === 'recovery')).toHaveLength(0);
  });

  it('counts the passive heartbeats again from one in which a node may hold the identity', () => {
    const d = steppedDown();
    d.tick(bothPassive);
    d.tick(bothPassive);
    d.tick({ ...bothPassive, v2: up(status({ role: 'activating' })) });
    d.tick(bothPassive);
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(1);
  });
});

describe('manager machine: evidence a recovery needs besides two passives', () => {
  // Regression: two passive answers were enough, though the vote account still showed votes from somewhere.
  it('holds while the vote account still votes, and says another machine may vote', () => {
    const d = steppedDown();
    for (let i = 0; i < 5; i++) d.tick({ v1: passive, v2: passive, slot: 1100, lastVote: 1090 });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').at(-1)?.cause).toEqual({
      kind: 'votes-without-holder',
      lastVote: 1090,
      clusterSlot: 1100,
    });
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(1);
  });

  it('holds while the vote account cannot be read', () => {
    const d = steppedDown();
    for (let i = 0; i < 5; i++) d.tick({ ...bothPassive, lastVote: null });
    expect(d.failovers()).toHaveLength(0);
    expect(d.state.hold).toMatchObject({ kind: 'no-tower-floor', node: 'validator1' });
  });

  // Regression: a passive whose validator did not say which identity it runs counted as not holding it.
  it('does not take a node whose validator reports no identity for a passive', () => {
    const d = steppedDown();
    const { identityPubkey: _unknown, ...silent } = status({ validatorSlot: 1200 });
    for (let i = 0; i < 6; i++) d.tick({ ...bothPassive, v2: up(silent) });
    expect(d.failovers()).toHaveLength(0);
    expect(d.state.nobodyVoting).toBeNull();
  });
});

describe('manager machine: when no recovery is allowed', () => {
  // A fresh install: nobody has been activated yet; which node votes first is the operator's call.
  it('never promotes on its own when no holder was ever seen, even with --active given', () => {
    const d = new ManagerDriver({ ...FAST, initialActive: 'validator1' });
    for (let i = 0; i < 10; i++) d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-active']);
    expect(d.state.lastHolder).toBeNull();
  });

  // Regression: the switchover demoted the other node and waited for a final backup it never had; its failure rolled back by promoting the node not named.
  it('lets the operator name the node to activate in that case, and promotes no other node', () => {
    const d = new ManagerDriver(FAST);
    for (let i = 0; i < 3; i++) d.tick(bothPassive);
    d.switchover('validator2');
    expect(d.failovers()[0]?.plan).toMatchObject({ kind: 'recovery', to: 'validator2' });
    d.answer({ ok: true });
    for (let i = 0; i < 3; i++) d.answer({ ok: false, detail: 'set-identity failed' });
    while (d.state.status === 'failing-over') d.answer({ ok: true });
    expect(d.stepsRun()).toEqual([
      'verify demotion validator1',
      'promote validator2 (via agent)',
      'promote validator2 (via agent)',
      'promote validator2 (via agent)',
      'undo:demote validator2',
      'undo:verify demotion validator2',
    ]);
    expect(d.stepsRun().some((step) => step.includes('validator1') && !step.startsWith('verify demotion'))).toBe(false);
  });

  it('holds in dry run and logs what it would do, once', () => {
    const d = steppedDown({ ...FAST, dryRun: true });
    for (let i = 0; i < 6; i++) d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    expect(
      d
        .notified('blocked')
        .map((e) => e.cause)
        .at(-1),
    ).toEqual({ kind: 'dry-run', from: 'validator1', to: 'validator1' });
    expect(d.effects.filter((e) => e.kind === 'log' && e.message.startsWith('would fail over'))).toHaveLength(1);
  });

  it('waits for the end of the start-up grace period', () => {
    const d = new ManagerDriver({ ...FAST, startupGracePeriodMs: 60_000 });
    d.tick();
    for (let i = 0; i < 5; i++) d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-active', 'startup-grace']);
    for (let i = 0; i < 6; i++) d.tick(bothPassive);
    expect(d.failovers()[0]?.plan.kind).toBe('recovery');
  });

  it('waits for the end of the cooldown after the last failover, then promotes the node it gave the identity to', () => {
    const d = steppedDown();
    const later = up(status({ validatorSlot: 1200 }));
    d.tick({ v1: down(), v2: later, slot: 1200 });
    d.completeAll();
    expect(d.state).toMatchObject({ status: 'cooldown', holder: 'validator2' });
    for (let i = 0; i < 5; i++) d.tick({ v1: later, v2: later, slot: 1200 });
    expect(d.failovers()).toHaveLength(1);
    expect(
      d
        .notified('blocked')
        .map((e) => e.cause.kind)
        .at(-1),
    ).toBe('cooldown');
    for (let i = 0; i < 8; i++) d.tick({ v1: later, v2: later, slot: 1200 });
    expect(d.failovers().at(-1)?.plan).toMatchObject({ kind: 'recovery', from: 'validator2', to: 'validator2' });
  });
});

describe('manager machine: the end of a recovery', () => {
  function recovering(): ManagerDriver {
    const d = steppedDown();
    for (let i = 0; i < 3; i++) d.tick(bothPassive);
    d.answer({ ok: true });
    expect(d.runningStep()?.step.action).toEqual({ kind: 'promote', node: 'validator1', via: 'agent' });
    return d;
  }

  it('holds a stale-tower refusal, changes nothing, and retries quietly every heartbeat', () => {
    const d = recovering();
    d.now += 1_000;
    d.apply({
      type: 'step-result',
      token: d.runningStep()!.token,
      result: { ok: false, detail: 'FAILOVER_TOWER_STALE' },
      at: d.now,
      refusal,
    });
    expect(d.state).toMatchObject({ status: 'monitoring', hold: { kind: 'stale-tower', node: 'validator1' } });
    expect(d.notified('failover-failed')).toEqual([]);
    d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(2);
    expect(d.notified('failover-started')).toHaveLength(1);
  });

  it('takes a failed promotion off the node again and reports an abort: nobody holds the identity, as before', () => {
    const d = recovering();
    for (let i = 0; i < 3; i++) d.answer({ ok: false, detail: 'set-identity failed' });
    d.completeAll();
    expect(d.stepsRun().slice(-2)).toEqual(['undo:demote validator1', 'undo:verify demotion validator1']);
    expect(d.notified('failover-failed')).toEqual([
      expect.objectContaining({ outcome: 'aborted', failedStep: 'promote validator1 (via agent)' }),
    ]);
    expect(d.notified('rolled-back')).toEqual([]);
    expect(d.state).toMatchObject({ status: 'cooldown', holder: null, lastHolder: 'validator1' });
  });
});
