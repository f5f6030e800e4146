import { judgeHostFenced, type HostFenceEvidence, type HostFenceVerdict } from '@failover/core';

const rules = { guardBoundMs: 30_000 };
const evidence = (over: Partial<HostFenceEvidence> = {}): HostFenceEvidence => ({
  silentSince: 0,
  fenceCommandSucceeded: false,
  voteProven: true,
  ...over,
});

describe('judgeHostFenced', () => {
  const cases: [string, HostFenceEvidence, number, HostFenceVerdict][] = [
    [
      'a fence command that exited 0 fences, vote proof or not',
      evidence({ fenceCommandSucceeded: true, voteProven: false }),
      0,
      { fenced: true, by: 'fence-command' },
    ],
    [
      'the vote proof once the guard bound has passed fences',
      evidence(),
      30_000,
      { fenced: true, by: 'guard-bound-and-vote' },
    ],
    [
      'the vote proof within the guard bound does not fence: a frozen validator may still thaw staked',
      evidence(),
      29_999,
      expect.objectContaining({ fenced: false, waitMs: 1 }) as HostFenceVerdict,
    ],
    [
      'the guard bound without the vote proof does not fence: silence alone is never proof',
      evidence({ voteProven: false }),
      600_000,
      expect.objectContaining({ fenced: false, waitMs: 0 }) as HostFenceVerdict,
    ],
    [
      'the bound counts from when the agent was last heard, not from the start of the failover',
      evidence({ silentSince: 50_000 }),
      70_000,
      expect.objectContaining({ fenced: false, waitMs: 10_000 }) as HostFenceVerdict,
    ],
  ];
  it.each(cases)('%s', (_name, input, now, verdict) => {
    expect(judgeHostFenced(input, rules, now)).toEqual(verdict);
  });

  it('says why it waits, naming guard_bound', () => {
    const verdict = judgeHostFenced(evidence({ silentSince: 10_000 }), rules, 20_000);
    expect(verdict).toMatchObject({ fenced: false });
    expect(!verdict.fenced && verdict.detail).toContain('guard_bound');
  });
});
