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
  'two-managers-election',
  'etcd-leader-lost',
  'manager-killed-at-verify-voting',
  'late-request-stale-term',
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

/**
 * The steps the election classes change the leader in: the failover is surely still in flight
 * `offsetMs` into each (their promotion fails once, or is slow), where `verify voting` may
 * have ended within a slot.
 */
export const IN_FLIGHT_STEPS = [
  'demote',
  'verify-demotion',
  'final-tower-backup',
  'promote',
] as const satisfies readonly SwitchoverStep[];

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
    }
  /**
   * Two managers on the election (a 3-member etcd); the leader's switchover, whose promotion
   * fails once, loses the leader's lease `offsetMs` into `step` (revoked in etcd, as its expiry
   * would): the follower is elected and takes the failover up while the deposed leader may
   * still be sending. With `secondSwitches`, the follower is asked for a switchover of its own
   * at that moment too.
   */
  | {
      readonly kind: 'two-managers-election';
      readonly step: SwitchoverStep;
      readonly offsetMs: number;
      readonly secondSwitches: boolean;
    }
  /**
   * Two managers on the election; the leader SIGKILLed `offsetMs` into `step` of a switchover,
   * and `etcdAfterMs` later — before its lease can expire, so while the follower waits to
   * campaign — the member leading the etcd cluster SIGKILLed, restarted `downMs` later.
   */
  | {
      readonly kind: 'etcd-leader-lost';
      readonly step: SwitchoverStep;
      readonly offsetMs: number;
      readonly etcdAfterMs: number;
      readonly downMs: number;
    }
  /**
   * The new active's votes are cast but do not land, so `verify voting` cannot end by itself;
   * the manager SIGKILLed `offsetMs` into it, started again `downMs` later, when the votes land again.
   */
  | { readonly kind: 'manager-killed-at-verify-voting'; readonly offsetMs: number; readonly downMs: number }
  /**
   * The manager's become_active is held on the wire and the manager SIGSTOPped `offsetMs` after it
   * was sent; a second manager at a higher term hands the identity on (`back` to the demoted node,
   * or `on` to the one being promoted); the held request is then delivered, late; then SIGCONT.
   */
  | { readonly kind: 'late-request-stale-term'; readonly offsetMs: number; readonly target: 'back' | 'on' };

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
    case 'two-managers-election':
      return { kind, step: rng.pick(IN_FLIGHT_STEPS), offsetMs: rng.int(0, 8) * 50, secondSwitches: rng.chance(0.5) };
    case 'etcd-leader-lost':
      return {
        kind,
        step: rng.pick(IN_FLIGHT_STEPS),
        offsetMs: rng.int(0, 8) * 50,
        etcdAfterMs: rng.int(0, 15) * 100,
        downMs: rng.int(20, 60) * 100,
      };
    case 'manager-killed-at-verify-voting':
      return { kind, offsetMs: rng.int(0, 8) * 50, downMs: rng.int(5, 40) * 100 };
    case 'late-request-stale-term':
      return { kind, offsetMs: rng.int(0, 4) * 50, target: rng.chance(0.5) ? 'back' : 'on' };
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
    case 'two-managers-election':
      return `${s.kind}(lease lost at ${s.step}+${s.offsetMs}ms${s.secondSwitches ? ', follower switches' : ''})`;
    case 'etcd-leader-lost':
      return `${s.kind}(leader killed at ${s.step}+${s.offsetMs}ms, etcd leader +${s.etcdAfterMs}ms, down ${s.downMs}ms)`;
    case 'manager-killed-at-verify-voting':
      return `${s.kind}(+${s.offsetMs}ms, down ${s.downMs}ms)`;
    case 'late-request-stale-term':
      return `${s.kind}(frozen +${s.offsetMs}ms, hands ${s.target === 'back' ? 'back' : 'on'})`;
  }
}

/** Whether the managers of `scenario` run on the election (a leader elected through etcd). */
export function needsElection(scenario: FencingScenario): boolean {
  return scenario.kind === 'two-managers-election' || scenario.kind === 'etcd-leader-lost';
}
