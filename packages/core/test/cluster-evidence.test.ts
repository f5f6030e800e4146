import type { ClusterSample } from '@failover/core';
import {
  clusterReadIntervalMs,
  combineClusterSamples,
  DEFAULT_MANAGER_MACHINE_CONFIG,
  requiredSamples,
  towerFloorGate,
} from '@failover/core';
import { observe } from './support/observations';

function sample(endpoint: string, slot: number, lastVote: number, at = 100): ClusterSample {
  return { ok: true, endpoint, slot, lastVote, delinquent: false, at };
}
function failed(endpoint: string, slot: number | null = null): ClusterSample {
  return { ok: false, endpoint, detail: `${endpoint}: no answer`, slot, at: 100 };
}

describe('combining cluster samples', () => {
  it('needs one sample with one endpoint and two as soon as two are configured', () => {
    expect([1, 2, 3, 5].map(requiredSamples)).toEqual([1, 2, 2, 2]);
  });

  it('takes one endpoint at its word when only one is configured', () => {
    expect(combineClusterSamples([sample('a', 1200, 999)], 1)).toEqual({
      clusterSlot: { slot: 1200, observedAt: 100 },
      vote: { lastVote: 999, delinquent: false, observedAt: 100 },
      floor: 999,
      shortfall: null,
    });
  });

  // Regression: one backend whose view of the vote account lags made the old active look stopped.
  it('hands on the sample nearest a live vote, so one lagging endpoint cannot prove a stop', () => {
    const evidence = combineClusterSamples([sample('lagging', 1200, 999), sample('fresh', 1201, 1199)], 2);
    expect(evidence.clusterSlot?.slot).toBe(1201);
    expect(evidence.vote?.lastVote).toBe(1199);
  });

  it('takes the highest lastVote any endpoint saw as the floor', () => {
    expect(combineClusterSamples([sample('a', 1300, 1100), sample('b', 1200, 1150)], 2).floor).toBe(1150);
  });

  it('gives no vote and no floor when fewer than two of several endpoints answered, keeping a slot for the lag rule', () => {
    const evidence = combineClusterSamples([sample('a', 1200, 999), failed('b'), failed('c', 1201)], 3);
    expect(evidence.vote).toBeNull();
    expect(evidence.floor).toBeNull();
    expect(evidence.clusterSlot).toEqual({ slot: 1200, observedAt: 100 });
    expect(evidence.shortfall).toBe(
      '1 of 3 cluster RPC endpoints gave the slot and the vote account, 2 needed: b: no answer; c: no answer',
    );
  });

  it('accepts two answers of three endpoints', () => {
    const evidence = combineClusterSamples([failed('a'), sample('b', 1200, 1000), sample('c', 1200, 1001)], 3);
    expect(evidence.floor).toBe(1001);
    expect(evidence.shortfall).toBeNull();
  });
});

describe('the tower floor gate', () => {
  const live = { ...DEFAULT_MANAGER_MACHINE_CONFIG, dryRun: false };

  it('passes with a fresh vote account reading', () => {
    expect(towerFloorGate(live, observe({ at: 1000 }), 'validator2')).toBeNull();
  });

  it('refuses without vote_account_pubkey, naming the key and the doc section', () => {
    expect(towerFloorGate({ ...live, voteAccountConfigured: false }, observe({ at: 1000 }), 'validator2')).toEqual({
      kind: 'no-tower-floor',
      node: 'validator2',
      detail: 'vote_account_pubkey is not set (docs/safety.md, "The tower floor")',
    });
  });

  it('is never left without a reading young enough: the cluster is read at least twice within the age it accepts', () => {
    const maxAge = live.voteProof.maxAgeMs;
    expect(clusterReadIntervalMs(live, 30_000)).toBe(maxAge / 2);
    expect(clusterReadIntervalMs(live, 1_000)).toBe(1_000);
    expect(clusterReadIntervalMs({ ...live, voteAccountConfigured: false }, 30_000)).toBe(30_000);
  });

  it('refuses without a reading, or with one older than the proof accepts', () => {
    expect(towerFloorGate(live, observe({ at: 1000, lastVote: null }), 'validator2')).toMatchObject({
      kind: 'no-tower-floor',
      detail: 'the vote account has not been read from the cluster RPC',
    });
    const old = { ...observe({ at: 0 }), at: 20_000 };
    expect(towerFloorGate(live, old, 'validator2')).toMatchObject({
      kind: 'no-tower-floor',
      detail: 'the vote account reading is 20000 ms old',
    });
  });

  it('lets dry run decide and report without a floor', () => {
    expect(
      towerFloorGate({ ...live, dryRun: true, voteAccountConfigured: false }, observe({ at: 1000 }), 'validator2'),
    ).toBeNull();
  });
});
