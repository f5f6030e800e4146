/**
 * Checks of the benchmarks' command-line values: each throws naming the option and the value
 * it refused, so a mistyped run stops before it starts a stack.
 */
import { BENCH_TOWER_STORES, type BenchTowerStore } from './bench-stack';

/** `value` as a number of at least `min` (`above` when `min` itself is refused), or `fallback` when absent. */
export function numberOption(
  option: string,
  value: string | undefined,
  fallback: number,
  bound: { readonly min: number; readonly inclusive: boolean },
): number {
  const number = Number(value ?? fallback);
  const ok = bound.inclusive ? number >= bound.min : number > bound.min;
  if (!ok) {
    throw new Error(`${option}: expected a number ${bound.inclusive ? '≥' : 'above'} ${bound.min}, got '${value}'`);
  }
  return number;
}

/** `value` as one of the benchmark stack's tower stores. */
export function towerStoreOption(option: string, value: string): BenchTowerStore {
  if (!(BENCH_TOWER_STORES as readonly string[]).includes(value)) {
    throw new Error(`${option}: '${value}' is not one of ${BENCH_TOWER_STORES.join(', ')}`);
  }
  return value as BenchTowerStore;
}
