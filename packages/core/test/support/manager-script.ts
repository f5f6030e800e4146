/**
 * Random scripts for the manager machine's property tests: ticks drawn from node archetypes,
 * step results (some stale, some refused for a stale tower), switchover requests, dry-run
 * changes, pauses and resumes, and the player that folds them.
 */
import fc from 'fast-check';
import type { ManagerEffect, ManagerEvent, ManagerState, NodeObservation, Observation } from '@failover/core';
import { createManagerState, stepManager } from '@failover/core';
import { STAKED, activeStatus, down, status, up } from './observations';

export const archetypes: Record<string, (slot: number) => NodeObservation> = {
  'active-ok': (slot) => up(activeStatus({ validatorSlot: slot })),
  'passive-ok': (slot) => up(status({ validatorSlot: slot })),
  'active-crashed': () =>
    up(activeStatus({ processRunning: false, processHealthy: false, rpcHealthy: false, processUptimeSec: 0 })),
  'active-lagging': (slot) => up(activeStatus({ validatorSlot: slot - 500 })),
  'passive-lagging': (slot) => up(status({ validatorSlot: slot - 500 })),
  'passive-rpc-down': (slot) => up(status({ validatorSlot: slot, rpcHealthy: false })),
  'passive-staked-identity': (slot) => up(status({ validatorSlot: slot, identityPubkey: STAKED })),
  'passive-unconfirmed': (slot) => up(status({ validatorSlot: slot, role: 'unconfirmed' })),
  'passive-activating': (slot) => up(status({ validatorSlot: slot, role: 'activating' })),
  down: () => down(),
};
/** Weighted so that scripts mostly describe a real pair (one active, one passive) going wrong. */
const weighted = (weights: Record<string, number>): fc.Arbitrary<string> =>
  fc.oneof(...Object.entries(weights).map(([name, weight]) => ({ weight, arbitrary: fc.constant(name) })));
const v1Arb = weighted({
  'active-ok': 5,
  'active-crashed': 3,
  'active-lagging': 1,
  down: 3,
  'passive-ok': 3,
  'passive-lagging': 1,
});
const v2Arb = weighted({
  'passive-ok': 8,
  'passive-lagging': 1,
  'passive-rpc-down': 1,
  'passive-staked-identity': 1,
  'passive-unconfirmed': 1,
  'passive-activating': 1,
  down: 1,
  'active-ok': 1,
  'active-crashed': 1,
});

const tickArb = fc.record({
  kind: fc.constant('tick' as const),
  dt: fc.integer({ min: 0, max: 10_000 }),
  v1: v1Arb,
  v2: v2Arb,
  slot: fc.option(fc.integer({ min: 1000, max: 1400 }), { freq: 5 }),
  lastVoteBehind: fc.option(fc.integer({ min: 0, max: 400 }), { freq: 5 }),
  voteAgeMs: fc.constantFrom(0, 0, 0, 20_000),
  gossipAt: fc.option(fc.constantFrom('validator1' as const, 'validator2' as const), { freq: 8 }),
});
const resultArb = fc.record({
  kind: fc.constant('result' as const),
  dt: fc.integer({ min: 0, max: 5_000 }),
  ok: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  stale: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  staleTower: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
const switchoverArb = fc.record({
  kind: fc.constant('switchover' as const),
  to: fc.constantFrom(null, 'validator1' as const, 'validator2' as const),
});
const dryRunArb = fc.record({ kind: fc.constant('dry-run' as const), dryRun: fc.boolean() });
const pauseArb = fc.record({
  kind: fc.constant('pause' as const),
  forMs: fc.option(fc.integer({ min: 1_000, max: 60_000 }), { freq: 2 }),
});
const resumeArb = fc.record({ kind: fc.constant('resume' as const) });
export const scriptArb = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: tickArb },
    { weight: 4, arbitrary: resultArb },
    { weight: 1, arbitrary: switchoverArb },
    { weight: 1, arbitrary: dryRunArb },
    { weight: 1, arbitrary: pauseArb },
    { weight: 1, arbitrary: resumeArb },
  ),
  {
    minLength: 10,
    maxLength: 150,
    size: 'large',
  },
);
export const configArb = fc.record({
  missesBeforeFailover: fc.integer({ min: 1, max: 4 }),
  startupGracePeriodMs: fc.integer({ min: 0, max: 30_000 }),
  cooldownMs: fc.integer({ min: 0, max: 60_000 }),
  dryRun: fc.boolean(),
  stakedIdentityPubkey: fc.constant(STAKED),
});

export type Script = typeof scriptArb extends fc.Arbitrary<infer T> ? T : never;
export type Config = typeof configArb extends fc.Arbitrary<infer C> ? C : never;

/** Plays a script and hands each (before, event, after, effects) to `check`. */
export function play(
  config: Config,
  script: Script,
  check: (before: ManagerState, event: ManagerEvent, after: ManagerState, effects: readonly ManagerEffect[]) => void,
  initial: ManagerState = createManagerState(config, 0),
): ManagerState {
  let state = initial;
  let now = initial.lastObservation?.at ?? initial.startedAt;
  let lastToken = initial.status === 'failing-over' ? initial.failover.token : 0;
  for (const item of script) {
    let event: ManagerEvent;
    if (item.kind === 'tick') {
      now += item.dt;
      const slot = item.slot ?? 1000;
      const observation: Observation = {
        at: now,
        nodes: { validator1: archetypes[item.v1]!(slot), validator2: archetypes[item.v2]!(slot) },
        clusterSlot: item.slot === null ? null : { slot, observedAt: now },
        vote:
          item.lastVoteBehind === null
            ? null
            : { lastVote: slot - item.lastVoteBehind, delinquent: false, observedAt: now - item.voteAgeMs },
        gossip:
          item.gossipAt === null
            ? null
            : { holder: item.gossipAt, ip: item.gossipAt === 'validator1' ? '10.0.0.1' : '10.0.0.2', observedAt: now },
      };
      event = { type: 'tick', observation };
    } else if (item.kind === 'result') {
      now += item.dt;
      const token = state.status === 'failing-over' && !item.stale ? state.failover.token : lastToken;
      event = item.ok
        ? { type: 'step-result', token, result: { ok: true }, at: now }
        : {
            type: 'step-result',
            token,
            result: { ok: false, detail: 'failed' },
            at: now,
            ...(item.staleTower ? { refusal: { kind: 'stale-tower', towerSlot: 900, lastVote: 1000 } } : {}),
          };
    } else if (item.kind === 'switchover') {
      event = { type: 'switchover-requested', requestId: 'r', reason: 'planned', to: item.to, at: now };
    } else if (item.kind === 'pause') {
      event = { type: 'pause-requested', requestId: 'p', reason: 'maintenance', forMs: item.forMs, at: now };
    } else if (item.kind === 'resume') {
      event = { type: 'resume-requested', requestId: 'p', reason: null, at: now };
    } else {
      event = { type: 'config-changed', options: { dryRun: item.dryRun }, at: now };
    }
    if (state.status === 'failing-over') lastToken = state.failover.token;
    const out = stepManager(state, event);
    check(state, event, out.state, out.effects);
    state = out.state;
  }
  return state;
}
