import fc from 'fast-check';
import type { AgentEvent, AgentState, ObservedIdentity } from '@failover/core';
import {
  createAgentState,
  demoteStrayIdentitySteps,
  judgeUnstaked,
  roleChangeDeadlines,
  stepAgent,
} from '@failover/core';
import type { UnstakedEvidence } from '@failover/core';
import { AgentDriver, fail } from './support/agent-driver';

const STAKED = 'Stake11111111111111111111111111111111111111';
const UNSTAKED = 'Unstake1111111111111111111111111111111111';

/** Ticks once a second, as the app's watchdog does, up to `until`. */
function tickUntil(d: AgentDriver, until: number): void {
  for (let at = d.now + 1_000; at <= until; at += 1_000) d.tick(at);
}

describe('stray staked identity on a passive node (S3)', () => {
  // Regression: a passive node whose validator was restarted on a stale symlink voted with the staked identity unnoticed.
  it('demotes the validator at once when a settled passive finds it staked, without backing its tower up', () => {
    const d = new AgentDriver('passive');
    d.world.identity = 'staked';
    d.tick(1_000);
    expect(d.state.status).toBe('deactivating');
    d.runAll();
    expect(d.steps()).toEqual(['passive-symlink', 'remove-identity', 'confirm-unstaked', 'remove-tower-file']);
    const last = d.effects.flatMap((e) => (e.kind === 'run-step' ? [e.step.action] : [])).at(-1);
    expect(last).toEqual({ kind: 'remove-tower-file', keepAside: 'stray-identity' });
    expect(d.state.status).toBe('passive');
    expect(d.logs('error')).toEqual([
      expect.stringContaining('the validator ran the staked identity while this node was passive'),
    ]);
    expect(d.state.alert?.message).toMatch(/ran the staked identity.*now passive/);
  });

  it('checks at start-up, on the first tick, when the start role is passive', () => {
    const d = new AgentDriver('passive');
    d.world.identity = 'staked';
    d.tick(0);
    expect(d.steps()).toEqual(['passive-symlink']);
  });

  it('never fires on a node being promoted, nor on an active one', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    d.world.identity = 'staked';
    d.tick(1_000);
    d.answer({ ok: true });
    d.tick(2_000);
    d.runAll();
    expect(d.state.status).toBe('active');
    tickUntil(d, 10_000);
    expect(d.steps()).toEqual(['restore-tower', 'set-identity', 'active-symlink', 'confirm-identity']);
  });

  it('ignores an identity read that was pending when a role change started', () => {
    let state = createAgentState('passive', 0);
    const asked = stepAgent(state, { type: 'watchdog-tick', at: 0 });
    state = asked.state;
    const check = asked.effects.find((e) => e.kind === 'check-identity');
    if (check?.kind !== 'check-identity') throw new Error('no identity check');
    state = stepAgent(state, { type: 'become-active', requestId: 'r', skipIdentity: false, at: 10 }).state;
    const late = stepAgent(state, {
      type: 'identity-observed',
      token: check.token,
      identity: 'staked',
      detail: null,
      at: 20,
    });
    expect(late.state).toBe(state);
    expect(late.effects.some((e) => e.kind === 'run-step')).toBe(false);
  });

  it('demotes once per episode: a dry run that changes nothing is not demoted again until seen unstaked', () => {
    const d = new AgentDriver('passive');
    d.world.identity = 'staked';
    d.tick(1_000);
    d.runAll();
    tickUntil(d, 5_000);
    expect(d.steps().filter((s) => s === 'passive-symlink')).toHaveLength(1);
    d.world.identity = 'unstaked';
    d.tick(6_000);
    d.world.identity = 'staked';
    d.tick(7_000);
    expect(d.steps().filter((s) => s === 'passive-symlink')).toHaveLength(2);
  });

  it('claims active when the stray identity cannot be removed, so the manager sees two holders', () => {
    const d = new AgentDriver('passive');
    d.world.identity = 'staked';
    d.tick(1_000);
    d.runAll({ 'remove-identity': [fail(), fail(), fail()], 'restart-validator': [fail()] });
    expect(d.state.status).toBe('active');
  });

  it('clears the alert when the manager next asks for a role change', () => {
    const d = new AgentDriver('passive');
    d.world.identity = 'staked';
    d.tick(1_000);
    d.runAll();
    d.request('become-active');
    expect(d.state.alert).toBeNull();
  });

  it('keeps the tower out of it: the plan has no backup step', () => {
    expect(demoteStrayIdentitySteps('stray-identity').map((s) => s.action.kind)).not.toContain('final-tower-backup');
  });
});

