import fc from 'fast-check';
import type { AgentState, StepResult } from '@failover/core';
import { createAgentState, stepAgent } from '@failover/core';
import { AgentDriver, fail } from './support/agent-driver';

/** set-identity fails twice and the undo (set-identity to the unstaked key) three times, as in chaos finding F3. */
const setIdentityBroken = (): Record<string, StepResult[]> => ({
  'set-identity': [fail('set-identity failed'), fail('set-identity failed')],
  'remove-identity': [fail(), fail(), fail()],
});

function unconfirmed(): AgentDriver {
  const d = new AgentDriver('passive');
  d.request('become-active', 'first');
  d.runAll(setIdentityBroken());
  return d;
}

describe('a promotion that failed and could not be undone (F3)', () => {
  it('ends unconfirmed, answering the failure, not active', () => {
    const d = unconfirmed();
    expect(d.state.status).toBe('unconfirmed');
    expect(d.responses()).toEqual([
      expect.objectContaining({ result: 'failed', role: 'unconfirmed', step: 'set-identity' }),
    ]);
  });

  // Regression (F3): a repeated become_active was answered "already active" and the manager waited 60 s for votes nobody cast.
  it('runs every promotion step again on a repeated become_active instead of answering done', () => {
    const d = unconfirmed();
    const before = d.steps().length;
    d.request('become-active', 'second');
    expect(d.state.status).toBe('activating');
    d.runAll();
    expect(d.steps().slice(before)).toEqual(['restore-tower', 'set-identity', 'active-symlink', 'confirm-identity']);
    expect(d.state.status).toBe('active');
    expect(d.responses()[1]).toEqual({
      result: 'ok',
      changed: true,
      role: 'active',
      message: 'now active',
      warnings: [],
    });
    expect(d.logs('info')).toContain(
      'activating: become-active requested; the last promotion was not confirmed, running its steps again',
    );
  });

  it('runs the demotion on become_passive', () => {
    const d = unconfirmed();
    const before = d.steps().length;
    d.request('become-passive', 'second');
    d.runAll();
    expect(d.steps().slice(before)).toEqual([
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'final-tower-backup',
      'remove-tower-file',
    ]);
    expect(d.state.status).toBe('passive');
  });

  it('stays unconfirmed when the repeated promotion fails the same way', () => {
    const d = unconfirmed();
    d.request('become-active', 'second');
    d.runAll(setIdentityBroken());
    expect(d.state.status).toBe('unconfirmed');
    expect(d.responses()[1]).toMatchObject({ result: 'failed', role: 'unconfirmed' });
  });

  it('steps down on isolation like an active node, since it may hold the identity', () => {
    const d = new AgentDriver('passive', { isolationTimeoutMs: 5_000 });
    d.request('become-active', 'first');
    d.runAll(setIdentityBroken());
    d.world.clusterReachable = false;
    const settled = d.now;
    for (let at = settled + 1_000; at <= settled + 5_000; at += 1_000) d.tick(at);
    expect(d.state.status).toBe('deactivating');
  });

  it('is only ever reached from a promotion, and only through a failed undo', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (results) => {
        let state: AgentState = createAgentState('passive', 0);
        state = stepAgent(state, { type: 'become-active', requestId: 'r', skipIdentity: false, at: 0 }).state;
        let compensationFailed = false;
        for (const [i, ok] of results.entries()) {
          if (state.status !== 'activating') break;
          const run = state.transition.run;
          if (run.compensating && !ok && run.attempt === run.current.attempts) compensationFailed = true;
          state = stepAgent(state, {
            type: 'step-result',
            token: state.transition.token,
            result: ok ? { ok: true } : { ok: false, detail: 'x' },
            at: i + 1,
          }).state;
        }
        if (state.status === 'unconfirmed') expect(compensationFailed).toBe(true);
        if (compensationFailed && state.status !== 'activating') expect(state.status).toBe('unconfirmed');
      }),
      { numRuns: 300 },
    );
  });
});

describe('a tower backup refused as fenced (F1)', () => {
  // Regression (F1): an old active kept voting although every backup was refused because the new holder had written since.
  it('steps an active node down at once, without a final backup that would overwrite the holder', () => {
    const d = new AgentDriver('active');
    d.apply({ type: 'tower-fenced', detail: 'slot key written by someone else', at: 5_000 });
    expect(d.state.status).toBe('deactivating');
    d.runAll();
    expect(d.steps()).toEqual(['passive-symlink', 'remove-identity', 'confirm-unstaked', 'remove-tower-file']);
    const last = d.effects.flatMap((e) => (e.kind === 'run-step' ? [e.step.action] : [])).at(-1);
    expect(last).toEqual({ kind: 'remove-tower-file', keepAside: 'fenced' });
    expect(d.state.status).toBe('passive');
    expect(d.logs('error')[0]).toMatch(
      /another holder of the staked identity \(fenced backup\); stepping down.*slot key written by someone else/,
    );
    expect(d.state.alert?.message).toMatch(/fenced backup.*now passive/);
  });

  it('steps an unconfirmed node down too', () => {
    const d = unconfirmed();
    d.apply({ type: 'tower-fenced', detail: 'x', at: d.now });
    expect(d.state.status).toBe('deactivating');
  });

  it.each([
    ['passive', (): AgentDriver => new AgentDriver('passive')],
    [
      'deactivating',
      (): AgentDriver => {
        const d = new AgentDriver('active');
        d.request('become-passive');
        return d;
      },
    ],
  ])('changes nothing while %s', (_status, make) => {
    const d = make();
    const before = d.state;
    d.apply({ type: 'tower-fenced', detail: 'x', at: 1 });
    expect(d.state).toBe(before);
  });
});

describe('isolation after the agent itself was paused', () => {
  // Regression: an agent frozen (SIGSTOP) for longer than isolation_timeout demoted its validator on its first tick back, though everything answered.
  it('counts silence from the resume, so a manager that answers right after it keeps the node active', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 2_000, tickIntervalMs: 250 });
    d.world.clusterReachable = false;
    d.apply({ type: 'manager-heartbeat', at: 0 });
    d.tick(250);
    d.tick(8_000);
    expect(d.state.status).toBe('active');
    d.apply({ type: 'manager-heartbeat', at: 8_100 });
    for (let at = 8_250; at <= 12_000; at += 250) {
      d.apply({ type: 'manager-heartbeat', at });
      d.tick(at);
    }
    expect(d.state.status).toBe('active');
  });

  it('still steps down when nobody answers for isolation_timeout after the resume', () => {
    const d = new AgentDriver('active', { isolationTimeoutMs: 2_000, tickIntervalMs: 250 });
    d.world.clusterReachable = false;
    d.apply({ type: 'manager-heartbeat', at: 0 });
    d.tick(250);
    for (let at = 8_000; at <= 9_750; at += 250) d.tick(at);
    expect(d.state.status).toBe('active');
    d.tick(10_000);
    expect(d.state.status).toBe('deactivating');
  });
});
