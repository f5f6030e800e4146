import fc from 'fast-check';
import { createJudge } from '../src/judge';
import type { VoteRecord } from '../src/judge';

const ID = 'Staked1111111111111111111111111111111111111';

function vote(validator: string, slot: number, timeMs: number, landed = true, tipSlot = slot): VoteRecord {
  return { identity: ID, slot, tipSlot, validator, timeMs, landed };
}

function agVote(validator: string, slot: number, timeMs: number, landed = true): VoteRecord {
  return { ...vote(validator, slot, timeMs, landed), consensus: 'alpenglow' };
}

describe('judge', () => {
  it.each([
    {
      name: 'one machine voting every slot is clean',
      votes: [vote('a', 1, 0), vote('a', 2, 400), vote('a', 3, 800)],
      kinds: [],
    },
    {
      name: 'two machines on the same slot is a double vote (and below the lockout)',
      votes: [vote('a', 10, 0), vote('b', 10, 5000)],
      kinds: ['double-vote/same-slot', 'lockout-violation'],
    },
    {
      name: 'a machine that keeps voting across a vote of another is a double vote',
      votes: [vote('a', 10, 0), vote('b', 11, 100), vote('a', 12, 400)],
      kinds: ['double-vote/overlapping-time'],
    },
    {
      // Regression: a clean handover faster than one slot was reported as a double vote.
      name: 'a handover inside one slot, the old holder never voting again, is clean',
      votes: [vote('a', 9, -400), vote('a', 10, 0), vote('b', 11, 365), vote('b', 12, 765)],
      kinds: [],
    },
    {
      name: 'a handover after the window, above the last vote, is clean',
      votes: [vote('a', 10, 0), vote('b', 14, 1600)],
      kinds: [],
    },
    {
      name: 'a new holder voting at or below the last vote is a lockout violation',
      votes: [vote('a', 10, 0), vote('b', 8, 2000)],
      kinds: ['lockout-violation'],
    },
    {
      name: 'the old holder waking up inside the window is a double vote',
      votes: [vote('a', 10, 0), vote('b', 15, 2000), vote('a', 16, 2100), vote('b', 17, 2400)],
      kinds: ['double-vote/overlapping-time'],
    },
    {
      name: 'a vote that did not land still counts against safety',
      votes: [vote('a', 10, 0), vote('b', 10, 3000, false)],
      kinds: ['double-vote/same-slot', 'lockout-violation'],
    },
  ])('$name', ({ votes, kinds }) => {
    const judge = createJudge({ windowMs: 1200 });
    for (const v of votes) judge.record(v);
    expect(
      judge
        .violations()
        .map((v) => (v.kind === 'double-vote' ? `${v.kind}/${v.reason}` : v.kind))
        .sort(),
    ).toEqual([...kinds].sort());
  });

  it.each([
    {
      name: 'two machines voting one slot in Alpenglow is a double vote',
      votes: [agVote('a', 10, 0), agVote('b', 10, 5000)],
      kinds: ['double-vote/same-slot'],
    },
    {
      name: 'an Alpenglow vote that did not land still counts',
      votes: [agVote('a', 10, 0), agVote('b', 10, 100, false)],
      kinds: ['double-vote/same-slot'],
    },
    {
      // Alpenglow has no lockouts: a new holder may vote slots the old one never voted, even below its last.
      name: 'a new holder voting below the old holder’s last vote, on other slots, is clean in Alpenglow',
      votes: [agVote('a', 10, 0), agVote('a', 12, 400), agVote('b', 11, 2000), agVote('b', 13, 2400)],
      kinds: [],
    },
    {
      name: 'two machines alternating on different slots inside the window is clean in Alpenglow',
      votes: [agVote('a', 10, 0), agVote('b', 11, 100), agVote('a', 12, 400)],
      kinds: [],
    },
    {
      name: 'one machine voting the same slot twice (notarize, then finalize) is clean',
      votes: [agVote('a', 10, 0), agVote('a', 10, 50), agVote('a', 11, 400)],
      kinds: [],
    },
    {
      name: 'the tower rules still hold for tower votes before the switch',
      votes: [vote('a', 10, 0), vote('b', 8, 2000), agVote('b', 20, 4000)],
      kinds: ['lockout-violation'],
    },
  ])('$name', ({ votes, kinds }) => {
    const judge = createJudge({ windowMs: 1200 });
    for (const v of votes) judge.record(v);
    expect(
      judge
        .violations()
        .map((v) => (v.kind === 'double-vote' ? `${v.kind}/${v.reason}` : v.kind))
        .sort(),
    ).toEqual([...kinds].sort());
  });

  it('always flags two machines voting one slot in Alpenglow, whatever else happened', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ who: fc.constantFrom('a', 'b'), slot: fc.integer({ min: 0, max: 1000 }), t: fc.nat(100_000) }),
          { maxLength: 50 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        (others, shared) => {
          const judge = createJudge({ windowMs: 1200 });
          for (const o of others) judge.record(agVote(o.who, o.slot, o.t));
          judge.record(agVote('a', shared, 200_000));
          judge.record(agVote('b', shared, 300_000));
          return judge.violations().some((v) => v.kind === 'double-vote' && v.reason === 'same-slot');
        },
      ),
    );
  });

  it('never flags two machines in Alpenglow that never share a slot', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 100 }), (slots) => {
        const judge = createJudge({ windowMs: 1200 });
        slots.forEach((slot, i) => judge.record(agVote(i % 2 === 0 ? 'a' : 'b', slot, i * 10)));
        return judge.violations().length === 0;
      }),
    );
  });

  it('merges a long overlap into one finding with a count', () => {
    const judge = createJudge({ windowMs: 1200 });
    for (let slot = 1; slot <= 20; slot += 1) {
      judge.record(vote('a', slot, slot * 400));
      judge.record(vote('b', slot, slot * 400 + 1));
    }
    const found = judge.violations().filter((v) => v.kind === 'double-vote' && v.reason === 'same-slot');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ count: 20, firstSlot: 1, lastSlot: 20 });
  });

  it('reports the handover gap in slots and milliseconds', () => {
    const judge = createJudge({ windowMs: 1200 });
    judge.record(vote('a', 1, 0));
    judge.record(vote('a', 2, 400));
    judge.record(vote('b', 6, 2000));
    judge.record(vote('b', 7, 2400));
    const gaps = judge.gaps(ID, { slot: 7, timeMs: 2400 });
    expect(gaps.handovers).toEqual([
      { fromSlot: 2, toSlot: 6, slots: 3, ms: 1600, fromValidator: 'a', toValidator: 'b' },
    ]);
    expect(gaps.largest?.slots).toBe(3);
    expect(gaps.votes).toBe(4);
  });

  it('counts the cluster slots that passed, not the voted slots, when the new holder catches up', () => {
    const judge = createJudge({ windowMs: 1200 });
    judge.record(vote('a', 100, 0));
    judge.record(vote('b', 101, 4000, true, 110));
    expect(judge.gaps(ID).handovers[0]).toMatchObject({ fromSlot: 100, toSlot: 101, slots: 9 });
  });

  it('reports an open gap while nobody votes', () => {
    const judge = createJudge({ windowMs: 1200 });
    judge.record(vote('a', 1, 0));
    expect(judge.gaps(ID, { slot: 11, timeMs: 4000 }).gaps).toEqual([
      { fromSlot: 1, toSlot: null, slots: 9, ms: 4000, fromValidator: 'a', toValidator: null },
    ]);
  });

  it('never flags a single machine voting increasing slots', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 200 }), (steps) => {
        const judge = createJudge({ windowMs: 1200 });
        let slot = 0;
        steps.forEach((step, i) => {
          slot += step;
          judge.record(vote('a', slot, i * 400));
        });
        return judge.violations().length === 0;
      }),
    );
  });

  it('always flags two machines voting on one slot, whatever else happened', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ who: fc.constantFrom('a', 'b'), slot: fc.integer({ min: 0, max: 1000 }), t: fc.nat(100_000) }),
          { maxLength: 50 },
        ),
        fc.integer({ min: 0, max: 1000 }),
        (others, shared) => {
          const judge = createJudge({ windowMs: 1200 });
          for (const o of others) judge.record(vote(o.who, o.slot, o.t));
          judge.record(vote('a', shared, 200_000));
          judge.record(vote('b', shared, 300_000));
          return judge.violations().some((v) => v.kind === 'double-vote');
        },
      ),
    );
  });
});
