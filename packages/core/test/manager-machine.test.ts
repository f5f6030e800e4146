import type { NodeObservation } from '@failover/core';
import { STAKED, activeStatus, down, status, up } from './support/observations';
import { FAST, ManagerDriver } from './support/manager-driver';

const crashedStatus = { processRunning: false, processHealthy: false, rpcHealthy: false, processUptimeSec: 0 };
const crashed: NodeObservation = up(activeStatus(crashedStatus));
const laggingPassive: NodeObservation = up(status({ validatorSlot: 500 }));
/** The cluster (and the passive) moved 200 slots past the vote account's last vote: the old active stopped voting. */
const voteStale = { slot: 1200, lastVote: 999, v2: up(status({ validatorSlot: 1200 })) };

/** Past the grace period with both nodes healthy, so the next ticks count. */
function started(options = FAST): ManagerDriver {
  const d = new ManagerDriver(options);
  d.tick();
  d.tick();
  return d;
}

describe('manager machine: deciding a failover', () => {
  it('promotes the passive after 3 missed heartbeats, not before', () => {
    const d = started();
    d.tick({ v1: crashed });
    d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
    d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(1);
    expect(d.failovers()[0]?.plan).toMatchObject({ from: 'validator1', to: 'validator2', fromReachable: true });
    expect(d.failovers()[0]?.reason).toMatchObject({
      kind: 'unhealthy',
      node: 'validator1',
      misses: 3,
      reasons: [{ kind: 'process-down' }],
    });
    expect(d.state.status).toBe('failing-over');
  });

  it('fails over at the first check that confirms an exit the agent saw, whatever misses_before_failover says', () => {
    const d = started({ ...FAST, missesBeforeFailover: 5 });
    const exitedAt = d.now;
    d.tick({ v1: up(activeStatus({ ...crashedStatus, processExitedAt: exitedAt })) });
    expect(d.failovers()).toHaveLength(1);
    expect(d.failovers()[0]?.reason).toMatchObject({
      kind: 'unhealthy',
      node: 'validator1',
      misses: 1,
      reasons: [{ kind: 'process-down', exitedAt }],
    });
  });

  it('counts misses as usual when the validator runs again at the confirming check (a restart in progress)', () => {
    const d = started({ ...FAST, missesBeforeFailover: 5 });
    const restarting = up(activeStatus({ rpcHealthy: false, processUptimeSec: 0 }));
    for (let i = 0; i < 4; i++) d.tick({ v1: restarting });
    expect(d.failovers()).toHaveLength(0);
    d.tick({ v1: restarting });
    expect(d.failovers()).toHaveLength(1);
  });

  it('never takes an exit seen on the passive, nor on an active whose agent does not say it saw the exit, as the fast trigger', () => {
    const d = started({ ...FAST, missesBeforeFailover: 5 });
    d.tick({ v2: up(status({ ...crashedStatus, processExitedAt: d.now })) });
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
  });

  it('starts counting again after a healthy heartbeat', () => {
    const d = started();
    d.tick({ v1: crashed });
    d.tick({ v1: crashed });
    d.tick();
    d.tick({ v1: crashed });
    d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
  });

  it('holds during the start-up grace period, reports it once, and fails over when it ends', () => {
    const d = new ManagerDriver({ ...FAST, startupGracePeriodMs: 30_000 });
    for (let i = 0; i < 5; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['startup-grace']);
    d.tick({ v1: crashed });
    expect(d.state.status).toBe('failing-over');
    expect(d.notified('unblocked').map((e) => e.cause.kind)).toEqual(['startup-grace']);
  });

  it('never fails over to an unhealthy passive and says why once', () => {
    const d = started();
    for (let i = 0; i < 10; i++) d.tick({ v1: crashed, v2: laggingPassive });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked')).toEqual([
      expect.objectContaining({ cause: expect.objectContaining({ kind: 'passive-unhealthy', node: 'validator2' }) }),
    ]);
  });

  it('never fails over to an unreachable passive', () => {
    const d = started();
    for (let i = 0; i < 5; i++) d.tick({ v1: crashed, v2: down('refused') });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['passive-unreachable']);
  });

  it('reports the new cause when the cause changes, and the clearing when the active recovers', () => {
    const d = started();
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, v2: laggingPassive });
    for (let i = 0; i < 2; i++) d.tick({ v1: crashed, v2: down() });
    d.tick();
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['passive-unhealthy', 'passive-unreachable']);
    expect(d.notified('unblocked').map((e) => e.cause.kind)).toEqual(['passive-unhealthy', 'passive-unreachable']);
  });
});

