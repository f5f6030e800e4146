import fc from 'fast-check';
import { createRng, trialSeed } from '../src/prng';
import { FENCING_KINDS, IN_FLIGHT_STEPS, SWITCHOVER_STEPS } from '../src/fencing-plans';
import { GUARD_KINDS } from '../src/guard-plans';
import { CHAOS_CLASSES, FAULT_KINDS, describeSchedule, planSchedule } from '../src/schedule';

describe('the seeded schedule', () => {
  it('is the same schedule for the same seed, so a failing seed replays exactly', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (seed) => {
        expect(planSchedule(seed)).toEqual(planSchedule(seed));
      }),
    );
  });

  it('holds 1 to 3 faults in time order, each healed inside the window after it started', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (seed) => {
        const schedule = planSchedule(seed);
        expect(schedule.faults.length).toBeGreaterThanOrEqual(1);
        expect(schedule.faults.length).toBeLessThanOrEqual(3);
        schedule.faults.forEach((f, i) => {
          if (i > 0) expect(f.atMs).toBeGreaterThanOrEqual(schedule.faults[i - 1]!.atMs);
          if (f.healAtMs !== null) {
            expect(f.healAtMs).toBeGreaterThan(f.atMs);
            expect(f.healAtMs).toBeLessThanOrEqual(schedule.windowMs);
          }
        });
      }),
    );
  });

  it('draws only from the fault classes it is given', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.subarray([...FAULT_KINDS], { minLength: 1 }), (seed, kinds) => {
        for (const f of planSchedule(seed, { kinds }).faults) expect(kinds).toContain(f.fault.kind);
      }),
    );
  });

  it('reaches every fault class over a few hundred seeds', () => {
    const seen = new Set(
      Array.from({ length: 300 }, (_, i) => planSchedule(trialSeed(1, i)).faults.map((f) => f.fault.kind)).flat(),
    );
    expect([...seen].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('prints each fault with its target, start and heal', () => {
    const lines = describeSchedule({
      seed: 1,
      windowMs: 12000,
      faults: [{ fault: { kind: 'validator-kill', target: 'active' }, atMs: 1200, healAtMs: 5400 }],
    });
    expect(lines).toEqual(['+1200ms validator-kill(active) healed +5400ms']);
  });
});

describe('the schedule of the fencing classes', () => {
  it('draws a fault schedule exactly as before when no fencing class is among the kinds', () => {
    // Seeds of findings printed before fencing classes existed must still replay.
    expect(planSchedule(3186062026, { kinds: ['isolate-active'], windowMs: 24000 }).faults).toEqual([
      { fault: { kind: 'isolate-active' }, atMs: expect.any(Number), healAtMs: expect.any(Number) },
    ]);
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (seed) => {
        expect(planSchedule(seed).scenario).toBeUndefined();
      }),
    );
  });

  it('is a fencing script alone, with no faults, when the seed picks a fencing class', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.constantFrom(...FENCING_KINDS), (seed, kind) => {
        const schedule = planSchedule(seed, { kinds: [kind] });
        expect(schedule.faults).toEqual([]);
        expect(schedule.scenario?.kind).toBe(kind);
        expect(planSchedule(seed, { kinds: [kind] })).toEqual(schedule);
      }),
    );
  });

  it('draws fault trials and scripted trials from a mixed list', () => {
    const schedules = Array.from({ length: 200 }, (_, i) => planSchedule(trialSeed(7, i), { kinds: CHAOS_CLASSES }));
    const scripted = schedules.filter((s) => s.scenario !== undefined).length;
    // Each class is drawn alike: about half the share of each kind, or more, is drawn.
    const faultShare = FAULT_KINDS.length / CHAOS_CLASSES.length;
    expect(scripted).toBeGreaterThan((schedules.length * (1 - faultShare)) / 2);
    expect(schedules.length - scripted).toBeGreaterThan((schedules.length * faultShare) / 2);
  });

  // The election classes change the leader only where the failover is surely still in flight.
  it.each([
    ['manager-killed-at-step', SWITCHOVER_STEPS],
    ['two-managers-racing', SWITCHOVER_STEPS],
    ['manager-frozen', SWITCHOVER_STEPS],
    ['two-managers-election', IN_FLIGHT_STEPS],
    ['etcd-leader-lost', IN_FLIGHT_STEPS],
  ] as const)('reaches each of its steps of a switchover for %s over a hundred seeds', (kind, expected) => {
    const steps = new Set(
      Array.from({ length: 100 }, (_, i) => {
        const scenario = planSchedule(trialSeed(1, i), { kinds: [kind] }).scenario;
        return scenario !== undefined && 'step' in scenario ? scenario.step : undefined;
      }),
    );
    expect([...steps].sort()).toEqual([...expected].sort());
  });

  it('prints the script with its drawn parameters', () => {
    expect(
      describeSchedule({
        seed: 1,
        windowMs: 12000,
        faults: [],
        scenario: { kind: 'manager-killed-at-step', step: 'promote', offsetMs: 150, downMs: 2300 },
      }),
    ).toEqual(['manager-killed-at-step(promote+150ms, down 2300ms)']);
  });
});

describe('the schedule of the classes of issue 11', () => {
  it('is a script alone, with no faults, drawn the same from the same seed', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.constantFrom(...GUARD_KINDS), (seed, kind) => {
        const schedule = planSchedule(seed, { kinds: [kind] });
        expect(schedule.faults).toEqual([]);
        expect(schedule.scenario?.kind).toBe(kind);
        expect(planSchedule(seed, { kinds: [kind] })).toEqual(schedule);
      }),
    );
  });

  it('draws both variants of rpc-disagree and of etcd-outage-switchover over a hundred seeds', () => {
    const drawn = (kind: 'rpc-disagree' | 'etcd-outage-switchover'): Set<string> =>
      new Set(
        Array.from({ length: 100 }, (_, i) => {
          const s = planSchedule(trialSeed(1, i), { kinds: [kind] }).scenario;
          if (s?.kind === 'rpc-disagree') return `${s.fault}/${s.staleFirst}`;
          return s?.kind === 'etcd-outage-switchover' ? `${s.how}/${s.step}` : '';
        }),
      );
    expect(drawn('rpc-disagree').size).toBe(4);
    expect(drawn('etcd-outage-switchover').size).toBe(8);
  });

  it('prints the script with its drawn parameters', () => {
    expect(
      describeSchedule({
        seed: 1,
        windowMs: 12000,
        faults: [],
        scenario: { kind: 'rpc-disagree', staleFirst: true, fault: 'validator-kill', lastsMs: 7000 },
      }),
    ).toEqual(['rpc-disagree(stale first, validator-kill 7000ms)']);
  });
});

describe('the PRNG', () => {
  it('stays inside the requested integer range', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: -50, max: 50 }),
        fc.nat({ max: 100 }),
        (seed, min, span) => {
          const rng = createRng(seed);
          for (let i = 0; i < 20; i += 1) {
            const n = rng.int(min, min + span);
            expect(n).toBeGreaterThanOrEqual(min);
            expect(n).toBeLessThanOrEqual(min + span);
          }
        },
      ),
    );
  });

  it('gives neighbouring trials of a run different seeds', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => trialSeed(42, i));
    expect(new Set(seeds).size).toBe(1000);
  });

  it('refuses a seed that is not an unsigned 32-bit integer', () => {
    expect(() => createRng(-1)).toThrow(/seed -1 must be an integer/);
    expect(() => createRng(2 ** 32)).toThrow(/must be an integer in 0\.\.4294967295/);
  });
});
