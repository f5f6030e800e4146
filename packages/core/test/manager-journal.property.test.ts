import fc from 'fast-check';
import type { JournalRecord, ManagerEffect, ManagerEvent, ManagerJournalState, ManagerState } from '@failover/core';
import {
  EMPTY_JOURNAL,
  applyJournalRecords,
  createManagerState,
  describeAction,
  restoreManagerState,
} from '@failover/core';
import type { Config, Script } from './support/manager-script';
import { configArb, play, scriptArb } from './support/manager-script';

const runs = { numRuns: Number(process.env.FAILOVER_PROPERTY_RUNS ?? 200) };

type Check = (
  before: ManagerState,
  event: ManagerEvent,
  after: ManagerState,
  effects: readonly ManagerEffect[],
) => void;

function recordsOf(effects: readonly ManagerEffect[]): JournalRecord[] {
  return effects.flatMap((e) => (e.kind === 'journal' ? [...e.records] : []));
}

/** A manager that played `before`, was killed, and started again on its journal to play `after`. */
function playAcross(
  config: Config,
  before: Script,
  after: Script,
  check: { before?: Check; restart?: (journal: ManagerJournalState, restored: ManagerState) => void; after?: Check },
): { journal: ManagerJournalState; killed: ManagerState } {
  const written: JournalRecord[] = [];
  const killed = play(config, before, (b, e, a, effects) => {
    written.push(...recordsOf(effects));
    check.before?.(b, e, a, effects);
  });
  const journal = applyJournalRecords(EMPTY_JOURNAL, written);
  const now = Math.max(killed.lastObservation?.at ?? 0, ...written.map((r) => r.at)) + 1_000;
  const restored = restoreManagerState(createManagerState(config, now), { term: killed.term + 1, journal });
  check.restart?.(journal, restored.state);
  const rewritten: JournalRecord[] = [];
  play(
    config,
    after,
    (b, e, a, effects) => {
      rewritten.push(...recordsOf(effects));
      check.after?.(b, e, a, effects);
    },
    restored.state,
  );
  return { journal: applyJournalRecords(journal, rewritten), killed };
}

describe('the journal, replayed', () => {
  it('holds the machine’s holder, last holder and run in flight at every point, so a restart knows them', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        let journal = EMPTY_JOURNAL;
        play(config, script, (_before, _event, after, effects) => {
          journal = applyJournalRecords(journal, recordsOf(effects));
          const restored = restoreManagerState(createManagerState(config, 0), { term: 1, journal }).state;
          expect(restored.holder).toBe(after.holder);
          expect(restored.lastHolder).toBe(after.lastHolder);
          expect(restored.runs).toBe(after.runs);
          expect(restored.interrupted?.id).toBe(after.status === 'failing-over' ? after.failover.id : undefined);
        });
      }),
      runs,
    );
  });

  it('never runs a step of a plan again once it finished, across a restart: no second promotion', () => {
    fc.assert(
      fc.property(configArb, scriptArb, scriptArb, (config, before, after) => {
        const { journal, killed } = playAcross(config, before, after, {});
        if (killed.status !== 'failing-over') return;
        const run = journal.runs.find((r) => r.id === killed.failover.id);
        expect(run).toBeDefined();
        const done = new Set<string>();
        for (const step of run!.steps) {
          const key = `${step.compensating ? 'undo:' : ''}${describeAction(step.action)}`;
          expect(done.has(key)).toBe(false);
          if (step.finished?.ok === true) done.add(key);
        }
      }),
      runs,
    );
  });

  it('takes up the step in flight first, or compensates, before any other plan', () => {
    fc.assert(
      fc.property(configArb, scriptArb, scriptArb, (config, before, after) => {
        let inFlight: { key: string; compensating: boolean } | undefined;
        playAcross(config, before, after, {
          restart: (_journal, restored) => {
            const open = restored.interrupted;
            const last = open?.steps[open.steps.length - 1];
            if (last !== undefined)
              inFlight = {
                key: `${last.compensating}:${describeAction(last.action)}`,
                compensating: last.compensating,
              };
          },
          after: (b, _event, a, effects) => {
            const open = b.interrupted;
            if (open === null || inFlight === undefined) return;
            for (const e of effects) {
              if (e.kind === 'failover') expect(a.status === 'failing-over' && a.failover.id === open.id).toBe(true);
              if (e.kind !== 'run-step') continue;
              const key = `${e.compensating}:${describeAction(e.step.action)}`;
              expect(key === inFlight.key || (e.compensating && !inFlight.compensating)).toBe(true);
            }
          },
        });
      }),
      runs,
    );
  });

  it('never demotes the holder it journaled by a fence, nor outside a switchover or recovery plan', () => {
    fc.assert(
      fc.property(configArb, scriptArb, scriptArb, (config, before, after) => {
        let holder: string | null = null;
        playAcross(config, before, after, {
          restart: (journal) => {
            holder = journal.holder?.node ?? null;
          },
          after: (_b, _event, a, effects) => {
            if (holder === null || a.holder !== holder) return;
            for (const e of effects) {
              if (e.kind !== 'run-step' || e.step.action.kind !== 'demote' || e.step.action.node !== holder) continue;
              expect(a.status).toBe('failing-over');
              if (a.status === 'failing-over') expect(a.failover.plan.kind).not.toBe('fence');
            }
          },
        });
      }),
      runs,
    );
  });
});

describe('journal property scripts', () => {
  it('reach restarts in flight, resumed plans, compensations after a restart and journaled holders', () => {
    const seen = new Set<string>();
    const samples = fc.sample(fc.tuple(configArb, scriptArb, scriptArb), { numRuns: 300, seed: 11 });
    for (const [config, before, after] of samples) {
      playAcross(config, before, after, {
        restart: (journal, restored) => {
          if (restored.interrupted !== null) seen.add('interrupted');
          if (journal.holder !== null) seen.add('holder');
        },
        after: (_b, _e, _a, effects) => {
          for (const e of effects) {
            if (e.kind === 'notify' && e.event.type === 'failover-resumed') seen.add('resumed');
            if (e.kind === 'run-step' && e.compensating) seen.add('compensating');
            if (e.kind === 'notify' && e.event.type === 'failover-failed') seen.add('failed');
          }
        },
      });
    }
    expect([...seen]).toEqual(expect.arrayContaining(['interrupted', 'holder', 'resumed', 'compensating', 'failed']));
  });
});
