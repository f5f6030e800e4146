import type { FailoverAction, FailoverPlan, PlanInput, RecoveryPlanInput, SequenceNext } from '@failover/core';
import {
  OLD_ACTIVE_HEALTHY,
  advanceSequence,
  createFailoverPlan,
  createFencePlan,
  createRecoveryPlan,
  describeAction,
  describePlan,
  everyStepLabel,
  startSequence,
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

/** Runs `plan` with every step succeeding but the one `failing` names, and returns how it ended and what ran. */
function runFailing(plan: FailoverPlan, failing: string): { outcome: string; ran: string[]; warnings: string[] } {
  const ran: string[] = [];
  let next: SequenceNext<FailoverAction> = startSequence(plan.steps);
  while (next.kind === 'run') {
    const label = describeAction(next.run.current.action);
    ran.push(label);
    next = advanceSequence(next.run, label === failing ? { ok: false, detail: 'exit 1' } : { ok: true });
  }
  return {
    outcome: next.result.outcome,
    ran,
    warnings: next.result.warnings.map((w) => describeAction(w.step.action)),
  };
}

describe("the manager's hooks in a plan", () => {
  const hooks = { preFailover: 'must-succeed', postFailover: true } as const;

  it.each<[string, FailoverPlan, string[]]>([
    [
      'a switchover runs pre_failover after the check and before the demotion, post_failover once the new node votes',
      createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true, hooks }),
      [
        'check promote validator2',
        'pre_failover hook (to validator2)',
        'demote validator1',
        'verify demotion validator1',
        'final tower backup validator1',
        'promote validator2 (via agent)',
        'verify voting validator2',
        'post_failover hook (to validator2)',
      ],
    ],
    [
      'past an unreachable old active, pre_failover runs before the proof, which may power it off',
      createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: false, hooks }),
      [
        'pre_failover hook (to validator2)',
        'prove stopped voting validator1',
        'promote validator2 (via agent)',
        'verify voting validator2',
        'post_failover hook (to validator2)',
      ],
    ],
    [
      'a recovery runs them around the promotion, after the read-only check of the other node',
      createRecoveryPlan({ node: 'validator2', lastHolder: 'validator1', hooks }),
      [
        'verify demotion validator1',
        'pre_failover hook (to validator2)',
        'promote validator2 (via agent)',
        'verify voting validator2',
        'post_failover hook (to validator2)',
      ],
    ],
  ])('%s', (_name, plan, expected) => {
    expect(labels(plan)).toEqual(expected);
    expect(plan.hooks).toEqual(hooks);
  });

  it('a fence of a second voter runs no hook: nothing may delay it', () => {
    const plan = createFencePlan({ node: 'validator1', holder: 'validator2' });
    expect(plan.steps.map((s) => s.action.kind)).toEqual(['demote', 'verify-demotion']);
  });

  it('a failing pre_failover that must succeed aborts before anything changed', () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true, hooks });
    expect(runFailing(plan, 'pre_failover hook (to validator2)')).toEqual({
      outcome: 'aborted',
      ran: ['check promote validator2', 'pre_failover hook (to validator2)'],
      warnings: [],
    });
  });

  it('a failing pre_failover that may fail is a warning, and the switchover goes on to the end', () => {
    const plan = createFailoverPlan({
      from: 'validator1',
      to: 'validator2',
      fromReachable: true,
      hooks: { preFailover: 'may-fail', postFailover: false },
    });
    const run = runFailing(plan, 'pre_failover hook (to validator2)');
    expect(run).toMatchObject({ outcome: 'completed', warnings: ['pre_failover hook (to validator2)'] });
    expect(run.ran.at(-1)).toBe('verify voting validator2');
  });

  it('a failing post_failover is a warning and never undoes the change', () => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true, hooks });
    const run = runFailing(plan, 'post_failover hook (to validator2)');
    expect(run).toMatchObject({ outcome: 'completed', warnings: ['post_failover hook (to validator2)'] });
    expect(run.ran.filter((label) => label.startsWith('demote'))).toEqual(['demote validator1']);
  });

  it('gives each hook step its own time limit', () => {
    const plan = createFailoverPlan({
      from: 'validator1',
      to: 'validator2',
      fromReachable: true,
      hooks,
      timeouts: { preFailoverMs: 7_000, postFailoverMs: 9_000 },
    });
    expect(plan.steps[1]).toMatchObject({ attempts: 1, timeoutMs: 7_000 });
    expect(plan.steps.at(-1)).toMatchObject({ attempts: 1, timeoutMs: 9_000 });
  });
});

describe('everyStepLabel', () => {
  it('names each step any plan can run, compensations and both identity modes included, once each', () => {
    const labels = everyStepLabel();
    expect(new Set(labels).size).toBe(labels.length);
    const secureSwitchover = createFailoverPlan({
      from: 'validator2',
      to: 'validator1',
      fromReachable: true,
      secureMode: true,
    });
    const undo = secureSwitchover.steps.flatMap((s) => s.undo ?? []);
    for (const step of [...secureSwitchover.steps, ...undo]) expect(labels).toContain(describeAction(step.action));
    expect(labels).toEqual(
      expect.arrayContaining([
        'prove stopped voting validator1',
        'pre_failover hook (to validator2)',
        'post_failover hook (to validator1)',
      ]),
    );
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
