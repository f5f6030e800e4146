/**
 * A run of the campaign: trials one after another (the stack of one trial already loads a
 * 2-core machine), each seeded from the base seed and its index, and the table of results.
 */
import { trialSeed } from './prng';
import { DEFAULT_WINDOW_MS, FAULT_KINDS, planSchedule, type ChaosClass } from './schedule';
import { budgetOf, type Budget, type CampaignSettings } from './settings';
import { runTrial, type TrialResult } from './trial';

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  readonly settings: CampaignSettings;
  /** Trials to run; ignored with `seed`; @default 20 */
  readonly trials?: number;
  /** Seed of the run; trial i gets `trialSeed(baseSeed, i)`; @default 1 */
  readonly baseSeed?: number;
  /** Replay exactly this trial seed, alone. */
  readonly seed?: number;
  /** Classes drawn from; @default every fault class */
  readonly kinds?: readonly ChaosClass[];
  /** Fault window per trial; @default {@link DEFAULT_WINDOW_MS} */
  readonly windowMs?: number;
  readonly keepLogsDir?: string;
  readonly log?: (line: string) => void;
  /** Called after each trial, e.g. to print its row as it comes. */
  readonly onTrial?: (result: TrialResult, index: number) => void;
}

/** The run's results, as the JSON output holds them. */
export interface CampaignReport {
  readonly baseSeed: number | null;
  readonly settings: CampaignSettings;
  /** Fault classes drawn from, and the fault window: with the seed they fix each schedule. */
  readonly kinds: readonly ChaosClass[];
  readonly windowMs: number;
  readonly budget: Budget;
  readonly trials: readonly TrialResult[];
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
}

/** The seeds a run will use, in order. */
export function seedsOf(options: Pick<CampaignOptions, 'trials' | 'baseSeed' | 'seed'>): number[] {
  if (options.seed !== undefined) return [options.seed];
  const base = options.baseSeed ?? 1;
  return Array.from({ length: options.trials ?? 20 }, (_, i) => trialSeed(base, i));
}

/** Runs the trials in order and collects the report. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = Date.now();
  const trials: TrialResult[] = [];
  const kinds = options.kinds ?? FAULT_KINDS;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  for (const [index, seed] of seedsOf(options).entries()) {
    const schedule = planSchedule(seed, { kinds, windowMs });
    const result = await runTrial(schedule, {
      settings: options.settings,
      ...(options.keepLogsDir !== undefined ? { keepLogsDir: options.keepLogsDir } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    trials.push(result);
    options.onTrial?.(result, index);
  }
  const passed = trials.filter((t) => t.pass).length;
  return {
    baseSeed: options.seed === undefined ? (options.baseSeed ?? 1) : null,
    settings: options.settings,
    kinds,
    windowMs,
    budget: budgetOf(options.settings),
    trials,
    passed,
    failed: trials.length - passed,
    durationMs: Date.now() - started,
  };
}
