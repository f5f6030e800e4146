/**
 * The campaign's CI batch: 16 seeded trials of random faults and one trial of each scripted
 * class (fencing, and issue 11's) against the whole system (real agent and manager processes, simulated cluster, 3-member
 * etcd, fake Telegram, cuttable links): 30 trials of 20–40 s each on the 2-core CI machine. Each trial must show no double vote, no lockout violation, no failed check of its
 * class, and voting restored within the budget (or held, reported, and restored after the
 * heal). The control class `zombie-unguarded` must instead show the double vote the host guard
 * prevents. A failure prints the seed; `npm run chaos -w @failover/chaos -- --seed S` (with
 * `--faults CLASS` for a scripted trial) replays it with the same schedule.
 */
import { seedsOf } from '../src/campaign';
import { formatRow } from '../src/report';
import { FENCING_KINDS } from '../src/fencing-plans';
import { GUARD_KINDS } from '../src/guard-plans';
import { planSchedule, FAULT_KINDS, type ChaosClass } from '../src/schedule';
import { budgetOf, settingsFor } from '../src/settings';
import { runTrial } from '../src/trial';

const settings = settingsFor(100);
const budget = budgetOf(settings);
const BASE_SEED = 20_240_601;
// 16 random trials draw each of the 16 fault classes about twice (1 to 3 faults a trial); the
// four fencing classes of the election, the verify-voting kill and the late request took the
// time of the four trials the batch had beyond that, so it keeps its length.
const RANDOM_TRIALS = 16;
// Every class is drawn: F1 (`isolate-active`) and F3 (`set-identity-fail`), which excluded
// their classes, are fixed and their seeds pass (docs/chaos.md). A class excluded again is
// named here with the finding that excludes it.
const EXCLUDED: ReadonlySet<string> = new Set<string>();
const KINDS = FAULT_KINDS.filter((kind) => !EXCLUDED.has(kind));

async function expectPass(index: number, seed: number, kinds: readonly ChaosClass[]): Promise<void> {
  const result = await runTrial(planSchedule(seed, { kinds }), { settings, keepLogsDir: '/tmp/failover-chaos' });
  const row = formatRow(result, index - 1);
  expect({ row, outcome: result.outcome }).toEqual({
    row,
    outcome: result.control ? 'double-vote' : expect.stringMatching(/^(restored|blocked-and-notified)$/),
  });
  expect(result.pass).toBe(true);
}

describe('the fault campaign (CI batch)', () => {
  it.each(seedsOf({ trials: RANDOM_TRIALS, baseSeed: BASE_SEED }).map((seed, index) => [index + 1, seed]))(
    'trial %i (seed %i) ends with no double vote, no lockout violation, and voting restored in budget',
    (index, seed) => expectPass(index, seed, KINDS),
    60_000 + 2 * budget.totalMs,
  );

  // One trial per fencing class, about half what the trials above give each fault class.
  it.each(
    FENCING_KINDS.map((kind, index) => [
      kind,
      seedsOf({ trials: FENCING_KINDS.length, baseSeed: BASE_SEED + 1 })[index]!,
    ]),
  )(
    '%s (seed %i) ends with no double vote, no lockout violation, its checks passed, and voting restored',
    (kind, seed) => expectPass(RANDOM_TRIALS + 1 + FENCING_KINDS.indexOf(kind), seed, [kind]),
    120_000 + 2 * budget.totalMs,
  );

  // One trial per class of issue 11; the zombie without the host guard must show its double vote.
  it.each(
    GUARD_KINDS.map((kind, index) => [kind, seedsOf({ trials: GUARD_KINDS.length, baseSeed: BASE_SEED + 2 })[index]!]),
  )(
    '%s (seed %i) ends as its class expects, judged by the simulator',
    (kind, seed) => expectPass(RANDOM_TRIALS + 1 + FENCING_KINDS.length + GUARD_KINDS.indexOf(kind), seed, [kind]),
    240_000 + 2 * budget.totalMs,
  );
});