describe('manager machine: an unreachable old active', () => {
  it('blocks while its vote account still votes, once, and promotes when the votes stop', () => {
    const d = started();
    for (let i = 0; i < 6; i++) d.tick({ v1: down() });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['old-active-still-voting']);
    expect(d.notified('unreachable').map((e) => e.node)).toEqual(['validator1']);
    d.tick({ v1: down(), ...voteStale });
    expect(d.failovers()).toHaveLength(1);
    expect(d.stepsRun()).toEqual(['prove stopped voting validator1']);
  });

  const noProof: [string, { slot?: number | null; lastVote?: number | null }][] = [
    ['the cluster RPC is unavailable', { slot: null, lastVote: null }],
    ['the vote account cannot be read', { slot: 1000, lastVote: null }],
  ];
  it.each(noProof)('fails closed when %s', (_name, cluster) => {
    const d = started();
    for (let i = 0; i < 6; i++) d.tick({ v1: down(), ...cluster });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-vote-proof']);
  });
});

describe('manager machine: states that must never promote', () => {
  it('alerts on two actives and promotes nothing, even with one of them crashed', () => {
    const d = started();
    for (let i = 0; i < 6; i++) d.tick({ v1: crashed, v2: up(activeStatus()) });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['both-active']);
  });

  it('alerts when nobody holds the identity at start-up and promotes nothing on its own', () => {
    const d = new ManagerDriver(FAST);
    for (let i = 0; i < 6; i++) d.tick({ v1: up(status()) });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['no-active']);
  });

  it('in dry-run logs "would fail over", notifies once and runs nothing', () => {
    const d = started({ ...FAST, dryRun: true });
    for (let i = 0; i < 8; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
    expect(d.stepsRun()).toEqual([]);
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      { kind: 'dry-run', from: 'validator1', to: 'validator2' },
    ]);
    expect(d.effects.filter((e) => e.kind === 'log' && e.message.startsWith('would fail over'))).toHaveLength(1);
  });
});