describe('isolation self-fencing', () => {
  it('stays active while only the manager is silent and the cluster RPC answers', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    d.apply({ type: 'manager-heartbeat', at: 0 });
    tickUntil(d, 120_000);
    expect(d.state.status).toBe('active');
    expect(d.effects.filter((e) => e.kind === 'probe-reachability').length).toBeGreaterThan(10);
  });

  it('stays active while only the peer answers', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    d.world.clusterReachable = false;
    d.world.peerReachable = true;
    tickUntil(d, 120_000);
    expect(d.state.status).toBe('active');
  });

  it('steps down once manager, peer and cluster RPC have all been silent for isolation_timeout', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    d.apply({ type: 'manager-heartbeat', at: 0 });
    d.world.clusterReachable = false;
    tickUntil(d, 19_000);
    expect(d.state.status).toBe('active');
    d.tick(20_000);
    expect(d.state.status).toBe('deactivating');
    d.runAll({ 'final-tower-backup': [fail('etcd unreachable'), fail('etcd unreachable')] });
    expect(d.state.status).toBe('passive');
    expect(d.steps()).toEqual([
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'final-tower-backup',
      'final-tower-backup',
      'remove-tower-file',
    ]);
    expect(d.logs('error')[0]).toMatch(/isolated: no manager, peer or advancing cluster slot for 20s/);
  });

  // Regression: cluster_rpc pointing at the node's own RPC answered a cut-off node with its stalled slot, which counted as contact.
  it('steps down when the cluster RPC answers but its slot no longer advances', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    d.apply({ type: 'manager-heartbeat', at: 0 });
    d.world.clusterStalledAt = 5_000;
    tickUntil(d, 19_000);
    expect(d.state.status).toBe('active');
    d.tick(20_000);
    expect(d.state.status).toBe('deactivating');
  });

  it('counts a cluster slot that moves again as contact', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    d.apply({ type: 'manager-heartbeat', at: 0 });
    d.world.clusterStalledAt = 1_010;
    tickUntil(d, 10_000);
    d.world.clusterStalledAt = null;
    tickUntil(d, 120_000);
    expect(d.state.status).toBe('active');
  });

  // Regression: a demotion that failed after minutes left the node isolated at once, since no probe runs during a role change.
  it('counts silence from when the role settled, not from the last probe before a long role change', () => {
    const d = new AgentDriver('active', {
      isolationTimeoutMs: 20_000,
      deadlines: { becomePassiveMs: 200_000, becomeActiveMs: 200_000 },
    });
    d.world.clusterReachable = false;
    d.request('become-passive');
    d.tick(200_000);
    expect(d.state.status).toBe('active');
    d.tick(201_000);
    expect(d.state.status).toBe('active');
  });

  it('does not probe while the manager keeps talking', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 20_000 });
    for (let at = 0; at <= 60_000; at += 1_000) {
      d.apply({ type: 'manager-heartbeat', at });
      d.tick(at);
    }
    expect(d.effects.filter((e) => e.kind === 'probe-reachability')).toEqual([]);
    expect(d.state.status).toBe('active');
  });

  it('is off with isolation_timeout 0', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 0 });
    d.world.clusterReachable = false;
    tickUntil(d, 300_000);
    expect(d.state.status).toBe('active');
  });
});

