/**
 * The campaign's only source of randomness: mulberry32, a 32-bit PRNG small enough to read in
 * full, seeded by one integer. Every choice of a trial (fault kinds, targets, times) is drawn
 * from it in a fixed order, so a seed names one schedule exactly and a failing trial replays
 * with `--seed S`. `Math.random()` is never used.
 */

/** A seeded stream of random draws. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** Largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/** Creates a PRNG from an unsigned 32-bit seed (mulberry32, Tommy Ettinger's constants). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`seed ${seed} must be an integer in 0..${MAX_SEED}`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min)
        throw new RangeError(`int(${min}, ${max}) needs integers with min <= max`);
      return min + Math.floor(next() * (max - min + 1));
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() needs a non-empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    chance(p) {
      return next() < p;
    },
  };
}

/**
 * The seed of trial `index` of a run: the base seed mixed with the index (a splitmix32 step),
 * so neighbouring trials do not share the start of their streams, and `--seed` of a printed
 * trial replays it alone.
 */
export function trialSeed(baseSeed: number, index: number): number {
  let z = (baseSeed + Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