describe('manager machine: running a failover', () => {
  function failingOver(): ManagerDriver {
    const d = started();
    for (let i = 0; i < 3; i++) d.tick({ v1: crashed });
    return d;
  }

  it('runs the plan step by step and reports completion with every step timed', () => {
    const d = failingOver();
    d.completeAll();
    expect(d.stepsRun()).toEqual([
      'check promote validator2',
      'demote validator1',
      'verify demotion validator1',
      'final tower backup validator1',
      'promote validator2 (via agent)',
      'verify voting validator2',
    ]);
    const [complete] = d.notified('failover-complete');
    expect(complete).toMatchObject({ from: 'validator1', to: 'validator2', totalMs: 6_000 });
    expect(complete?.steps.map((s) => [s.step, s.ms, s.attempts, s.ok])).toEqual([
      ['check promote validator2', 1_000, 1, true],
      ['demote validator1', 1_000, 1, true],
      ['verify demotion validator1', 1_000, 1, true],
      ['final tower backup validator1', 1_000, 1, true],
      ['promote validator2 (via agent)', 1_000, 1, true],
      ['verify voting validator2', 1_000, 1, true],
    ]);
    expect(d.state).toMatchObject({ status: 'cooldown', active: 'validator2', until: d.now + 60_000 });
  });

  it('times a retried step from its first attempt and counts the attempts', () => {
    const d = failingOver();
    d.answer({ ok: true });
    d.answer({ ok: false, detail: 'agent busy' });
    d.completeAll();
    expect(d.notified('failover-complete')[0]?.steps[1]).toMatchObject({
      step: 'demote validator1',
      ms: 2_000,
      attempts: 2,
      ok: true,
    });
  });

  it('never starts a second failover while one is in flight, whatever asks for it', () => {
    const d = failingOver();
    for (let i = 0; i < 5; i++) d.tick({ v1: crashed });
    const answers = d.switchover();
    expect(d.failovers()).toHaveLength(1);
    expect(answers).toContainEqual({
      kind: 'switchover-answer',
      requestId: 'r1',
      answer: { accepted: false, refusal: { kind: 'busy' } },
    });
  });

  it('aborts on a failed demotion, keeps the old active and says so', () => {
    const d = failingOver();
    d.answer({ ok: true });
    d.answer({ ok: false, detail: 'identity could not be removed' });
    d.answer({ ok: false, detail: 'identity could not be removed' });
    expect(d.stepsRun()).toEqual(['check promote validator2', 'demote validator1', 'demote validator1']);
    expect(d.notified('failover-failed')).toEqual([
      expect.objectContaining({ outcome: 'aborted', failedStep: 'demote validator1' }),
    ]);
    expect(d.state).toMatchObject({ status: 'cooldown', active: 'validator1' });
  });

  it('after a failed promotion with an unhealthy old active, leaves the new node alone and alerts loudly', () => {
    const d = failingOver();
    for (let i = 0; i < 4; i++) d.answer({ ok: true });
    for (let i = 0; i < 3; i++) d.answer({ ok: false, detail: 'set-identity failed' });
    expect(d.stepsRun().slice(4)).toEqual([
      'promote validator2 (via agent)',
      'promote validator2 (via agent)',
      'promote validator2 (via agent)',
    ]);
    expect(d.notified('failover-failed')).toEqual([
      expect.objectContaining({ outcome: 'failed', failedStep: 'promote validator2 (via agent)' }),
    ]);
    expect(d.state).toMatchObject({ status: 'cooldown', active: null });
  });

  it('ignores a result carrying a stale token', () => {
    const d = failingOver();
    const token = d.runningStep()?.token ?? -1;
    d.answer({ ok: true });
    const effects = d.apply({ type: 'step-result', token, result: { ok: true }, at: d.now });
    expect(effects).toEqual([expect.objectContaining({ kind: 'log', level: 'warn' })]);
    expect(d.stepsRun()).toHaveLength(2);
  });

  it('blocks a new failover during cooldown and allows it after', () => {
    const d = failingOver();
    d.completeAll();
    const crashedV2 = up(
      activeStatus({ processRunning: false, processHealthy: false, rpcHealthy: false, processUptimeSec: 0 }),
    );
    for (let i = 0; i < 4; i++) d.tick({ v1: up(status()), v2: crashedV2 });
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['cooldown']);
    for (let i = 0; i < 10 && d.failovers().length < 2; i++) d.tick({ v1: up(status()), v2: crashedV2 });
    expect(d.failovers()[1]?.plan).toMatchObject({ from: 'validator2', to: 'validator1' });
    expect(d.now).toBeGreaterThanOrEqual(d.notified('failover-complete')[0]!.at + 60_000);
  });
});

