import type { ManagerEffect, ManagerMachineOptions, NodeObservation, PauseAnswer } from '@failover/core';
import { describeAction } from '@failover/core';
import { FAST, ManagerDriver } from './support/manager-driver';
import { STAKED, activeStatus, status, up } from './support/observations';

const OPTIONS: ManagerMachineOptions = { ...FAST, stakedIdentityPubkey: STAKED };
const crashed: NodeObservation = up(
  activeStatus({ processRunning: false, processHealthy: false, rpcHealthy: false, processUptimeSec: 0 }),
);
const active = up(activeStatus());
const passive = up(status());
/** Both passive, the cluster 201 slots past the vote account's last vote: nobody votes. */
const bothPassive = { v1: up(status({ validatorSlot: 1200 })), v2: up(status({ validatorSlot: 1200 })), slot: 1200 };

/** Past the grace period with both nodes healthy, so the next ticks count. */
function started(options = OPTIONS): ManagerDriver {
  const d = new ManagerDriver(options);
  d.tick();
  d.tick();
  return d;
}

function pause(d: ManagerDriver, forMs: number | null = null, reason = 'kernel upgrade'): ManagerEffect[] {
  return d.apply({ type: 'pause-requested', requestId: 'p1', reason, forMs, at: d.now });
}

function resume(d: ManagerDriver, reason: string | null = 'done'): ManagerEffect[] {
  return d.apply({ type: 'resume-requested', requestId: 'r1', reason, at: d.now });
}

function answerOf(effects: readonly ManagerEffect[]): PauseAnswer | undefined {
  const found = effects.find((e) => e.kind === 'pause-answer');
  return found?.kind === 'pause-answer' ? found.answer : undefined;
}

function kinds(effects: readonly ManagerEffect[]): string[] {
  return effects.map((e) => (e.kind === 'notify' ? `notify:${e.event.type}` : e.kind));
}

describe('maintenance mode: pausing', () => {
  it('journals the pause before it answers, notifies it, and answers with it', () => {
    const d = started();
    const effects = pause(d, 3_600_000);
    expect(kinds(effects)).toEqual(['journal', 'log', 'notify:paused', 'pause-answer']);
    const pausedAt = d.now;
    expect(d.records().at(-1)).toEqual({
      kind: 'paused',
      at: pausedAt,
      term: 0,
      reason: 'kernel upgrade',
      until: pausedAt + 3_600_000,
    });
    expect(answerOf(effects)).toEqual({
      accepted: true,
      pause: { reason: 'kernel upgrade', at: pausedAt, term: 0, until: pausedAt + 3_600_000 },
      ended: null,
    });
    expect(d.notified('paused')).toEqual([
      { type: 'paused', at: pausedAt, reason: 'kernel upgrade', until: pausedAt + 3_600_000 },
    ]);
  });

  it('starts no failover for a crashed active while paused, holds with the pause once, and fails over after a resume', () => {
    const d = started();
    pause(d);
    for (let i = 0; i < 6; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      { kind: 'paused', reason: 'kernel upgrade', until: null },
    ]);
    // Alerts go on while paused.
    expect(d.state.nodes.validator1.misses).toBeGreaterThanOrEqual(3);

    const effects = resume(d);
    expect(kinds(effects)).toEqual(['journal', 'log', 'notify:resumed', 'pause-answer']);
    expect(d.notified('resumed')).toEqual([expect.objectContaining({ reason: 'operator', text: 'done' })]);
    // The resume says it; no `unblocked` for the pause on top.
    expect(d.notified('unblocked')).toHaveLength(0);
    d.tick({ v1: crashed });
    expect(d.failovers().map((f) => f.plan)).toEqual([
      expect.objectContaining({ kind: 'switchover', from: 'validator1', to: 'validator2' }),
    ]);
  });

  it('keeps a hold that would stop a failover anyway under its own cause', () => {
    const d = started();
    pause(d);
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, v2: up(status({ validatorSlot: 500 })) });
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['passive-unhealthy']);
  });

  it('starts no recovery while paused when nobody votes', () => {
    const d = started();
    pause(d);
    for (let i = 0; i < 6; i++) d.tick(bothPassive);
    expect(d.failovers()).toHaveLength(0);
    // Nobody holds the identity for too few heartbeats at first, then a recovery is wanted.
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-active', 'paused']);
    resume(d);
    d.tick(bothPassive);
    expect(d.failovers().map((f) => f.plan.kind)).toEqual(['recovery']);
  });

  it('in dry run reports the pause, not "would fail over"', () => {
    const d = started({ ...OPTIONS, dryRun: true });
    pause(d);
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed });
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['paused']);
  });

  it('replaces a pause in force with a new one, and answers with the one it replaced', () => {
    const d = started();
    pause(d, null, 'first');
    const first = d.state.pause;
    const effects = pause(d, 60_000, 'second');
    expect(answerOf(effects)).toMatchObject({ accepted: true, pause: { reason: 'second' }, ended: first });
    expect(d.journal().pause).toMatchObject({ reason: 'second', until: d.now + 60_000 });
  });
});

