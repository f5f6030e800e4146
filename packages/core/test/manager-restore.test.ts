import type { ManagerEffect, ManagerMachineOptions } from '@failover/core';
import { MAX_RUN_RESUMES, describeAction } from '@failover/core';
import { FAST, ManagerDriver } from './support/manager-driver';
import { STAKED, activeStatus, down, status, up } from './support/observations';

const OPTIONS: ManagerMachineOptions = { ...FAST, stakedIdentityPubkey: STAKED };
const passive = up(status());
const active = up(activeStatus());
/** Both passive, the cluster 201 slots past the vote account's last vote: nobody votes. */
const bothPassive = { v1: up(status({ validatorSlot: 1200 })), v2: up(status({ validatorSlot: 1200 })), slot: 1200 };

/** A switchover validator1 → validator2, answered ok up to (not including) the step named `stopAt`, or to its end. */
function switchoverUntil(stopAt?: string, options: ManagerMachineOptions = OPTIONS): ManagerDriver {
  const d = new ManagerDriver(options);
  d.tick();
  d.tick();
  d.switchover('validator2');
  const running = (): string | undefined => {
    const step = d.runningStep();
    return step === undefined ? undefined : describeAction(step.step.action);
  };
  while (running() !== undefined && running() !== stopAt) d.answer({ ok: true });
  expect(running()).toBe(stopAt);
  return d;
}

function kinds(effects: readonly ManagerEffect[]): string[] {
  return effects.map((e) => (e.kind === 'notify' ? `notify:${e.event.type}` : e.kind));
}

