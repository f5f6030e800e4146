import fc from 'fast-check';
import { createRng, trialSeed } from '../src/prng';
import { FAULT_KINDS, describeSchedule, planSchedule } from '../src/schedule';

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
