/**
 * The Alpenglow classes of issue 12: scripted trials on a cluster that switches from TowerBFT to
 * Alpenglow, each drawn with its parameters from the trial's seed (pure, like the rest of the
 * schedule). What each one does is in `alpenglow-runs.ts` and docs/chaos.md.
 */
import type { Rng } from './prng';

/** The classes, in the order the schedule draws from. */
export const ALPENGLOW_KINDS = ['standstill', 'vat-exclusion', 'migration-window', 'lost-vote-history'] as const;

/** The name of one of them. */
export type AlpenglowKind = (typeof ALPENGLOW_KINDS)[number];

/** Slots from the feature's activation to the switch in these trials: mainnet's 5000 would take minutes. */
export const TRIAL_MIGRATION_SLOTS = 60;

/** A trial's script and its drawn parameters. Durations in ms. */
export type AlpenglowScenario =
  /**
   * After the switch, the cluster stands still (`standstill`: no finalization, every `lastVote`
   * frozen) or the vote account is excluded (`vat-exclusion`), then the active's validator is
   * killed; `lastsMs` later the cluster finalizes again (or the account is admitted again) and
   * the validator is healed. No failover may complete while the veto lasts.
   */
  | { readonly kind: 'standstill' | 'vat-exclusion'; readonly lastsMs: number }
  /**
   * The feature is activated; `offsetSlots` into the migration window the manager loses the
   * active while it still votes, until the window is over. No promotion may happen while the
   * manager reads the phase `migrating`: vote evidence proves nothing then.
   */
  | { readonly kind: 'migration-window'; readonly offsetSlots: number }
  /**
   * After the switch, the active's host is lost (agent and validator killed) and the vote
   * history backups in etcd with it; `lastsMs` later the host comes back. Nobody may vote with
   * the identity in between: the passive has no vote history to take it with.
   */
  | { readonly kind: 'lost-vote-history'; readonly lastsMs: number };

/** Draws the parameters of `kind` from the trial's generator. */
export function planAlpenglow(kind: AlpenglowKind, rng: Rng): AlpenglowScenario {
  switch (kind) {
    case 'standstill':
    case 'vat-exclusion':
    case 'lost-vote-history':
      return { kind, lastsMs: rng.int(40, 100) * 100 };
    case 'migration-window':
      return { kind, offsetSlots: rng.int(0, Math.floor(TRIAL_MIGRATION_SLOTS / 3)) };
  }
}

/** A trial as one phrase, e.g. `standstill(validator-kill, 6200ms)`. */
export function describeAlpenglow(s: AlpenglowScenario): string {
  switch (s.kind) {
    case 'standstill':
    case 'vat-exclusion':
      return `${s.kind}(validator-kill, ${s.lastsMs}ms)`;
    case 'migration-window':
      return `${s.kind}(cut-manager-active at +${s.offsetSlots} slots of ${TRIAL_MIGRATION_SLOTS})`;
    case 'lost-vote-history':
      return `${s.kind}(host lost with its backups, ${s.lastsMs}ms)`;
  }
}
