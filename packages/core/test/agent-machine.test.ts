import fc from 'fast-check';
import type { AgentEvent, PeerAnswer } from '@failover/core';
import { createAgentState, stepAgent } from '@failover/core';
import { AgentDriver, fail } from './support/agent-driver';

describe('agent machine: become_passive', () => {
  it('runs symlink, identity removal, confirmation, final backup and tower removal, then claims passive', () => {
    const d = new AgentDriver('active');
    d.request('become-passive');
    d.runAll();
    expect(d.steps()).toEqual([
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'final-tower-backup',
      'remove-tower-file',
    ]);
    expect(d.state.status).toBe('passive');
    expect(d.responses()).toEqual([
      { result: 'ok', changed: true, role: 'passive', message: 'now passive', warnings: [] },
    ]);
  });

  it('restarts the validator when the identity cannot be removed, and goes on', () => {
    const d = new AgentDriver('active');
    d.request('become-passive');
    d.runAll({ 'remove-identity': [fail(), fail(), fail()] });
    expect(d.steps()).toEqual([
      'passive-symlink',
      'remove-identity',
      'remove-identity',
      'remove-identity',
      'restart-validator',
      'confirm-unstaked',
      'final-tower-backup',
      'remove-tower-file',
    ]);
    expect(d.state.status).toBe('passive');
  });

  it('does not claim passive when neither removal nor restart worked', () => {
    const d = new AgentDriver('active');
    d.request('become-passive');
    d.runAll({ 'remove-identity': [fail(), fail(), fail()], 'restart-validator': [fail('systemctl: unit not found')] });
    expect(d.state.status).toBe('active');
    expect(d.responses()).toEqual([
      expect.objectContaining({
        result: 'failed',
        role: 'active',
        step: 'restart-validator',
        detail: 'systemctl: unit not found',
      }),
    ]);
  });

  it('reports a failed final backup as a warning, not a failure', () => {
    const d = new AgentDriver('active');
    d.request('become-passive');
    d.runAll({ 'final-tower-backup': [fail('etcd unavailable'), fail('etcd unavailable')] });
    expect(d.state.status).toBe('passive');
    expect(d.responses()[0]).toMatchObject({ result: 'ok', warnings: ['final-tower-backup: etcd unavailable'] });
  });
});

describe('agent machine: become_active', () => {
  it('restores the tower, sets the identity, moves the symlink and confirms, then claims active', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    d.runAll();
    expect(d.steps()).toEqual(['restore-tower', 'set-identity', 'active-symlink', 'confirm-identity']);
    expect(d.state.status).toBe('active');
  });

  it('with skip_identity restores the tower only', () => {
    const d = new AgentDriver('passive');
    d.request('become-active', 'r1', true);
    d.runAll();
    expect(d.steps()).toEqual(['restore-tower']);
    expect(d.state.status).toBe('active');
  });

  it('stays passive without touching the identity when the tower cannot be restored', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    d.runAll({ 'restore-tower': [fail('signature mismatch'), fail('signature mismatch')] });
    expect(d.steps()).toEqual(['restore-tower', 'restore-tower']);
    expect(d.state.status).toBe('passive');
  });

  it('puts the symlink back and removes the identity when the confirmation fails', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    d.runAll({ 'confirm-identity': [fail(), fail(), fail(), fail(), fail()] });
    expect(d.steps().slice(-2)).toEqual(['undo:passive-symlink', 'undo:remove-identity']);
    expect(d.state.status).toBe('passive');
    expect(d.responses()[0]).toMatchObject({ result: 'failed', role: 'passive', step: 'confirm-identity' });
  });

  it('claims the identity as unconfirmed when it cannot undo a half-done promotion', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    d.runAll({ 'active-symlink': [fail(), fail()], 'passive-symlink': [fail(), fail(), fail()] });
    expect(d.state.status).toBe('unconfirmed');
    expect(d.responses()[0]).toMatchObject({ result: 'failed', role: 'unconfirmed' });
  });
});

describe('agent machine: requests', () => {
  const idempotent: ['active' | 'passive', 'become-active' | 'become-passive'][] = [
    ['active', 'become-active'],
    ['passive', 'become-passive'],
  ];
  it.each(idempotent)('answers ok without running anything when already %s (%s)', (role, request) => {
    const d = new AgentDriver(role);
    d.request(request);
    expect(d.steps()).toEqual([]);
    expect(d.responses()).toEqual([{ result: 'ok', changed: false, role, message: `already ${role}`, warnings: [] }]);
  });

  it('answers busy to a second request while a change runs, and still finishes the first', () => {
    const d = new AgentDriver('passive');
    d.request('become-active', 'first');
    d.request('become-passive', 'second');
    d.request('become-active', 'third');
    d.runAll();
    expect(d.effects.flatMap((e) => (e.kind === 'respond' ? [[e.requestId, e.response.result]] : []))).toEqual([
      ['second', 'busy'],
      ['third', 'busy'],
      ['first', 'ok'],
    ]);
  });

  it('ignores a result with a stale token', () => {
    const d = new AgentDriver('passive');
    d.request('become-active');
    const effects = d.apply({ type: 'step-result', token: 999, result: { ok: true }, at: 0 });
    expect(effects).toEqual([expect.objectContaining({ kind: 'log', level: 'warn' })]);
    expect(d.steps()).toEqual(['restore-tower']);
  });
});