describe('role change deadlines', () => {
  it('fit inside the manager default step limits of 11m and 12m at the default command_timeout of 60s', () => {
    const deadlines = roleChangeDeadlines({ commandMs: 60_000 });
    expect(deadlines).toEqual({ becomePassiveMs: 420_000, becomeActiveMs: 240_000 });
    // become_active's answer may also wait for its undo: 3 attempts of each of its two undo steps.
    expect(deadlines.becomeActiveMs + 6 * 60_000).toBeLessThan(12 * 60_000);
    expect(deadlines.becomePassiveMs).toBeLessThan(11 * 60_000);
  });

  // Regression: a become_passive stuck in retries outlived the manager's demote limit, so the manager gave up while the agent was still demoting.
  it('ends a demotion that outlives its deadline as failed, still claiming active', () => {
    const d = new AgentDriver('active', { deadlines: { becomePassiveMs: 10_000, becomeActiveMs: 10_000 } });
    d.request('become-passive');
    d.answer({ ok: true });
    d.tick(9_000);
    expect(d.state.status).toBe('deactivating');
    d.tick(10_000);
    expect(d.state.status).toBe('active');
    expect(d.responses()).toEqual([
      expect.objectContaining({
        result: 'failed',
        role: 'active',
        step: 'remove-identity',
        detail: expect.stringContaining('deadline of 10s passed'),
      }),
    ]);
    expect(d.apply({ type: 'step-result', token: 2, result: { ok: true }, at: 11_000 })).toEqual([
      expect.objectContaining({ kind: 'log', level: 'warn' }),
    ]);
  });

  it('undoes a promotion that outlives its deadline, the step in progress included', () => {
    const d = new AgentDriver('passive', { deadlines: { becomePassiveMs: 10_000, becomeActiveMs: 10_000 } });
    d.request('become-active');
    d.answer({ ok: true });
    d.tick(10_000);
    d.runAll();
    expect(d.steps()).toEqual(['restore-tower', 'set-identity', 'undo:remove-identity']);
    expect(d.state.status).toBe('passive');
    expect(d.responses()).toEqual([
      expect.objectContaining({ result: 'failed', role: 'passive', step: 'set-identity' }),
    ]);
  });

  it('lets an undo already running finish', () => {
    const d = new AgentDriver('passive', { deadlines: { becomePassiveMs: 10_000, becomeActiveMs: 10_000 } });
    d.request('become-active');
    d.answer({ ok: true });
    d.answer(fail());
    d.answer(fail());
    expect(d.state.status === 'activating' && d.state.transition.run.compensating).toBe(true);
    d.tick(60_000);
    d.runAll();
    expect(d.steps().at(-1)).toBe('undo:remove-identity');
    expect(d.state.status).toBe('passive');
  });
});

describe('min_tower_slot (S2)', () => {
  it('refuses before anything changed and stays passive', () => {
    const d = new AgentDriver('passive');
    d.request('become-active', 'r1', false, 5_000);
    if (d.state.status !== 'activating') throw new Error('not activating');
    expect(d.state.transition.run.current.action).toEqual({ kind: 'restore-tower', minTowerSlot: 5_000 });
    d.apply({
      type: 'step-result',
      token: d.state.transition.token,
      result: { ok: false, detail: 'stale' },
      towerStale: { minTowerSlot: 5_000, towerLastVoteSlot: 4_980 },
      at: 100,
    });
    expect(d.state.status).toBe('passive');
    expect(d.steps()).toEqual(['restore-tower']);
    expect(d.responses()).toEqual([
      {
        result: 'tower-stale',
        role: 'passive',
        minTowerSlot: 5_000,
        towerLastVoteSlot: 4_980,
        message: expect.stringMatching(/slot 4980, below min_tower_slot 5000/),
      },
    ]);
  });

  it('refuses a vote history below min_vote_history_slot the same way, naming the vote history', () => {
    const d = new AgentDriver('passive');
    d.apply({ type: 'become-active', requestId: 'r1', skipIdentity: false, minVoteHistorySlot: 5_000, at: 0 });
    if (d.state.status !== 'activating') throw new Error('not activating');
    expect(d.state.transition.run.current.action).toEqual({ kind: 'restore-tower', minVoteHistorySlot: 5_000 });
    d.apply({
      type: 'step-result',
      token: d.state.transition.token,
      result: { ok: false, detail: 'stale' },
      towerStale: { file: 'vote-history', minTowerSlot: 5_000, towerLastVoteSlot: 4_992 },
      at: 100,
    });
    expect(d.state.status).toBe('passive');
    expect(d.steps()).toEqual(['restore-tower']);
    expect(d.responses()).toEqual([
      {
        result: 'tower-stale',
        role: 'passive',
        file: 'vote-history',
        minTowerSlot: 5_000,
        towerLastVoteSlot: 4_992,
        message: expect.stringMatching(
          /vote history ends at slot 4992, below min_vote_history_slot 5000; the identity was not taken/,
        ),
      },
    ]);
  });
});

