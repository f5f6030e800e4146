import fc from 'fast-check';
import { percentile, summarize } from '../src/stats';

describe('percentile', () => {
  it.each([
    { name: 'the median of an odd count is the middle value', values: [5, 1, 3], p: 50, expected: 3 },
    {
      name: 'the median of an even count is the lower middle value (nearest rank)',
      values: [4, 1, 3, 2],
      p: 50,
      expected: 2,
    },
    {
      name: 'p95 of 20 runs is the 19th smallest',
      values: Array.from({ length: 20 }, (_, i) => 20 - i),
      p: 95,
      expected: 19,
    },
    { name: 'p99 of 20 runs is the largest', values: Array.from({ length: 20 }, (_, i) => i + 1), p: 99, expected: 20 },
    { name: 'p100 is the maximum', values: [7, 9, 8], p: 100, expected: 9 },
  ])('$name', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('is always one of the measured values and never decreases with p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 99 }),
        (values, p) => {
          const low = percentile(values, p);
          expect(values).toContain(low);
          expect(percentile(values, p + 1)).toBeGreaterThanOrEqual(low);
        },
      ),
    );
  });
});

describe('summarize', () => {
  it('reports NaN for every field of an empty list, so a missing measurement shows', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(Number.isNaN(s.median) && Number.isNaN(s.p95) && Number.isNaN(s.max)).toBe(true);
  });

  it('orders min ≤ median ≤ p95 ≤ p99 ≤ max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 100 }),
        (values) => {
          const s = summarize(values);
          expect(s.min).toBeLessThanOrEqual(s.median);
          expect(s.median).toBeLessThanOrEqual(s.p95);
          expect(s.p95).toBeLessThanOrEqual(s.p99);
          expect(s.p99).toBeLessThanOrEqual(s.max);
        },
      ),
    );
  });
});