describe('manager machine: planned switchover', () => {
  it('starts at once on request and answers with the plan', () => {
    const d = started();
    const effects = d.switchover();
    expect(effects[0]).toMatchObject({
      kind: 'switchover-answer',
      answer: { accepted: true, plan: { from: 'validator1', to: 'validator2' } },
    });
    expect(d.failovers()[0]?.reason).toEqual({ kind: 'switchover', text: 'upgrade' });
  });

  it('rolls back to the healthy old active when the promotion fails', () => {
    const d = started();
    d.switchover();
    for (let i = 0; i < 4; i++) d.answer({ ok: true });
    for (let i = 0; i < 3; i++) d.answer({ ok: false, detail: 'tower refused' });
    d.completeAll();
    expect(d.stepsRun().slice(7)).toEqual([
      'undo:demote validator2',
      'undo:verify demotion validator2',
      'undo:promote validator1 (via agent)',
      'undo:verify voting validator1',
    ]);
    expect(d.notified('rolled-back')).toEqual([
      expect.objectContaining({ failedStep: 'promote validator2 (via agent)', detail: 'tower refused' }),
    ]);
    expect(d.state).toMatchObject({ status: 'cooldown', active: 'validator1' });
  });

  it('is refused toward an unhealthy passive, with the cause', () => {
    const d = started();
    d.tick({ v2: laggingPassive });
    expect(d.switchover()).toContainEqual(
      expect.objectContaining({
        kind: 'switchover-answer',
        answer: { accepted: false, refusal: expect.objectContaining({ kind: 'passive-unhealthy' }) },
      }),
    );
    expect(d.failovers()).toHaveLength(0);
  });

  it('is refused in dry-run', () => {
    const d = started({ ...FAST, dryRun: true });
    expect(d.switchover()).toContainEqual(
      expect.objectContaining({
        answer: { accepted: false, refusal: { kind: 'dry-run', from: 'validator1', to: 'validator2' } },
      }),
    );
  });

  it('may name the node to take the identity when nobody holds it', () => {
    const d = started();
    d.tick({ v1: up(status()) });
    d.switchover('validator1');
    expect(d.failovers()[0]?.plan).toMatchObject({ kind: 'recovery', to: 'validator1' });
  });
});