describe('agent machine: watchdog', () => {
  // Sparse ticks would trip the isolation rule, which agent-guards.test.ts covers.
  const watchdogOnly = (role: 'active' | 'passive'): AgentDriver => new AgentDriver(role, { isolationTimeoutMs: 0 });

  it('asks the peer once the manager has been silent for manager_timeout', () => {
    const d = watchdogOnly('active');
    d.apply({ type: 'manager-heartbeat', at: 1_000 });
    d.apply({ type: 'watchdog-tick', at: 30_999 });
    expect(d.peerQuestions()).toBe(0);
    d.apply({ type: 'watchdog-tick', at: 31_000 });
    d.apply({ type: 'watchdog-tick', at: 32_000 });
    expect(d.peerQuestions()).toBe(1);
  });

  it('steps down when the peer answers active', () => {
    const d = watchdogOnly('active').at(31_000);
    d.apply({ type: 'manager-heartbeat', at: 1_000 });
    d.apply({ type: 'watchdog-tick', at: 31_000 });
    d.peer('active');
    d.runAll();
    expect(d.state.status).toBe('passive');
    expect(d.responses()).toEqual([]);
  });

  const stays: PeerAnswer[] = ['passive', 'unreachable'];
  it.each(stays)('stays active when the peer is %s, and asks again only after the interval', (answer) => {
    const d = watchdogOnly('active').at(31_000);
    d.apply({ type: 'manager-heartbeat', at: 1_000 });
    d.apply({ type: 'watchdog-tick', at: 31_000 });
    d.peer(answer);
    d.apply({ type: 'watchdog-tick', at: 40_000 });
    expect(d.peerQuestions()).toBe(1);
    d.apply({ type: 'watchdog-tick', at: 41_000 });
    expect(d.peerQuestions()).toBe(2);
    expect(d.state.status).toBe('active');
  });

  it('arms after the start-up grace when no manager was ever heard', () => {
    const d = watchdogOnly('active');
    d.apply({ type: 'watchdog-tick', at: 59_999 });
    expect(d.peerQuestions()).toBe(0);
    d.apply({ type: 'watchdog-tick', at: 60_000 });
    expect(d.peerQuestions()).toBe(1);
  });

  it('never asks while passive', () => {
    const d = watchdogOnly('passive');
    d.apply({ type: 'watchdog-tick', at: 1_000_000 });
    expect(d.peerQuestions()).toBe(0);
  });
});

describe('agent machine invariants', () => {
  const eventArb = fc.oneof(
    fc.record({ type: fc.constant('become-active' as const), skipIdentity: fc.boolean() }),
    fc.record({ type: fc.constant('become-passive' as const) }),
    fc.record({ type: fc.constant('step-result' as const), ok: fc.boolean(), stale: fc.boolean() }),
    fc.record({ type: fc.constant('manager-heartbeat' as const) }),
    fc.record({ type: fc.constant('watchdog-tick' as const) }),
    fc.record({
      type: fc.constant('peer-answer' as const),
      answer: fc.constantFrom<PeerAnswer>('active', 'passive', 'unreachable'),
    }),
  );
  const scriptArb = fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 20_000 })), {
    minLength: 5,
    maxLength: 100,
    size: 'large',
  });

  it('answers every request exactly once, runs one step at a time, leaves the state alone when busy, and keeps claiming active after a failed demotion', () => {
    fc.assert(
      fc.property(fc.constantFrom<'active' | 'passive'>('active', 'passive'), scriptArb, (role, script) => {
        let state = createAgentState(role, 0);
        let now = 0;
        let n = 0;
        const asked = new Set<string>();
        const answered = new Set<string>();
        for (const [item, dt] of script) {
          now += dt;
          let event: AgentEvent;
          if (item.type === 'become-active' || item.type === 'become-passive') {
            const requestId = `r${n++}`;
            asked.add(requestId);
            event =
              item.type === 'become-active'
                ? { type: item.type, requestId, skipIdentity: item.skipIdentity, at: now }
                : { type: item.type, requestId, at: now };
          } else if (item.type === 'step-result') {
            const token =
              state.status === 'activating' || state.status === 'deactivating'
                ? state.transition.token + (item.stale ? 1 : 0)
                : 0;
            event = {
              type: 'step-result',
              token,
              result: item.ok ? { ok: true } : { ok: false, detail: 'x' },
              at: now,
            };
          } else if (item.type === 'peer-answer') {
            event = {
              type: 'peer-answer',
              token: state.peerQuestion ?? -1,
              answer: item.answer,
              detail: null,
              at: now,
            };
          } else {
            event = { type: item.type, at: now };
          }
          const before = state;
          const out = stepAgent(state, event);
          state = out.state;
          for (const e of out.effects) {
            if (e.kind !== 'respond') continue;
            expect(answered.has(e.requestId)).toBe(false);
            answered.add(e.requestId);
            if (e.response.result === 'failed' && before.status === 'deactivating') expect(state.status).toBe('active');
            if (e.response.result === 'busy') expect(state).toBe(before);
          }
          expect(out.effects.filter((e) => e.kind === 'run-step').length).toBeLessThanOrEqual(1);
        }
        const pending =
          state.status === 'activating' || state.status === 'deactivating' ? state.transition.requestId : null;
        expect([...asked].filter((id) => !answered.has(id) && id !== pending)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
