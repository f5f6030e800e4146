import fc from 'fast-check';
import type { ManagerEffect, Observation } from '@failover/core';
import { blockCauseKey, mayHoldIdentity } from '@failover/core';
import { STAKED } from './support/observations';
import { configArb, play, scriptArb } from './support/manager-script';

function runOf(effects: readonly ManagerEffect[]): Extract<ManagerEffect, { kind: 'failover' }> | undefined {
  return effects.find((e): e is Extract<ManagerEffect, { kind: 'failover' }> => e.kind === 'failover');
}

/** A plan that moves the identity; fences only take it off a node. */
function failoverOf(effects: readonly ManagerEffect[]): Extract<ManagerEffect, { kind: 'failover' }> | undefined {
  const started = runOf(effects);
  return started?.plan.kind === 'switchover' ? started : undefined;
}

function claims(observation: Observation, node: 'validator1' | 'validator2'): boolean {
  const seen = observation.nodes[node];
  return seen.reachable && mayHoldIdentity(seen.status, STAKED);
}

// FAILOVER_PROPERTY_RUNS=5000 searches harder than the 200 runs each test does by default.
const runs = { numRuns: Number(process.env.FAILOVER_PROPERTY_RUNS ?? 200) };

describe('manager machine invariants', () => {
  it('never has two failovers in flight', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, _event, after, effects) => {
          const started = effects.filter((e) => e.kind === 'failover');
          expect(started.length).toBeLessThanOrEqual(1);
          if (started.length === 1) {
            expect(before.status).not.toBe('failing-over');
            expect(
              after.status === 'failing-over' ||
                effects.some(
                  (e) =>
                    e.kind === 'notify' && e.event.type !== 'failover-started' && e.event.type.startsWith('failover'),
                ),
            ).toBe(true);
          }
        });
      }),
      runs,
    );
  });

  it('while paused starts nothing on its own but a fence, and no switchover that names no node', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, event, after, effects) => {
          const started = runOf(effects);
          if (after.pause === null || started === undefined) return;
          if (event.type === 'switchover-requested') expect(event.to).not.toBeNull();
          else expect(started.plan.kind).toBe('fence');
        });
      }),
      runs,
    );
  });

  it('never targets an unreachable or unhealthy node', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, _event, after, effects) => {
          const started = failoverOf(effects);
          if (started === undefined || after.lastObservation === null) return;
          expect(after.lastObservation.nodes[started.plan.to].reachable).toBe(true);
          expect(after.nodes[started.plan.to].health?.healthy).toBe(true);
        });
      }),
      runs,
    );
  });

  it('never promotes past an unreachable old active without fresh proof that it stopped voting', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, _event, after, effects) => {
          const started = failoverOf(effects);
          const o = after.lastObservation;
          if (started === undefined || o === null || o.nodes[started.plan.from].reachable) return;
          expect(started.plan.steps[0]?.action).toEqual({ kind: 'prove-stopped-voting', node: started.plan.from });
          expect(o.vote).not.toBeNull();
          expect(o.clusterSlot).not.toBeNull();
          expect(o.at - o.vote!.observedAt).toBeLessThanOrEqual(after.config.voteProof.maxAgeMs);
          expect(o.clusterSlot!.slot - o.vote!.lastVote).toBeGreaterThanOrEqual(
            after.config.voteProof.staleVoteSlotThreshold,
          );
        });
      }),
      runs,
    );
  });

  it('never fails over automatically during the start-up grace period, nor at all in dry-run', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, event, _after, effects) => {
          const started = runOf(effects);
          if (started === undefined) return;
          expect(before.config.dryRun).toBe(false);
          // Regression: a fence of a second claimant next to the recorded holder is a safety
          // action (S1), not a failover; it runs in the grace period as in cooldown.
          if (event.type === 'tick' && started.plan.kind !== 'fence') {
            expect(event.observation.at).toBeGreaterThanOrEqual(before.startedAt + before.config.startupGracePeriodMs);
          }
        });
      }),
      runs,
    );
  });

  it('never fails over from a tick in which both nodes claim the identity', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, event, _after, effects) => {
          if (event.type !== 'tick') return;
          const claims = Object.values(event.observation.nodes).filter(
            (n) => n.reachable && (n.status.isActive || n.status.identityPubkey === STAKED),
          );
          if (claims.length === 2) expect(failoverOf(effects)).toBeUndefined();
        });
      }),
      runs,
    );
  });

  it('reports a block at most once per cause until it clears', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        let current: string | null = null;
        play(config, script, (_before, _event, _after, effects) => {
          for (const e of effects) {
            if (e.kind !== 'notify') continue;
            if (e.event.type === 'unblocked') {
              expect(blockCauseKey(e.event.cause)).toBe(current);
              current = null;
            } else if (e.event.type === 'blocked') {
              expect(current).toBeNull();
              current = blockCauseKey(e.event.cause);
            } else if (
              e.event.type === 'failover-complete' ||
              e.event.type === 'failover-failed' ||
              e.event.type === 'rolled-back'
            ) {
              // A finished failover forgets the hold; what holds the next one is news again.
              current = null;
            } else if (e.event.type === 'resumed' && current === 'paused') {
              // The resume says the pause's hold is over; no `unblocked` on top.
              current = null;
            }
          }
        });
      }),
      runs,
    );
  });

  it('runs only steps of the failover in flight, one at a time', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, _event, after, effects) => {
          const steps = effects.filter((e) => e.kind === 'run-step');
          expect(steps.length).toBeLessThanOrEqual(1);
          if (steps.length === 1) {
            expect(after.status).toBe('failing-over');
            if (after.status === 'failing-over') expect(steps[0]).toMatchObject({ token: after.failover.token });
          }
        });
      }),
      runs,
    );
  });
});