describe('manager machine: reporting', () => {
  it('notifies unreachable once and back online once, with the downtime', () => {
    const d = started();
    d.tick({ v2: down() });
    d.tick({ v2: down() });
    d.tick();
    expect(d.notified('unreachable').map((e) => e.node)).toEqual(['validator2']);
    expect(d.notified('back-online')).toEqual([expect.objectContaining({ node: 'validator2', downForMs: 10_000 })]);
  });

  it('sends a status report every interval', () => {
    const d = new ManagerDriver({ ...FAST, statusReportIntervalMs: 20_000 });
    for (let i = 0; i < 9; i++) d.tick();
    expect(d.notified('status-report').map((e) => e.at)).toEqual([20_000, 40_000]);
    expect(d.notified('status-report')[0]?.nodes).toEqual([
      { node: 'validator1', reachable: true, role: 'active', slot: 1000, healthy: true },
      { node: 'validator2', reachable: true, role: 'passive', slot: 1000, healthy: true },
    ]);
  });

  it('notifies when the identity moves without a failover of its own', () => {
    const d = started();
    d.tick({ v1: up(status()), v2: up(activeStatus()) });
    expect(d.notified('activated')).toEqual([expect.objectContaining({ node: 'validator2', previous: 'validator1' })]);
  });

  it('applies a configuration change to the next decisions', () => {
    const d = started({ ...FAST, dryRun: true });
    d.apply({ type: 'config-changed', options: { dryRun: false }, at: d.now });
    for (let i = 0; i < 3; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(1);
  });
});

describe('manager machine: a returning old active (S1)', () => {
  /** validator1 unreachable and silent on the cluster; the manager promoted validator2 past it. */
  function promotedPastUnreachable(): ManagerDriver {
    const d = started({ ...FAST, stakedIdentityPubkey: STAKED });
    for (let i = 0; i < 3; i++) d.tick({ v1: down(), ...voteStale });
    expect(d.stepsRun()).toEqual(['prove stopped voting validator1']);
    d.completeAll();
    expect(d.state).toMatchObject({ status: 'cooldown', active: 'validator2', holder: 'validator2' });
    return d;
  }
  const holderVoting = up(activeStatus({ validatorSlot: 1200 }));

  // Regression: a node that came back still holding the staked identity got only a both-active block, and kept voting.
  it('demotes the node that comes back claiming the identity at once, in cooldown, and never touches the holder', () => {
    const d = promotedPastUnreachable();
    const before = d.stepsRun().length;
    d.tick({ v1: up(activeStatus()), v2: holderVoting, slot: 1200 });
    expect(d.notified('fence-started')).toEqual([
      expect.objectContaining({ node: 'validator1', holder: 'validator2' }),
    ]);
    expect(d.notified('blocked').map((e) => e.cause.kind)).not.toContain('both-active');
    d.completeAll();
    expect(d.stepsRun().slice(before)).toEqual(['demote validator1', 'verify demotion validator1']);
    expect(d.notified('fence-ended')).toEqual([
      expect.objectContaining({ node: 'validator1', holder: 'validator2', ok: true }),
    ]);
    expect(d.state).toMatchObject({
      status: 'cooldown',
      active: 'validator2',
      holder: 'validator2',
      until: d.notified('failover-complete')[0]!.at + 60_000,
    });
  });

  const intruders: [string, NodeObservation][] = [
    ['says it is active', up(status({ isActive: true, role: 'active' }))],
    ['runs the staked identity while its agent says passive', up(status({ identityPubkey: STAKED }))],
    ['is taking the identity on its own', up(status({ role: 'activating' }))],
  ];
  it.each(intruders)('fences a node that %s while the holder is unreachable', (_name, intruder) => {
    const d = promotedPastUnreachable();
    d.tick({ v1: intruder, v2: down(), slot: 1200 });
    expect(d.failovers().at(-1)?.plan).toMatchObject({ kind: 'fence', from: 'validator1', to: 'validator2' });
  });

  it('reports a fence that could not demote as failed and keeps the recorded holder', () => {
    const d = promotedPastUnreachable();
    d.tick({ v1: up(activeStatus()), v2: holderVoting, slot: 1200 });
    for (let i = 0; i < 3; i++) d.answer({ ok: false, detail: 'become_passive to validator1: timeout' });
    expect(d.notified('fence-ended')).toEqual([
      expect.objectContaining({
        ok: false,
        failedStep: 'demote validator1',
        detail: 'become_passive to validator1: timeout',
      }),
    ]);
    expect(d.state).toMatchObject({ holder: 'validator2', active: 'validator2' });
    d.tick({ v1: up(activeStatus()), v2: holderVoting, slot: 1200 });
    expect(d.notified('fence-started')).toHaveLength(2);
  });

  it('without a recorded holder, as after a manager restart, two claimants stay a block and nobody is demoted', () => {
    const d = started();
    for (let i = 0; i < 4; i++) d.tick({ v2: up(activeStatus()) });
    expect(d.state.holder).toBeNull();
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['both-active']);
  });

  it('in dry run never fences, even with a recorded holder', () => {
    const d = promotedPastUnreachable();
    d.apply({ type: 'config-changed', options: { dryRun: true }, at: d.now });
    d.tick({ v1: up(activeStatus()), v2: holderVoting, slot: 1200 });
    expect(d.notified('fence-started')).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause.kind)).toEqual(['both-active']);
  });
});