describe('a restarted manager and the holder it journaled', () => {
  // Regression (issue 10): for a pair with no holder, a restarted manager could not tell "never had one" from "stepped down while I was away" and held, alerting.
  it('recovers a voter when the holder it saw stepped down while it was away', () => {
    const before = new ManagerDriver(OPTIONS);
    before.tick();
    before.tick();
    const after = before.restart();
    for (let i = 0; i < 6; i += 1) after.tick(bothPassive);
    expect(after.failovers().map((f) => f.plan)).toEqual([
      expect.objectContaining({ kind: 'recovery', from: 'validator1', to: 'validator1' }),
    ]);
    expect(after.notified('blocked').map((e) => e.cause.kind)).not.toContain('startup-grace');
  });

  it('holds a pair it never saw a holder of, as before', () => {
    const fresh = new ManagerDriver(OPTIONS).restart();
    for (let i = 0; i < 6; i += 1) fresh.tick(bothPassive);
    expect(fresh.failovers()).toHaveLength(0);
    expect(fresh.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-active']);
  });

  it('fences a second claimant next to the holder it gave the identity to before the restart', () => {
    const d = switchoverUntil();
    expect(d.state).toMatchObject({ holder: 'validator2' });
    const after = d.restart(OPTIONS, 120_000);
    after.tick({ v1: active, v2: active });
    expect(after.failovers().map((f) => f.plan)).toEqual([
      expect.objectContaining({ kind: 'fence', from: 'validator1', to: 'validator2' }),
    ]);
  });

  it('carries the cooldown of the last failover over a restart', () => {
    const d = switchoverUntil();
    const after = d.restart(OPTIONS, 10_000);
    expect(after.state).toMatchObject({ status: 'cooldown', until: d.now + FAST.cooldownMs! });
  });

  it('journals a node first seen holding the identity once, and the holder a failover gave it to', () => {
    const d = switchoverUntil();
    expect(d.records().filter((r) => r.kind === 'holder-seen' || r.kind === 'holder')).toEqual([
      { kind: 'holder-seen', at: 5_000, term: 0, node: 'validator1' },
      { kind: 'holder', at: d.now, term: 0, node: 'validator2' },
    ]);
  });
});

describe('the manager writes before it acts', () => {
  it('journals each step before the step runs, and its end with the next start in one write', () => {
    const d = switchoverUntil();
    const effects = kinds(d.effects).filter((k) => k === 'journal' || k === 'run-step');
    // The first write is the holder seen in the first heartbeat.
    expect(effects.slice(0, 5)).toEqual(['journal', 'journal', 'run-step', 'journal', 'run-step']);
    const firstStep = d.effects.findIndex((e) => e.kind === 'run-step');
    expect(d.effects[firstStep - 1]).toEqual({
      kind: 'journal',
      records: [
        expect.objectContaining({ kind: 'run-started', run: 1, plan: expect.objectContaining({ kind: 'switchover' }) }),
        expect.objectContaining({
          kind: 'step-started',
          run: 1,
          action: { kind: 'check-promote', node: 'validator2' },
        }),
      ],
    });
    const last = d.effects[d.effects.length - 1];
    expect(last).toEqual({
      kind: 'journal',
      records: [
        expect.objectContaining({ kind: 'step-finished', ok: true }),
        expect.objectContaining({ kind: 'run-ended', outcome: 'completed' }),
        expect.objectContaining({ kind: 'holder', node: 'validator2' }),
      ],
    });
  });

  it('abandons the run when the journal cannot be written, alerts, and acts on nothing until restarted', () => {
    const d = switchoverUntil('promote validator2 (via agent)');
    const effects = d.apply({ type: 'journal-failed', detail: 'ENOSPC', records: [], at: d.now });
    expect(kinds(effects)).toEqual(['log', 'log', 'notify:failover-failed', 'notify:blocked', 'log']);
    expect(d.notified('failover-failed')[0]).toMatchObject({
      outcome: 'failed',
      failedStep: 'promote validator2 (via agent)',
      detail: expect.stringContaining('ENOSPC'),
    });
    expect(d.notified('blocked')[0]?.cause).toEqual({ kind: 'journal-unwritable', detail: 'ENOSPC' });
    expect(d.state).toMatchObject({ status: 'monitoring', holder: null });
    for (let i = 0; i < 10; i += 1) d.tick({ v1: down(), v2: passive }, 70_000);
    expect(d.failovers()).toHaveLength(1);
    expect(d.switchover('validator2')).toContainEqual(
      expect.objectContaining({
        answer: { accepted: false, refusal: { kind: 'journal-unwritable', detail: 'ENOSPC' } },
      }),
    );
  });
});

describe('a restarted manager takes up the plan it stopped in', () => {
  it.each([
    ['killed during the demotion', 'demote validator1'],
    ['killed after the demotion, before the promotion', 'final tower backup validator1'],
    ['killed during the promotion', 'promote validator2 (via agent)'],
    ['killed while it waited for the first vote', 'verify voting validator2'],
  ])('%s: runs the interrupted step again and completes', (_name, stopAt) => {
    const before = switchoverUntil(stopAt);
    const after = before.restart();
    expect(after.state).toMatchObject({ status: 'monitoring', interrupted: { id: 1 } });
    const first = after.tick(stopAt === 'demote validator1' ? { v1: active, v2: passive } : bothPassive);
    expect(kinds(first)).toEqual(
      expect.arrayContaining(['notify:failover-resumed', 'failover', 'journal', 'run-step']),
    );
    expect(kinds(first).slice(-2)).toEqual(['journal', 'run-step']);
    expect(after.runningStep()).toMatchObject({ attempt: 1, compensating: false });
    expect(describeAction(after.runningStep()!.step.action)).toBe(stopAt);
    expect(after.notified('failover-resumed')[0]).toMatchObject({ from: 'validator1', to: 'validator2', step: stopAt });
    after.completeAll();
    const complete = after.notified('failover-complete')[0];
    expect(complete?.steps.map((s) => s.step)).toEqual([
      'check promote validator2',
      'demote validator1',
      'verify demotion validator1',
      'final tower backup validator1',
      'promote validator2 (via agent)',
      'verify voting validator2',
    ]);
    expect(after.state).toMatchObject({ holder: 'validator2', status: 'cooldown' });
    const run = after.journal().runs[0];
    expect(run).toMatchObject({ id: 1, term: 0, resumes: [{ term: 1 }], end: { outcome: 'completed', term: 1 } });
    expect(after.journal().holder).toMatchObject({ node: 'validator2', term: 1 });
  });

  it("runs an interrupted pre_failover hook again while the old active still votes, with the hooks the journal gave the plan, not the config's now", () => {
    const hooks = { preFailover: 'must-succeed', postFailover: true } as const;
    const before = switchoverUntil('pre_failover hook (to validator2)', { ...OPTIONS, hooks });
    const after = before.restart({ ...FAST, stakedIdentityPubkey: STAKED });
    after.tick({ v1: active, v2: passive });
    expect(describeAction(after.runningStep()!.step.action)).toBe('pre_failover hook (to validator2)');
    after.completeAll();
    expect(after.notified('failover-complete')[0]?.steps.map((s) => s.step)).toEqual([
      'check promote validator2',
      'pre_failover hook (to validator2)',
      'demote validator1',
      'verify demotion validator1',
      'final tower backup validator1',
      'promote validator2 (via agent)',
      'verify voting validator2',
      'post_failover hook (to validator2)',
    ]);
    expect(after.journal().runs[0]).toMatchObject({ plan: { hooks }, end: { outcome: 'completed' } });
  });

  it('does not promote while the node it demoted claims the identity again, and compensates', () => {
    const after = switchoverUntil('promote validator2 (via agent)').restart();
    after.tick({ v1: active, v2: passive });
    after.completeAll();
    expect(after.stepsRun()).toEqual([
      'undo:demote validator2',
      'undo:verify demotion validator2',
      'undo:promote validator1 (via agent)',
      'undo:verify voting validator1',
    ]);
    expect(after.notified('rolled-back')[0]).toMatchObject({
      failedStep: 'promote validator2 (via agent)',
      detail: 'validator1 claims the staked identity; promote validator2 (via agent) is not taken up (S1)',
    });
    expect(after.state).toMatchObject({ holder: 'validator1' });
  });

  it('takes up a rollback where it stopped, and ends it failed when the old active is no longer healthy', () => {
    const d = switchoverUntil('promote validator2 (via agent)');
    for (let i = 0; i < 3; i += 1) d.answer({ ok: false, detail: 'set-identity failed' });
    d.answer({ ok: true });
    d.answer({ ok: true });
    expect(d.runningStep()).toMatchObject({
      compensating: true,
      step: { action: { kind: 'promote', node: 'validator1' } },
    });
    const healthy = d.restart();
    healthy.tick(bothPassive);
    expect(healthy.runningStep()).toMatchObject({
      compensating: true,
      step: { action: { kind: 'promote', node: 'validator1' } },
    });
    const sick = d.restart();
    sick.tick({ v1: up(status({ rpcHealthy: false })), v2: passive });
    expect(sick.runningStep()).toBeUndefined();
    expect(sick.notified('failover-failed')[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining('not attempted: old-active-healthy does not hold'),
    });
    expect(sick.state.holder).toBeNull();
  });

  it('takes up a fence and leaves the holder untouched', () => {
    const d = switchoverUntil();
    const fencing = d.restart(OPTIONS, 120_000);
    fencing.tick({ v1: active, v2: active });
    const after = fencing.restart();
    after.tick({ v1: active, v2: active });
    expect(after.runningStep()?.step.action).toEqual({ kind: 'demote', node: 'validator1' });
    after.completeAll();
    expect(after.notified('fence-ended')[0]).toMatchObject({ ok: true, node: 'validator1', holder: 'validator2' });
    expect(after.state.holder).toBe('validator2');
  });

  it('aborts a promotion past an unreachable old active that is seen claiming the identity again', () => {
    const d = new ManagerDriver(OPTIONS);
    d.tick();
    d.tick();
    for (let i = 0; i < 3; i += 1) d.tick({ v1: down(), v2: passive, lastVote: 800 });
    expect(d.runningStep()?.step.action).toEqual({ kind: 'prove-stopped-voting', node: 'validator1' });
    const after = d.restart();
    after.tick({ v1: active, v2: passive });
    expect(after.runningStep()).toBeUndefined();
    expect(after.notified('failover-failed')[0]).toMatchObject({ outcome: 'aborted' });
    expect(after.state.holder).toBeNull();
    expect(after.state.active).toBe('validator1');
  });

  it('does not act on the plan when dry run is now on, and reports it failed', () => {
    const after = switchoverUntil('promote validator2 (via agent)').restart({ ...OPTIONS, dryRun: true });
    after.tick(bothPassive);
    expect(after.runningStep()).toBeUndefined();
    expect(after.notified('failover-failed')[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining('dry run is on'),
    });
    expect(after.journal().runs[0]?.end).toMatchObject({ outcome: 'failed' });
    expect(after.state.holder).toBeNull();
  });

  it('does not act on a journal whose steps are not the plan it names, and reports it failed', () => {
    const before = switchoverUntil('promote validator2 (via agent)');
    const journal = before.journal();
    const run = journal.runs[0]!;
    const steps = run.steps.map((s, i) =>
      i === 2 ? { ...s, action: { kind: 'verify-voting', node: 'validator1' } as const } : s,
    );
    const after = new ManagerDriver(OPTIONS, before.now + 5_000, {
      term: 1,
      journal: { ...journal, runs: [{ ...run, steps }] },
    });
    after.tick(bothPassive);
    expect(after.runningStep()).toBeUndefined();
    expect(after.notified('failover-failed')[0]).toMatchObject({
      outcome: 'failed',
      failedStep: 'promote validator2 (via agent)',
      detail: expect.stringContaining(
        'does not replay against the plan: journaled verify voting validator1 (attempt 1) where the plan runs verify demotion validator1 (attempt 1)',
      ),
    });
  });

  it(`gives up a plan it was stopped in ${MAX_RUN_RESUMES + 1} times`, () => {
    let d = switchoverUntil('promote validator2 (via agent)');
    for (let i = 0; i < MAX_RUN_RESUMES; i += 1) {
      d = d.restart();
      d.tick(bothPassive);
      expect(d.runningStep()).toBeDefined();
    }
    d = d.restart();
    d.tick(bothPassive);
    expect(d.runningStep()).toBeUndefined();
    expect(d.notified('failover-failed')[0]?.detail).toContain(`${MAX_RUN_RESUMES + 1} times`);
  });

  it('refuses a switchover until the interrupted plan is taken up', () => {
    const after = switchoverUntil('promote validator2 (via agent)').restart();
    expect(after.switchover('validator1')).toContainEqual(
      expect.objectContaining({ answer: { accepted: false, refusal: { kind: 'busy' } } }),
    );
  });
});