describe('manager machine invariants: fencing a second claimant (S1)', () => {
  it('fences only a reachable claimant that is not the recorded holder, and only with a holder recorded', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, event, _after, effects) => {
          const started = runOf(effects);
          if (started?.plan.kind !== 'fence') return;
          expect(event.type).toBe('tick');
          expect(before.holder).not.toBeNull();
          expect(started.plan.to).toBe(before.holder);
          expect(started.plan.from).not.toBe(before.holder);
          if (event.type === 'tick') expect(claims(event.observation, started.plan.from)).toBe(true);
        });
      }),
      runs,
    );
  });

  it('never runs a fence step against the recorded holder', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, _event, after, effects) => {
          if (after.status !== 'failing-over' || after.failover.plan.kind !== 'fence') return;
          for (const e of effects) if (e.kind === 'run-step') expect(e.step.action.node).not.toBe(after.holder);
        });
      }),
      runs,
    );
  });

  it('changes the recorded holder only when a failover ends', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, _event, after, effects) => {
          if (after.holder === before.holder) return;
          expect(
            effects.some(
              (e) =>
                e.kind === 'notify' && ['failover-complete', 'rolled-back', 'failover-failed'].includes(e.event.type),
            ),
          ).toBe(true);
        });
      }),
      runs,
    );
  });

  it('ends a promotion refused for a stale tower past an unreachable old active without changing hands', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, event, after) => {
          if (
            event.type !== 'step-result' ||
            event.refusal === undefined ||
            before.status !== 'failing-over' ||
            event.token !== before.failover.token
          )
            return;
          const { plan, run } = before.failover;
          if (plan.fromReachable || run.compensating || run.current.action.kind !== 'promote') return;
          expect(after.status).not.toBe('failing-over');
          expect(after.active).toBe(before.active);
          expect(after.holder).toBe(before.holder);
          expect(after.hold).toMatchObject({ kind: 'stale-tower', node: plan.to });
        });
      }),
      runs,
    );
  });
});

/** A recovery the machine started on its own (not a switchover an operator named a node for). */
function recoveryOf(effects: readonly ManagerEffect[]): Extract<ManagerEffect, { kind: 'failover' }> | undefined {
  const started = runOf(effects);
  return started?.plan.kind === 'recovery' && started.reason.kind === 'no-voter' ? started : undefined;
}