describe("manager machine: the new node's pre_promote hook vetoes", () => {
  const veto = { kind: 'hook-refused' } as const;
  function refuse(d: ManagerDriver, detail: string): void {
    d.now += 1_000;
    d.apply({
      type: 'step-result',
      token: d.runningStep()!.token,
      result: { ok: false, detail },
      at: d.now,
      refusal: veto,
    });
  }

  it('a planned switchover before anything changed: aborted with the reason, the old active never demoted, no retry', () => {
    const d = started();
    d.switchover();
    expect(d.runningStep()?.step.action).toEqual({ kind: 'check-promote', node: 'validator2' });
    refuse(d, 'FAILOVER_HOOK_REFUSED: pre_promote exited with 7: not in the window');
    expect(d.stepsRun()).toEqual(['check promote validator2']);
    expect(d.notified('failover-failed')).toEqual([
      expect.objectContaining({
        outcome: 'aborted',
        failedStep: 'check promote validator2',
        detail: expect.stringContaining('not in the window'),
      }),
    ]);
    expect(d.state).toMatchObject({ active: 'validator1', hold: null });
    expect(d.records()).toContainEqual(
      expect.objectContaining({
        kind: 'step-finished',
        ok: false,
        detail: expect.stringContaining('not in the window'),
      }),
    );
  });

  it('a promotion past an unreachable old active: not retried, and no hold', () => {
    const d = started();
    for (let i = 0; i < 3; i++) d.tick({ v1: down(), ...voteStale });
    d.answer({ ok: true });
    expect(d.runningStep()?.step.action).toEqual({ kind: 'promote', node: 'validator2', via: 'agent' });
    refuse(d, 'FAILOVER_HOOK_REFUSED: pre_promote exited with 7');
    d.completeAll();
    expect(d.stepsRun().filter((step) => step === 'promote validator2 (via agent)')).toHaveLength(1);
    expect(d.notified('blocked')).toEqual([]);
    expect(d.state.hold).toBeNull();
  });
});

describe('manager machine: a stale tower past an unreachable old active (S2)', () => {
  const refusal = { kind: 'stale-tower', towerSlot: 990, lastVote: 999 } as const;
  function refusedOnce(options = FAST): ManagerDriver {
    const d = started(options);
    for (let i = 0; i < 3; i++) d.tick({ v1: down(), ...voteStale });
    d.answer({ ok: true });
    const step = d.runningStep();
    expect(step?.step.action).toEqual({ kind: 'promote', node: 'validator2', via: 'agent' });
    d.now += 1_000;
    d.apply({
      type: 'step-result',
      token: step!.token,
      result: { ok: false, detail: 'FAILOVER_TOWER_STALE' },
      at: d.now,
      refusal,
    });
    return d;
  }

  it('holds with the cause, reported once, changes nothing, and retries every tick until a fresh backup lets it through', () => {
    const d = refusedOnce();
    expect(d.state).toMatchObject({ status: 'monitoring', active: 'validator1', holder: null });
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      { kind: 'stale-tower', node: 'validator2', towerSlot: 990, lastVote: 999 },
    ]);
    expect(d.notified('failover-failed')).toEqual([]);
    d.tick({ v1: down(), ...voteStale });
    expect(d.failovers()).toHaveLength(2);
    expect(d.notified('failover-started')).toHaveLength(1);
    d.answer({ ok: true });
    d.apply({
      type: 'step-result',
      token: d.runningStep()!.token,
      result: { ok: false, detail: 'FAILOVER_TOWER_STALE' },
      at: d.now,
      refusal,
    });
    expect(d.notified('blocked')).toHaveLength(1);
    d.tick({ v1: down(), ...voteStale });
    d.completeAll();
    expect(d.notified('failover-complete')).toHaveLength(1);
    expect(d.state).toMatchObject({ active: 'validator2', holder: 'validator2', hold: null });
  });

  // Regression: a heartbeat read while the refused promotion ran showed validator2 `activating`;
  // it was announced as the new active, cleared the hold, and the next retry was a new failover.
  it('takes a node seen mid-promotion for neither the new active nor the end of the hold', () => {
    const d = refusedOnce();
    d.tick({ v1: down(), ...voteStale, v2: up(status({ validatorSlot: 1200, role: 'activating', isActive: true })) });
    expect(d.notified('activated')).toEqual([]);
    expect(d.notified('unblocked')).toEqual([]);
    expect(d.state).toMatchObject({ status: 'monitoring', active: 'validator1', hold: { kind: 'stale-tower' } });
    d.tick({ v1: down(), ...voteStale });
    expect(d.failovers()).toHaveLength(2);
    expect(d.notified('failover-started')).toHaveLength(1);
    expect(d.notified('blocked')).toHaveLength(1);
  });

  it('answers a switchover refused for a stale tower with an aborted failover, so the caller hears the end', () => {
    const d = started();
    d.tick({ v1: down(), ...voteStale });
    d.switchover();
    d.answer({ ok: true });
    d.apply({
      type: 'step-result',
      token: d.runningStep()!.token,
      result: { ok: false, detail: 'FAILOVER_TOWER_STALE' },
      at: d.now,
      refusal,
    });
    expect(d.notified('failover-failed')).toEqual([
      expect.objectContaining({ outcome: 'aborted', failedStep: 'promote validator2 (via agent)' }),
    ]);
    expect(d.state.hold).toMatchObject({ kind: 'stale-tower' });
  });
});

