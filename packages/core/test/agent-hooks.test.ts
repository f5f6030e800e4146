import type { AgentHooks, AgentResponse } from '@failover/core';
import { AgentDriver, fail } from './support/agent-driver';

const HOOKS: AgentHooks = {
  pre_promote: { mustSucceed: true, timeoutMs: 5_000 },
  post_promote: { mustSucceed: false, timeoutMs: 5_000 },
  pre_demote: { mustSucceed: false, timeoutMs: 5_000 },
  post_demote: { mustSucceed: false, timeoutMs: 5_000 },
};

function lastResponse(d: AgentDriver): AgentResponse | undefined {
  return d.responses().at(-1);
}

describe('hooks around a requested promotion', () => {
  it('runs pre_promote before anything changes and post_promote once the identity is confirmed', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active');
    d.runAll();
    expect(d.steps()).toEqual([
      'pre_promote',
      'restore-tower',
      'set-identity',
      'active-symlink',
      'confirm-identity',
      'post_promote',
    ]);
    expect(d.state.status).toBe('active');
  });

  it('stops before the tower is touched when a must_succeed pre_promote fails, and stays passive', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active');
    d.runAll({ pre_promote: [fail('exited with 3')] });
    expect(d.steps()).toEqual(['pre_promote']);
    expect(d.state.status).toBe('passive');
    expect(lastResponse(d)).toEqual({
      result: 'failed',
      role: 'passive',
      message: 'pre_promote failed and must succeed; nothing was changed, still passive',
      step: 'hook',
      detail: 'exited with 3',
    });
  });

  it('goes on when a pre_promote that need not succeed fails, and reports it as a warning', () => {
    const d = new AgentDriver('passive', { hooks: { pre_promote: { mustSucceed: false, timeoutMs: 5_000 } } });
    d.request('become-active');
    d.runAll({ pre_promote: [fail('exited with 1')] });
    expect(d.state.status).toBe('active');
    expect(lastResponse(d)).toMatchObject({ result: 'ok', warnings: ['pre_promote: exited with 1'] });
  });

  it('keeps the promotion when post_promote fails: the failure is a warning, nothing is undone', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active');
    d.runAll({ post_promote: [fail('timed out after 5000 ms')] });
    expect(d.steps()).not.toContain('undo:remove-identity');
    expect(d.state.status).toBe('active');
    expect(lastResponse(d)).toMatchObject({
      result: 'ok',
      role: 'active',
      warnings: ['post_promote: timed out after 5000 ms'],
    });
  });

  it('runs no post_promote when the promotion failed and was undone', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active');
    d.runAll({ 'set-identity': [fail(), fail()] });
    expect(d.steps()).toEqual(['pre_promote', 'restore-tower', 'set-identity', 'set-identity', 'undo:remove-identity']);
    expect(d.state.status).toBe('passive');
  });

  it('runs pre_promote but no post_promote with skip_identity: the identity arrives later over SSH', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active', 'r1', true);
    d.runAll();
    expect(d.steps()).toEqual(['pre_promote', 'restore-tower']);
  });

  it('tells the hook the change, the reason and the term of the request', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.apply({
      type: 'become-active',
      requestId: 'r1',
      skipIdentity: false,
      context: { reason: 'planned switchover', term: 7 },
      at: 0,
    });
    if (d.state.status !== 'activating') throw new Error('expected a promotion');
    expect(d.state.transition.run.current.action).toEqual({
      kind: 'hook',
      hook: 'pre_promote',
      mustSucceed: true,
      context: { from: 'passive', to: 'active', origin: 'request', reason: 'planned switchover', term: 7 },
    });
  });

  it('still refuses a stale tower as "nothing changed" after pre_promote ran', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.request('become-active', 'r1', false, 5_000);
    d.answer({ ok: true });
    if (d.state.status !== 'activating') throw new Error('expected a promotion');
    d.apply({
      type: 'step-result',
      token: d.state.transition.token,
      result: { ok: false, detail: 'stale' },
      towerStale: { minTowerSlot: 5_000, towerLastVoteSlot: 4_000 },
      at: 200,
    });
    expect(d.state.status).toBe('passive');
    expect(lastResponse(d)).toMatchObject({ result: 'tower-stale' });
  });

  it('gives the hooks their own time on top of the promotion deadline', () => {
    const plain = new AgentDriver('passive');
    plain.request('become-active');
    const hooked = new AgentDriver('passive', { hooks: HOOKS });
    hooked.request('become-active');
    if (plain.state.status !== 'activating' || hooked.state.status !== 'activating')
      throw new Error('expected a promotion');
    expect(hooked.state.transition.deadlineAt - plain.state.transition.deadlineAt).toBe(10_000);
  });
});

describe('hooks around a demotion', () => {
  it('runs pre_demote first and post_demote last on a requested demotion', () => {
    const d = new AgentDriver('active', { hooks: HOOKS });
    d.request('become-passive');
    d.runAll();
    expect(d.steps()).toEqual([
      'pre_demote',
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'final-tower-backup',
      'remove-tower-file',
      'post_demote',
    ]);
    expect(d.state.status).toBe('passive');
  });

  // The request may be the manager's fence of a second voter (S1): a hook must never keep the identity loaded.
  it('demotes even when pre_demote fails, and even when it is marked must succeed', () => {
    const d = new AgentDriver('active', { hooks: { pre_demote: { mustSucceed: true, timeoutMs: 5_000 } } });
    d.request('become-passive');
    d.runAll({ pre_demote: [fail('maintenance window closed')] });
    expect(d.steps()[1]).toBe('passive-symlink');
    expect(d.state.status).toBe('passive');
    expect(lastResponse(d)).toMatchObject({ result: 'ok', warnings: ['pre_demote: maintenance window closed'] });
  });

  // A guard's demotion is a safety step (S1, S3): no hook may veto or delay it.
  it('never runs pre_demote before a demotion the agent starts itself, but runs post_demote after it', () => {
    const d = new AgentDriver('passive', { hooks: HOOKS });
    d.world.identity = 'staked';
    d.tick(1_000);
    d.runAll();
    expect(d.steps()).toEqual([
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'remove-tower-file',
      'post_demote',
    ]);
    const post = d.effects.find((e) => e.kind === 'run-step' && e.step.action.kind === 'hook');
    expect(post).toMatchObject({
      step: {
        action: { context: { from: 'passive', to: 'passive', origin: 'stray-identity', reason: null, term: null } },
      },
    });
  });

  it('steps an isolated active down without asking pre_demote', () => {
    const d = new AgentDriver('active', { hooks: HOOKS, isolationTimeoutMs: 5_000 });
    d.world.clusterReachable = false;
    for (let at = 1_000; at <= 6_000; at += 1_000) d.tick(at);
    expect(d.state.status).toBe('deactivating');
    expect(d.steps()[0]).toBe('passive-symlink');
  });
});
