import fc from 'fast-check';
import {
  electionTerm,
  leaderDeadline,
  leaseTiming,
  mayCommand,
  stepLeadership,
  type Leadership,
  type LeadershipEffect,
  type LeadershipEvent,
} from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';

const timing = leaseTiming(10_000);
const following: Leadership = { status: 'following' };

/** Feeds events in order and keeps every effect. */
function run(events: readonly LeadershipEvent[], start: Leadership = following) {
  let state = start;
  const effects: LeadershipEffect[] = [];
  for (const event of events) {
    const step = stepLeadership(state, event, timing);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

describe('lease timing', () => {
  it('renews every fifth of the TTL and keeps a quarter of it as margin', () => {
    expect(leaseTiming(10_000)).toEqual({ ttlMs: 10_000, renewEveryMs: 2_000, marginMs: 2_500 });
    expect(leaseTiming(2_000)).toEqual({ ttlMs: 2_000, renewEveryMs: 400, marginMs: 500 });
  });

  it('counts the deadline from when the renewal was sent, not from when it was answered', () => {
    expect(leaderDeadline(timing, 1_000)).toBe(8_500);
  });
});

describe('electionTerm', () => {
  it.each<[string, number, number, number, number]>([
    ['is the create revision on a fresh prefix', 42, 0, 1, 42],
    ['is above the last recorded term when the revision is not', 7, 40, 1, 41],
    ['is above every local term agents obeyed before the election was turned on', 7, 0, 30, 30],
  ])('%s', (_case, revision, recorded, local, term) => {
    expect(electionTerm(revision, recorded, local)).toBe(term);
  });

  it('gives every new leader a term above the one before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100 })), { maxLength: 30 }),
        (leaders) => {
          let revision = 1;
          let recorded = 0;
          for (const [revisionGap, local] of leaders) {
            revision += revisionGap;
            const term = electionTerm(revision, recorded, local);
            if (term <= recorded) return false;
            recorded = term;
          }
          return true;
        },
      ),
    );
  });
});

