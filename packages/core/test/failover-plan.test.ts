import type { FailoverPlan, PlanInput, RecoveryPlanInput } from '@failover/core';
import {
  OLD_ACTIVE_HEALTHY,
  createFailoverPlan,
  createRecoveryPlan,
  describeAction,
  describePlan,
} from '@failover/core';

function labels(plan: FailoverPlan): string[] {
  return plan.steps.map((s) => describeAction(s.action));
}

describe('createFailoverPlan', () => {
  const cases: [string, PlanInput, string[]][] = [
    [
      'reachable old active, agent mode',
      { from: 'validator1', to: 'validator2', fromReachable: true },
      [
        'check promote validator2',
        'demote validator1',
        'verify demotion validator1',
        'final tower backup validator1',
        'promote validator2 (via agent)',
        'verify voting validator2',
      ],
    ],
    [
      'reachable old active, secure mode restores the tower before pushing the identity',
      { from: 'validator1', to: 'validator2', fromReachable: true, secureMode: true },
      [
        'check promote validator2',
        'demote validator1',
        'verify demotion validator1',
        'final tower backup validator1',
        'restore tower validator2',
        'promote validator2 (identity over SSH)',
        'verify voting validator2',
      ],
    ],
    [
      'unreachable old active is never contacted; proof comes first',
      { from: 'validator2', to: 'validator1', fromReachable: false },
      ['prove stopped voting validator2', 'promote validator1 (via agent)', 'verify voting validator1'],
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(labels(createFailoverPlan(input))).toEqual(expected);
  });

  it("asks the new node's pre_promote hook first, with nothing to undo, so a veto ends the switchover before the demotion", () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true });
    expect(plan.steps[0]).toMatchObject({ action: { kind: 'check-promote', node: 'validator2' }, onFailure: 'stop' });
    expect(plan.steps[0]?.undo).toBeUndefined();
    expect(plan.steps[1]?.action).toEqual({ kind: 'demote', node: 'validator1' });
  });

  it('stops, never continues, on any failure: every step is safety-relevant', () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true });
    expect(plan.steps.every((s) => s.onFailure === 'stop')).toBe(true);
  });

  it('undoes a failed promotion by demoting the new node before handing the identity back', () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true });
    const promote = plan.steps.find((s) => s.action.kind === 'promote');
    expect(promote?.undoIfFailed).toBe(true);
    expect(promote?.undo?.map((s) => describeAction(s.action))).toEqual([
      'demote validator2',
      'verify demotion validator2',
    ]);
    const demote = plan.steps[1];
    expect(demote?.undo?.map((s) => [describeAction(s.action), s.guard])).toEqual([
      ['promote validator1 (via agent)', OLD_ACTIVE_HEALTHY],
      ['verify voting validator1', undefined],
    ]);
  });

  // Regression: the SSH rollback handed the identity back with no tower file on the old active.
  it("in secure mode restores the old active's tower before handing the identity back over SSH", () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true, secureMode: true });
    expect(plan.steps[1]?.undo?.map((s) => [describeAction(s.action), s.guard])).toEqual([
      ['restore tower validator1', OLD_ACTIVE_HEALTHY],
      ['promote validator1 (identity over SSH)', OLD_ACTIVE_HEALTHY],
      ['verify voting validator1', undefined],
    ]);
  });

  it('applies given timeouts and keeps the defaults for the rest', () => {
    const plan = createFailoverPlan({
      from: 'validator1',
      to: 'validator2',
      fromReachable: true,
      timeouts: { demoteMs: 5 },
    });
    expect(plan.steps[1]?.timeoutMs).toBe(5);
    expect(plan.steps[2]?.timeoutMs).toBe(30_000);
  });
});

describe('createRecoveryPlan', () => {
  const cases: [string, RecoveryPlanInput, string[]][] = [
    [
      'the last holder takes the identity back; the other node is checked, never demoted',
      { node: 'validator1', lastHolder: 'validator1' },
      ['verify demotion validator2', 'promote validator1 (via agent)', 'verify voting validator1'],
    ],
    [
      'the other node takes it when the last holder cannot',
      { node: 'validator2', lastHolder: 'validator1' },
      ['verify demotion validator1', 'promote validator2 (via agent)', 'verify voting validator2'],
    ],
    [
      'secure mode restores the tower before pushing the identity',
      { node: 'validator2', lastHolder: 'validator1', secureMode: true },
      [
        'verify demotion validator1',
        'restore tower validator2',
        'promote validator2 (identity over SSH)',
        'verify voting validator2',
      ],
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const plan = createRecoveryPlan(input);
    expect(labels(plan)).toEqual(expected);
    expect(plan).toMatchObject({ kind: 'recovery', from: input.lastHolder, to: input.node });
  });

  it('takes a failed promotion off the node again, unguarded, and never hands the identity to the other node', () => {
    const plan = createRecoveryPlan({ node: 'validator2', lastHolder: 'validator1' });
    const promote = plan.steps.find((s) => s.action.kind === 'promote');
    expect(promote?.undoIfFailed).toBe(true);
    expect(promote?.undo?.map((s) => [describeAction(s.action), s.guard])).toEqual([
      ['demote validator2', undefined],
      ['verify demotion validator2', undefined],
    ]);
    expect(plan.steps.every((s) => s.onFailure === 'stop')).toBe(true);
  });

  it('is printed as a recovery naming who stepped down, who takes the identity and who stays passive', () => {
    const lines = describePlan(createRecoveryPlan({ node: 'validator2', lastHolder: 'validator1' }));
    expect(lines[0]).toBe(
      'Recovery: nobody holds the identity since validator1 stepped down; validator2 takes it, validator1 stays passive:',
    );
  });
});

describe('describePlan', () => {
  it('prints each step with attempts, limit, failure handling, reason and undo', () => {
    const lines = describePlan(createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true }));
    expect(lines[0]).toBe('Switchover validator1 → validator2:');
    expect(lines[1]).toBe(
      '1. check promote validator2 — 2 attempt(s), 90s each; on failure: stop and undo the completed steps.',
    );
    expect(lines[3]).toBe(
      '2. demote validator1 — 2 attempt(s), 660s each; on failure: stop and undo the completed steps.',
    );
    expect(lines[4]).toMatch(/^ {3}Why: Stop the old active voting first \(S1\)/);
    expect(lines[5]).toBe('   Undo: promote validator1 (via agent) if old-active-healthy; verify voting validator1');
    expect(lines.filter((l) => /^\d+\./.test(l))).toHaveLength(6);
  });
});
