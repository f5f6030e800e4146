/**
 * The classes of issue 11, "the old holder never votes again": scripted trials, each drawn
 * with its parameters from the trial's seed (pure, like the rest of the schedule). What each one
 * does is in `guard-runs.ts` and docs/chaos.md.
 */
import type { SwitchoverStep } from './fencing-plans';
import type { Rng } from './prng';

/** The classes, in the order the schedule draws from. */
export const GUARD_KINDS = [
  'zombie',
  'zombie-unguarded',
  'stale-tower-in-etcd',
  'rpc-disagree',
  'etcd-outage-switchover',
] as const;

/** The name of one of them. */
export type GuardKind = (typeof GUARD_KINDS)[number];

/**
 * The control class: the zombie without the host guard. Its judge is expected to find a double
 * vote — the failure the guard exists for — and its trial passes when it does.
 */
export const CONTROL_KINDS: ReadonlySet<string> = new Set<GuardKind>(['zombie-unguarded']);

/** Steps of a switchover at which etcd goes down. */
const OUTAGE_STEPS = [
  'demote',
  'verify-demotion',
  'final-tower-backup',
  'promote',
] as const satisfies readonly SwitchoverStep[];

/** A trial's script and its drawn parameters. Durations in ms. */
export type GuardScenario =
  /**
   * The active's validator frozen (SIGSTOP), its agent SIGKILLed once it has backed up the
   * frozen validator's last tower, and kept down; `thawAfterMs` after the promotion the
   * validator thaws (SIGCONT; restarted, if the guard killed it). `zombie` runs the agents under
   * their unit with the host guard; `zombie-unguarded` without.
   */
  | { readonly kind: 'zombie' | 'zombie-unguarded'; readonly thawAfterMs: number }
  /**
   * The tower in etcd is read; `ageMs` later a switchover is asked for, and while its promotion
   * is held on the way to the new holder's agent (after the final tower backup, before the
   * restore) the old tower is written back over the newer one: validly signed, and older than
   * the vote account's last vote.
   */
  | { readonly kind: 'stale-tower-in-etcd'; readonly ageMs: number }
  /**
   * The manager's `cluster_rpc` lists two backends, one whose view of the vote accounts is
   * frozen (`staleFirst`: it is listed first); then for `lastsMs` the manager loses the active
   * while it still votes (`cut-manager-active`), or the active's validator is killed.
   */
  | {
      readonly kind: 'rpc-disagree';
      readonly staleFirst: boolean;
      readonly fault: 'cut-manager-active' | 'validator-kill';
      readonly lastsMs: number;
    }
  /**
   * `offsetMs` into `step` of a switchover, etcd goes down for `outageMs`: every member killed,
   * or both agents cut off from every member.
   */
  | {
      readonly kind: 'etcd-outage-switchover';
      readonly step: (typeof OUTAGE_STEPS)[number];
      readonly offsetMs: number;
      readonly outageMs: number;
      readonly how: 'members-killed' | 'agents-cut';
    };

/** Draws the parameters of `kind` from the trial's generator. */
export function planGuard(kind: GuardKind, rng: Rng): GuardScenario {
  switch (kind) {
    case 'zombie':
    case 'zombie-unguarded':
      return { kind, thawAfterMs: rng.int(0, 30) * 100 };
    case 'stale-tower-in-etcd':
      return { kind, ageMs: rng.int(20, 80) * 100 };
    case 'rpc-disagree':
      return {
        kind,
        staleFirst: rng.chance(0.5),
        fault: rng.chance(0.5) ? 'cut-manager-active' : 'validator-kill',
        lastsMs: rng.int(60, 120) * 100,
      };
    case 'etcd-outage-switchover':
      return {
        kind,
        step: rng.pick(OUTAGE_STEPS),
        offsetMs: rng.int(0, 8) * 50,
        outageMs: rng.int(30, 100) * 100,
        how: rng.chance(0.5) ? 'members-killed' : 'agents-cut',
      };
  }
}

/** A trial as one phrase, e.g. `rpc-disagree(stale first, validator-kill 7000ms)`. */
export function describeGuard(s: GuardScenario): string {
  switch (s.kind) {
    case 'zombie':
    case 'zombie-unguarded':
      return `${s.kind}(thaw +${s.thawAfterMs}ms)`;
    case 'stale-tower-in-etcd':
      return `${s.kind}(${s.ageMs}ms old, before the restore)`;
    case 'rpc-disagree':
      return `${s.kind}(stale ${s.staleFirst ? 'first' : 'second'}, ${s.fault} ${s.lastsMs}ms)`;
    case 'etcd-outage-switchover':
      return `${s.kind}(${s.how} at ${s.step}+${s.offsetMs}ms for ${s.outageMs}ms)`;
  }
}