describe('manager machine: the tower floor is mandatory outside dry run (S2)', () => {
  it('holds an automatic failover while the vote account cannot be read, and fails over once it can', () => {
    const d = started();
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed, lastVote: null });
    expect(d.failovers()).toHaveLength(0);
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      {
        kind: 'no-tower-floor',
        node: 'validator2',
        detail: 'the vote account has not been read from the cluster RPC',
      },
    ]);
    d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(1);
  });

  it('says at the first heartbeat that nothing can be promoted when no vote account is configured', () => {
    const d = new ManagerDriver({ ...FAST, voteAccountConfigured: false });
    d.tick();
    expect(d.notified('blocked').map((e) => e.cause)).toEqual([
      {
        kind: 'no-tower-floor',
        node: 'validator2',
        detail: 'vote_account_pubkey is not set (docs/safety.md, "The tower floor")',
      },
    ]);
    expect(d.state.hold).toMatchObject({ kind: 'no-tower-floor' });
  });

  it('keeps quiet about a missing vote account in dry run', () => {
    const d = new ManagerDriver({ ...FAST, dryRun: true, voteAccountConfigured: false });
    d.tick();
    expect(d.notified('blocked')).toEqual([]);
  });

  it('refuses every promotion, switchover included, when no vote account is configured', () => {
    const d = started({ ...FAST, voteAccountConfigured: false });
    for (let i = 0; i < 4; i++) d.tick({ v1: crashed });
    expect(d.failovers()).toHaveLength(0);
    expect(d.state.hold).toMatchObject({ kind: 'no-tower-floor', node: 'validator2' });
    d.switchover();
    expect(d.failovers()).toHaveLength(0);
  });

  it('holds a planned switchover whose promotion found no floor instead of rolling back without one', () => {
    const d = started();
    d.switchover();
    for (let i = 0; i < 4; i++) d.answer({ ok: true });
    const step = d.runningStep();
    expect(step?.step.action).toEqual({ kind: 'promote', node: 'validator2', via: 'agent' });
    d.now += 1_000;
    d.apply({
      type: 'step-result',
      token: step!.token,
      result: { ok: false, detail: 'no tower floor' },
      at: d.now,
      refusal: { kind: 'no-tower-floor', detail: 'getVoteAccounts failed 3 times' },
    });
    expect(d.stepsRun().filter((s) => s.startsWith('undo:'))).toEqual([]);
    expect(d.state.status).toBe('monitoring');
    expect(d.state.hold).toEqual({
      kind: 'no-tower-floor',
      node: 'validator2',
      detail: 'getVoteAccounts failed 3 times',
    });
    expect(d.notified('failover-failed')).toEqual([expect.objectContaining({ outcome: 'aborted' })]);
  });
});