describe('maintenance mode: what still runs while paused', () => {
  // S1 outranks the pause: a node that claims the identity next to the recorded holder is demoted.
  it('fences a second claimant of the identity next to the recorded holder', () => {
    const d = started();
    d.switchover('validator2');
    d.completeAll();
    expect(d.state.holder).toBe('validator2');
    pause(d);
    d.tick({ v1: active, v2: active });
    expect(d.failovers().at(-1)?.plan).toMatchObject({ kind: 'fence', from: 'validator1', to: 'validator2' });
    expect(d.notified('fence-started')).toHaveLength(1);
  });

  // L2: the pair may be between a demotion and a promotion; stopping there leaves nobody voting.
  it('finishes a plan a previous run left half done, after a restart that keeps the pause', () => {
    const d = started();
    d.switchover('validator2');
    while (
      d.runningStep() !== undefined &&
      describeAction(d.runningStep()!.step.action) !== 'promote validator2 (via agent)'
    )
      d.answer({ ok: true });
    pause(d);
    const after = d.restart(OPTIONS);
    expect(after.state.pause).toMatchObject({ reason: 'kernel upgrade' });
    after.tick(bothPassive);
    expect(after.notified('failover-resumed')).toHaveLength(1);
    after.completeAll();
    expect(after.notified('failover-complete')).toHaveLength(1);
    expect(after.state.pause).not.toBeNull();
  });

  it('refuses a planned switchover without a named node, and runs one that names it', () => {
    const d = started();
    pause(d);
    expect(d.switchover()).toContainEqual(
      expect.objectContaining({ answer: { accepted: false, refusal: { kind: 'paused-needs-to' } } }),
    );
    expect(d.switchover('validator2')).toContainEqual(
      expect.objectContaining({ answer: expect.objectContaining({ accepted: true }) }),
    );
    d.completeAll();
    expect(d.state).toMatchObject({ holder: 'validator2', pause: { reason: 'kernel upgrade' } });
  });
});

describe('maintenance mode: ending', () => {
  it('expires at the first heartbeat at or after its end, journals it and notifies, then fails over', () => {
    const d = started();
    pause(d, 12_000);
    const pausedAt = d.now;
    d.tick({ v1: crashed });
    d.tick({ v1: crashed });
    expect(d.notified('resumed')).toHaveLength(0);
    d.tick({ v1: crashed });
    expect(d.notified('resumed')).toEqual([
      { type: 'resumed', at: pausedAt + 15_000, reason: 'expired', text: null, pausedAt },
    ]);
    expect(d.records()).toContainEqual({ kind: 'resumed', at: pausedAt + 15_000, term: 0, reason: 'expired' });
    expect(d.journal().pause).toBeNull();
    expect(d.failovers()).toHaveLength(1);
  });

  it('refuses a resume when nothing is paused', () => {
    const d = started();
    expect(answerOf(resume(d))).toEqual({ accepted: false, refusal: { kind: 'not-paused' } });
    expect(d.records().filter((r) => r.kind === 'resumed')).toHaveLength(0);
  });

  it('refuses a pause and a resume while the journal cannot be written', () => {
    const d = started();
    pause(d);
    d.apply({ type: 'journal-failed', detail: 'ENOSPC', records: [], at: d.now });
    const refusal = { kind: 'journal-unwritable', detail: 'ENOSPC' };
    expect(answerOf(pause(d))).toEqual({ accepted: false, refusal });
    expect(answerOf(resume(d))).toEqual({ accepted: false, refusal });
  });

  // Regression: a pause refused because the journal could not be written still showed as in force until a restart.
  it('keeps the pause the journal holds when the write of a pause or a resume fails', () => {
    const d = started();
    const effects = pause(d);
    const records = effects.flatMap((e) => (e.kind === 'journal' ? e.records : []));
    d.apply({ type: 'journal-failed', detail: 'ENOSPC', records, at: d.now });
    expect(d.state.pause).toBeNull();

    const e = started();
    pause(e);
    const inForce = e.state.pause;
    const resumed = resume(e);
    const resumeRecords = resumed.flatMap((x) => (x.kind === 'journal' ? x.records : []));
    e.apply({ type: 'journal-failed', detail: 'ENOSPC', records: resumeRecords, at: e.now });
    expect(e.state.pause).toEqual(inForce);
  });

  it('survives a restart: the new manager reads the pause from its journal and holds', () => {
    const d = started();
    pause(d);
    const after = d.restart(OPTIONS, 5_000);
    expect(after.state.pause).toMatchObject({ reason: 'kernel upgrade', term: 0, until: null });
    for (let i = 0; i < 6; i++) after.tick({ v1: crashed, v2: passive });
    expect(after.failovers()).toHaveLength(0);
    expect(after.notified('blocked').map((e) => e.cause.kind)).toEqual(['paused']);
    resume(after);
    expect(after.journal().pause).toBeNull();
  });
});