describe('judgeUnstaked', () => {
  const down = (symlinkPubkey: string | null, processRunning: boolean | null = false): UnstakedEvidence => ({
    identity: { ok: false, error: 'connection refused' },
    processRunning,
    symlinkPubkey,
  });
  const cases: [string, boolean, UnstakedEvidence][] = [
    [
      'the validator answers with an unstaked identity',
      true,
      { identity: { ok: true, pubkey: UNSTAKED }, processRunning: true, symlinkPubkey: null },
    ],
    [
      'the validator answers with the staked identity',
      false,
      { identity: { ok: true, pubkey: STAKED }, processRunning: true, symlinkPubkey: UNSTAKED },
    ],
    ['the validator is down and the symlink names an unstaked keypair', true, down(UNSTAKED)],
    ['the validator is down and the symlink names the staked keypair', false, down(STAKED)],
    ['the validator is down and the symlink cannot be read', false, down(null)],
    ['the validator runs but does not answer', false, down(UNSTAKED, true)],
    ['the process state is unknown', false, down(UNSTAKED, null)],
  ];
  it.each(cases)('when %s, confirms: %s', (_name, confirmed, evidence) => {
    expect(judgeUnstaked(evidence, STAKED).confirmed).toBe(confirmed);
  });
});

describe('guard invariants', () => {
  const eventArb = fc.oneof(
    fc.record({ type: fc.constant('become-active' as const) }),
    fc.record({ type: fc.constant('become-passive' as const) }),
    fc.record({ type: fc.constant('step-result' as const), ok: fc.boolean() }),
    fc.record({ type: fc.constant('manager-heartbeat' as const) }),
    fc.record({ type: fc.constant('watchdog-tick' as const) }),
    fc.record({
      type: fc.constant('identity-observed' as const),
      identity: fc.constantFrom<ObservedIdentity>('staked', 'unstaked', 'unknown'),
      stale: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('reachability' as const),
      peer: fc.boolean(),
      clusterSlot: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
    }),
  );

  it('starts a demotion on its own only from a settled passive (stray identity) or a settled active (watchdog, isolation)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'active' | 'passive'>('active', 'passive'),
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 8_000 })), { maxLength: 120 }),
        (role, script) => {
          let state: AgentState = createAgentState(role, 0);
          let now = 0;
          let n = 0;
          for (const [item, dt] of script) {
            now += dt;
            let event: AgentEvent;
            if (item.type === 'become-active')
              event = { type: item.type, requestId: `r${n++}`, skipIdentity: false, at: now };
            else if (item.type === 'become-passive') event = { type: item.type, requestId: `r${n++}`, at: now };
            else if (item.type === 'step-result') {
              const token =
                state.status === 'activating' || state.status === 'deactivating' ? state.transition.token : 0;
              event = {
                type: 'step-result',
                token,
                result: item.ok ? { ok: true } : { ok: false, detail: 'x' },
                at: now,
              };
            } else if (item.type === 'identity-observed') {
              event = {
                type: item.type,
                token: (state.identityQuestion ?? 0) + (item.stale ? 1 : 0),
                identity: item.identity,
                detail: null,
                at: now,
              };
            } else if (item.type === 'reachability') {
              event = {
                type: item.type,
                token: state.reachabilityProbe ?? 0,
                peer: item.peer,
                clusterSlot: item.clusterSlot,
                at: now,
              };
            } else event = { type: item.type, at: now };
            const before = state;
            state = stepAgent(state, event).state;
            const changing = state.status === 'activating' || state.status === 'deactivating' ? state.transition : null;
            const startedItself = changing !== null && changing.requestId === null && before.status !== state.status;
            if (startedItself && changing.origin === 'stray-identity') {
              expect(before.status).toBe('passive');
              expect(event.type).toBe('identity-observed');
            }
            if (startedItself && changing.origin !== 'stray-identity')
              expect(['active', 'unconfirmed']).toContain(before.status);
            if (before.status === 'activating' && event.type === 'identity-observed') expect(state).toBe(before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
