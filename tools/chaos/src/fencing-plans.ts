/**
 * The fencing classes: scripted trials around one failover, each drawn with its parameters
 * from the trial's seed (pure, like the rest of the schedule). What each one does is in
 * `fencing-runs.ts` and docs/chaos.md.
 */
import type { Rng } from './prng';

/** The fencing classes, in the order the schedule draws from. */
export const FENCING_KINDS = [
  'replay-other-node',
  'replay-after-restart',
  'manager-killed-at-step',
  'two-managers-racing',
  'manager-frozen',
] as const;

/** The name of a fencing class. */
export type FencingKind = (typeof FENCING_KINDS)[number];

/** The steps of a switchover whose old active answers, in order (`createFailoverPlan` in core). */
export const SWITCHOVER_STEPS = [
  'demote',
  'verify-demotion',
  'final-tower-backup',
  'promote',
  'verify-voting',
] as const;

/** One step of a switchover. */
export type SwitchoverStep = (typeof SWITCHOVER_STEPS)[number];

/** A fencing trial's script and its drawn parameters. Durations in ms. */
export type FencingScenario =
  /** The role change the manager sent to one agent, captured on the wire, replayed `delayMs` later to the other. */
  | {
      readonly kind: 'replay-other-node';
      readonly request: 'become_active' | 'become_passive';
      readonly delayMs: number;
    }
  /**
   * A switchover and one back; the first promotion's request, captured, is replayed to the same
   * agent (passive again) `delayMs` after that agent was restarted with `signal`.
   */
  | { readonly kind: 'replay-after-restart'; readonly signal: 'SIGKILL' | 'SIGTERM'; readonly delayMs: number }
  /** The manager SIGKILLed `offsetMs` into `step` of a switchover, started again `downMs` later. */
  | {
      readonly kind: 'manager-killed-at-step';
      readonly step: SwitchoverStep;
      readonly offsetMs: number;
      readonly downMs: number;
    }
  /**
   * A switchover whose promotion fails once; a second manager on the same config, at a higher
   * term, started `offsetMs` into `step`; with `secondSwitches`, the second one then asks for a
   * switchover of its own.
   */
  | {
      readonly kind: 'two-managers-racing';
      readonly step: SwitchoverStep;
      readonly offsetMs: number;
      readonly secondSwitches: boolean;
    }
  /**
   * The manager SIGSTOPped `offsetMs` into `step` of a switchover for `frozenMs`, while a second
   * manager at a higher term starts and hands the identity on; then SIGCONT.
   */
  | {
      readonly kind: 'manager-frozen';
      readonly step: SwitchoverStep;
      readonly offsetMs: number;
      readonly frozenMs: number;
    };

/** Draws the parameters of a fencing class from the trial's generator. */
export function planFencing(kind: FencingKind, rng: Rng): FencingScenario {
  switch (kind) {
    case 'replay-other-node':
      return {
        kind,
        request: rng.chance(0.5) ? 'become_active' : 'become_passive',
        delayMs: rng.int(0, 30) * 100,
      };
    case 'replay-after-restart':
      return { kind, signal: rng.chance(0.5) ? 'SIGKILL' : 'SIGTERM', delayMs: rng.int(0, 20) * 100 };
    case 'manager-killed-at-step':
      return { kind, step: rng.pick(SWITCHOVER_STEPS), offsetMs: rng.int(0, 8) * 50, downMs: rng.int(5, 40) * 100 };
    case 'two-managers-racing':
      return { kind, step: rng.pick(SWITCHOVER_STEPS), offsetMs: rng.int(0, 8) * 50, secondSwitches: rng.chance(0.5) };
    case 'manager-frozen':
      return { kind, step: rng.pick(SWITCHOVER_STEPS), offsetMs: rng.int(0, 8) * 50, frozenMs: rng.int(60, 100) * 100 };
  }
}

/** A fencing trial as one phrase, e.g. `manager-killed-at-step(promote+150ms, down 2300ms)`. */
export function describeScenario(s: FencingScenario): string {
  switch (s.kind) {
    case 'replay-other-node':
      return `${s.kind}(${s.request}, +${s.delayMs}ms)`;
    case 'replay-after-restart':
      return `${s.kind}(${s.signal}, +${s.delayMs}ms)`;
    case 'manager-killed-at-step':
      return `${s.kind}(${s.step}+${s.offsetMs}ms, down ${s.downMs}ms)`;
    case 'two-managers-racing':
      return `${s.kind}(${s.step}+${s.offsetMs}ms${s.secondSwitches ? ', second switches' : ''})`;
    case 'manager-frozen':
      return `${s.kind}(${s.step}+${s.offsetMs}ms, frozen ${s.frozenMs}ms)`;
  }
}
