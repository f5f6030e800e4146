import type { Violation, VotingGap, VotingGaps } from '@failover/solana-sim';
import { decideVerdict, renderFailover, renderNodeLine, renderVerdict, stamp } from '../src/demo-view';
import type { FailoverReport } from '../src/manager-log';

const staked = 'StakedStakedStakedStakedStakedStakedStake1';

const handover: VotingGap = { fromSlot: 100, toSlot: 106, slots: 5, ms: 2000, fromValidator: 'v1', toValidator: 'v2' };
const gaps = (handovers: VotingGap[]): VotingGaps => ({
  identity: staked,
  votes: 40,
  gaps: handovers,
  largest: handovers[0] ?? null,
  handovers,
});
const complete: FailoverReport = {
  outcome: 'failover-complete',
  from: 'validator1',
  to: 'validator2',
  totalMs: 578,
  message: 'Failover complete',
  at: 0,
  steps: [
    { step: 'demote validator1', ms: 372, attempts: 1, ok: true, compensating: false },
    { step: 'promote validator2 (via agent)', ms: 129, attempts: 2, ok: true, compensating: false },
  ],
};
const doubleVote: Violation = {
  kind: 'double-vote',
  reason: 'same-slot',
  identity: staked,
  validators: ['v1', 'v2'],
  firstSlot: 101,
  lastSlot: 103,
  firstTimeMs: 0,
  count: 3,
};
const lockout: Violation = {
  kind: 'lockout-violation',
  identity: staked,
  validator: 'v2',
  previousValidator: 'v1',
  previousLastVote: 105,
  firstSlot: 104,
  lastSlot: 104,
  firstTimeMs: 0,
  count: 1,
};

describe("the demo's verdict", () => {
  it.each<
    [
      string,
      Parameters<typeof decideVerdict>[0],
      { ok: boolean; doubleVotes: number; lockoutViolations: number; problems: RegExp[] },
    ]
  >([
    [
      'passes a completed failover with a closed gap and no violation',
      { violations: [], gaps: gaps([handover]), failover: complete, from: 'v1', to: 'v2' },
      { ok: true, doubleVotes: 0, lockoutViolations: 0, problems: [] },
    ],
    [
      'fails on double votes, counting every merged vote',
      { violations: [doubleVote], gaps: gaps([handover]), failover: complete, from: 'v1', to: 'v2' },
      { ok: false, doubleVotes: 3, lockoutViolations: 0, problems: [/3 double vote/] },
    ],
    [
      'fails on a lockout violation',
      { violations: [lockout], gaps: gaps([handover]), failover: complete, from: 'v1', to: 'v2' },
      { ok: false, doubleVotes: 0, lockoutViolations: 1, problems: [/lockout violation/] },
    ],
    [
      'fails when voting never resumed on the other machine',
      {
        violations: [],
        gaps: gaps([{ ...handover, toSlot: null, toValidator: null }]),
        failover: complete,
        from: 'v1',
        to: 'v2',
      },
      { ok: false, doubleVotes: 0, lockoutViolations: 0, problems: [/did not resume on v2/] },
    ],
    [
      'fails when the identity went back to the crashed machine instead',
      {
        violations: [],
        gaps: gaps([{ ...handover, fromValidator: 'v2', toValidator: 'v1' }]),
        failover: complete,
        from: 'v1',
        to: 'v2',
      },
      { ok: false, doubleVotes: 0, lockoutViolations: 0, problems: [/did not resume on v2/] },
    ],
    [
      'fails when the manager reported no failover',
      { violations: [], gaps: gaps([handover]), failover: undefined, from: 'v1', to: 'v2' },
      { ok: false, doubleVotes: 0, lockoutViolations: 0, problems: [/no finished failover/] },
    ],
    [
      'fails when the failover was rolled back',
      {
        violations: [],
        gaps: gaps([handover]),
        failover: { ...complete, outcome: 'rolled-back', totalMs: undefined },
        from: 'v1',
        to: 'v2',
      },
      { ok: false, doubleVotes: 0, lockoutViolations: 0, problems: [/ended rolled-back/] },
    ],
  ])('%s', (_name, input, expected) => {
    const verdict = decideVerdict(input);
    expect(verdict).toMatchObject({
      ok: expected.ok,
      doubleVotes: expected.doubleVotes,
      lockoutViolations: expected.lockoutViolations,
    });
    expect(verdict.problems).toHaveLength(expected.problems.length);
    expected.problems.forEach((problem, i) => expect(verdict.problems[i]).toMatch(problem));
  });

  it('states the verdict on its first line in a fixed, machine-readable form', () => {
    const verdict = decideVerdict({ violations: [], gaps: gaps([handover]), failover: complete, from: 'v1', to: 'v2' });
    expect(renderVerdict(verdict, [])).toEqual([
      'verdict: PASS: 0 double votes, 0 lockout violations, voting gap 5 slots (2000 ms) v1 → v2',
    ]);
  });

  it('lists each problem and each violation under a failing verdict', () => {
    const verdict = decideVerdict({
      violations: [doubleVote, lockout],
      gaps: gaps([]),
      failover: complete,
      from: 'v1',
      to: 'v2',
    });
    const lines = renderVerdict(verdict, [doubleVote, lockout]);
    expect(lines[0]).toBe('verdict: FAIL: 3 double votes, 1 lockout violations, voting gap still open');
    expect(lines.slice(1).join('\n')).toMatch(
      /problem: 3 double vote[\s\S]*double vote \(same-slot\) by v1 and v2, slots 101–103[\s\S]*lockout violation by v2 below v1's last vote 105/,
    );
  });
});

describe("the demo's live lines", () => {
  it("names the failover's steps with their times and retries", () => {
    expect(renderFailover(complete)).toEqual([
      'failover validator1 → validator2 complete in 578 ms:',
      '  ✓ demote validator1                  372 ms',
      '  ✓ promote validator2 (via agent)     129 ms  (2 attempts)',
    ]);
  });

  it('says whether a node runs the staked identity, and when its process is down', () => {
    const sample = {
      name: 'v1',
      node: 'validator1',
      role: 'active',
      identity: staked,
      slot: 120,
      lag: 0,
      lastVote: 121,
      up: true,
      towerBackupAgeS: 2,
    };
    expect(renderNodeLine(sample, staked)).toMatch(
      /^v1 validator1 {2}active +staked id +slot 120 +lag 0 +last vote 121 +tower backup 2s ago$/,
    );
    expect(
      renderNodeLine({ ...sample, up: false, identity: null, lastVote: null, towerBackupAgeS: null }, staked),
    ).toMatch(/process down +slot 120 +lag 0 +last vote - +tower backup never$/);
    expect(renderNodeLine({ ...sample, identity: 'Other' }, staked)).toContain('unstaked id');
  });

  it('stamps lines with the seconds since the start, fixed width', () => {
    expect(stamp(0)).toBe('+   0.0s');
    expect(stamp(12_345)).toBe('+  12.3s');
  });
});