describe('manager machine invariants: recovering a voter when nobody holds the identity', () => {
  /** The tick confirms nobody may hold the identity: both answer as settled passives, no claim, no gossip entry. */
  function nobodyHolds(observation: Observation): boolean {
    if (observation.gossip !== null) return false;
    return Object.values(observation.nodes).every(
      (n) => n.reachable && n.status.role === 'passive' && !mayHoldIdentity(n.status, STAKED),
    );
  }

  it('never promotes while either node may hold the identity, and only after enough such ticks', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        let streak = 0;
        play(config, script, (before, event, _after, effects) => {
          if (event.type === 'tick' && before.status !== 'failing-over')
            streak = nobodyHolds(event.observation) ? streak + 1 : 0;
          const started = recoveryOf(effects);
          if (started === undefined) return;
          expect(event.type).toBe('tick');
          if (event.type === 'tick') expect(nobodyHolds(event.observation)).toBe(true);
          expect(streak).toBeGreaterThanOrEqual(before.config.missesBeforeFailover);
          expect(started.reason).toMatchObject({ kind: 'no-voter', ticks: streak });
        });
      }),
      runs,
    );
  });

  it('never recovers without a holder seen before, and prefers that holder while it is healthy', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, _event, after, effects) => {
          const started = recoveryOf(effects);
          if (started === undefined) return;
          expect(before.lastHolder).not.toBeNull();
          expect(started.plan.from).toBe(before.lastHolder);
          expect(after.nodes[started.plan.to].health?.healthy).toBe(true);
          if (after.nodes[before.lastHolder!].health?.healthy === true) expect(started.plan.to).toBe(before.lastHolder);
          expect(started.plan.steps[0]?.action).toEqual({
            kind: 'verify-demotion',
            node: started.plan.to === 'validator1' ? 'validator2' : 'validator1',
          });
          expect(started.plan.steps.map((s) => s.action.kind)).not.toContain('demote');
        });
      }),
      runs,
    );
  });

  it('never recovers in cooldown', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (before, event, _after, effects) => {
          if (recoveryOf(effects) === undefined) return;
          // Regression: a cooldown that has run out by the tick is over; the machine leaves it on
          // that tick, so only a cooldown still in effect forbids the recovery.
          const at = event.type === 'tick' ? event.observation.at : event.at;
          expect(before.status === 'cooldown' && at < before.until).toBe(false);
          expect(before.status).not.toBe('failing-over');
        });
      }),
      runs,
    );
  });
});

describe('manager machine invariants: a switchover that names a node while nobody holds the identity', () => {
  it('promotes the named node only, and never demotes or promotes the other one', () => {
    fc.assert(
      fc.property(configArb, scriptArb, (config, script) => {
        play(config, script, (_before, event, _after, effects) => {
          const started = runOf(effects);
          if (started?.plan.kind !== 'recovery' || started.reason.kind !== 'switchover') return;
          expect(event).toMatchObject({ type: 'switchover-requested', to: started.plan.to });
          const other = started.plan.to === 'validator1' ? 'validator2' : 'validator1';
          const actions = started.plan.steps.flatMap((step) => [
            step.action,
            ...(step.undo ?? []).map((undo) => undo.action),
          ]);
          expect(actions.filter((a) => a.node === other).map((a) => a.kind)).toEqual(['verify-demotion']);
        });
      }),
      runs,
    );
  });
});

describe('manager machine property scripts', () => {
  it('reach failovers, unreachable-old-active promotions, recoveries, completions, rollbacks, blocks, fences and stale-tower holds, so the invariants are not vacuous', () => {
    const seen = new Set<string>();
    for (const [config, script] of fc.sample(fc.tuple(configArb, scriptArb), { numRuns: 300, seed: 7 })) {
      play(config, script, (_before, _event, _after, effects) => {
        for (const e of effects) {
          if (e.kind === 'failover')
            seen.add(
              e.plan.kind !== 'switchover'
                ? e.plan.kind
                : e.plan.fromReachable
                  ? 'failover'
                  : 'failover-unreachable-old',
            );
          if (e.kind === 'notify') seen.add(e.event.type);
          if (e.kind === 'notify' && e.event.type === 'blocked') seen.add(e.event.cause.kind);
        }
      });
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'failover',
        'failover-unreachable-old',
        'recovery',
        'failover-complete',
        'rolled-back',
        'failover-failed',
        'blocked',
        'unblocked',
        'fence-started',
        'fence-ended',
        'stale-tower',
      ]),
    );
  });
});