describe('stepLeadership', () => {
  it('leads once it won, with its term, until the deadline of the grant it won on', () => {
    const { state, effects } = run([{ type: 'won', at: 100, term: 12, keyRevision: 12, sentAt: 50 }]);
    expect(effects).toEqual([{ kind: 'lead', term: 12, deadline: 7_550 }]);
    expect(mayCommand(state, 7_549)).toBe(true);
    expect(mayCommand(state, 7_550)).toBe(false);
  });

  it('does not lead on a win that came after the deadline of its grant', () => {
    expect(run([{ type: 'won', at: 8_000, term: 3, keyRevision: 3, sentAt: 0 }]).effects).toEqual([]);
  });

  it('moves the deadline with each renewal answered, never back', () => {
    const { state } = run([
      { type: 'won', at: 0, term: 5, keyRevision: 5, sentAt: 0 },
      { type: 'renewed', at: 2_100, sentAt: 2_000 },
      // An earlier renewal's late answer.
      { type: 'renewed', at: 2_200, sentAt: 1_000 },
    ]);
    expect(state).toEqual({ status: 'leading', term: 5, keyRevision: 5, deadline: 9_500 });
  });

  it('steps down at its deadline, before etcd can expire the lease', () => {
    const { state, effects } = run([
      { type: 'won', at: 0, term: 5, keyRevision: 5, sentAt: 0 },
      { type: 'tick', at: 7_499 },
      { type: 'tick', at: 7_500 },
    ]);
    expect(state).toEqual(following);
    expect(effects).toEqual([
      { kind: 'lead', term: 5, deadline: 7_500 },
      { kind: 'step-down', term: 5, reason: 'the lease was not renewed in time (deadline passed 0 ms ago)' },
    ]);
  });

  it('steps down on a renewal answered after its deadline (a leader frozen past it and continued)', () => {
    const { state, effects } = run([
      { type: 'won', at: 0, term: 5, keyRevision: 5, sentAt: 0 },
      { type: 'renewed', at: 30_000, sentAt: 29_990 },
    ]);
    expect(state).toEqual(following);
    expect(effects[1]).toMatchObject({ kind: 'step-down', term: 5 });
  });

  it('steps down when its key is gone, whatever its deadline', () => {
    const { state, effects } = run([
      { type: 'won', at: 0, term: 5, keyRevision: 5, sentAt: 0 },
      { type: 'lost', at: 10, detail: 'the leader key is manager-b’s' },
    ]);
    expect(state).toEqual(following);
    expect(effects[1]).toEqual({ kind: 'step-down', term: 5, reason: 'the leader key is manager-b’s' });
  });

  it('ignores renewals, ticks and losses while following', () => {
    expect(
      run([
        { type: 'renewed', at: 1, sentAt: 0 },
        { type: 'tick', at: 2 },
        { type: 'lost', at: 3, detail: 'x' },
      ]),
    ).toEqual({ state: following, effects: [] });
  });

  it('on a simulated clock, renewing every fifth of the TTL keeps it leading, and it stops before etcd could expire the lease', () => {
    const clock = new SimulatedClock(0);
    let state: Leadership = following;
    const apply = (event: LeadershipEvent): void => {
      state = stepLeadership(state, event, timing).state;
    };
    apply({ type: 'won', at: 0, term: 9, keyRevision: 9, sentAt: 0 });
    let etcdAnswers = true;
    const renew = (): void => {
      const sentAt = clock.now();
      clock.setTimeout(() => {
        if (etcdAnswers) apply({ type: 'renewed', at: clock.now(), sentAt });
        apply({ type: 'tick', at: clock.now() });
        renew();
      }, timing.renewEveryMs);
    };
    renew();
    clock.advance(60_000);
    expect(mayCommand(state, clock.now())).toBe(true);
    // etcd stops answering: the last answered renewal was sent at 58 s.
    etcdAnswers = false;
    clock.advance(4_000);
    expect(mayCommand(state, clock.now())).toBe(true);
    clock.advance(1_500);
    expect(mayCommand(state, clock.now())).toBe(false);
    expect(clock.now()).toBeLessThan(58_000 + timing.ttlMs);
    clock.advance(500);
    expect(state).toEqual(following);
  });

  it('never lets a manager command at or after one TTL from the last renewal etcd answered', () => {
    const event = fc.oneof(
      fc.record({ type: fc.constant('renewed' as const), lag: fc.integer({ min: 0, max: 15_000 }) }),
      fc.record({ type: fc.constant('tick' as const) }),
      fc.record({ type: fc.constant('won' as const), lag: fc.integer({ min: 0, max: 15_000 }) }),
      fc.record({ type: fc.constant('lost' as const) }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), event), { maxLength: 40 }), (script) => {
        let now = 0;
        let state: Leadership = following;
        let lastAnsweredSentAt = -Infinity;
        let term = 1;
        for (const [gap, e] of script) {
          now += gap;
          const next: LeadershipEvent =
            e.type === 'renewed'
              ? { type: 'renewed', at: now, sentAt: now - e.lag }
              : e.type === 'won'
                ? { type: 'won', at: now, term: ++term, keyRevision: term, sentAt: now - e.lag }
                : e.type === 'tick'
                  ? { type: 'tick', at: now }
                  : { type: 'lost', at: now, detail: 'gone' };
          if (next.type === 'renewed' || next.type === 'won')
            lastAnsweredSentAt = Math.max(lastAnsweredSentAt, next.sentAt);
          state = stepLeadership(state, next, timing).state;
          for (const probe of [now, now + 1, now + 2_000]) {
            if (mayCommand(state, probe) && probe >= lastAnsweredSentAt + timing.ttlMs) return false;
          }
        }
        return true;
      }),
    );
  });
});
