import type { ConsensusReading, ConsensusRules, ConsensusView, GenesisReading } from '@failover/core';
import {
  DEFAULT_CONSENSUS_RULES,
  advanceConsensus,
  alpenglowGenesisOf,
  decodeFeatureAccount,
  initialConsensusView,
} from '@failover/core';

const GENESIS = alpenglowGenesisOf(
  7000,
  Array.from({ length: 32 }, (_, i) => i + 1),
);

function reading(overrides: Partial<ConsensusReading> & { at: number }): ConsensusReading {
  const { at, ...rest } = overrides;
  return {
    endpoint: 'http://rpc',
    genesis: { kind: 'none' },
    feature: { kind: 'absent' },
    processedSlot: 1000,
    finalizedSlot: 998,
    detail: null,
    observedAt: at,
    ...rest,
  };
}

function fold(
  readings: readonly (ConsensusReading | null)[],
  rules: ConsensusRules = DEFAULT_CONSENSUS_RULES,
): ConsensusView {
  let view = initialConsensusView(rules);
  let at = 0;
  for (const r of readings) {
    at = r?.observedAt ?? at + 1_000;
    view = advanceConsensus(view, r, rules, at);
  }
  return view;
}

const cert: GenesisReading = { kind: 'cert', genesis: GENESIS };

describe('consensus phase', () => {
  const cases: [string, Partial<ConsensusReading>, ConsensusView['phase']][] = [
    ['an RPC that does not know getAgGenesisCert', { genesis: { kind: 'unsupported' }, feature: null }, 'tower'],
    ['no feature account', { feature: { kind: 'absent' } }, 'tower'],
    ['a feature not activated yet', { feature: { kind: 'pending' } }, 'tower'],
    [
      'inside the migration window',
      { feature: { kind: 'activated', activatedAt: 500 }, processedSlot: 5499 },
      'migrating',
    ],
    [
      'past the migration window without a genesis certificate',
      { feature: { kind: 'activated', activatedAt: 500 }, processedSlot: 5500 },
      'unknown',
    ],
    ['a genesis certificate', { genesis: cert, feature: null }, 'alpenglow'],
    ['an unreadable feature account', { feature: null, detail: 'getAccountInfo: no answer' }, 'unknown'],
    [
      'an unreadable slot while the feature is active',
      { feature: { kind: 'activated', activatedAt: 500 }, processedSlot: null },
      'unknown',
    ],
  ];
  it.each(cases)('reads %s', (_name, input, phase) => {
    expect(fold([reading({ at: 1_000, ...input })]).phase).toBe(phase);
  });

  it('is unknown before anything is read, and when the last reading is too old', () => {
    expect(initialConsensusView(DEFAULT_CONSENSUS_RULES).phase).toBe('unknown');
    const view = fold([reading({ at: 1_000 }), null]);
    expect(view.phase).toBe('tower');
    const old = advanceConsensus(view, null, DEFAULT_CONSENSUS_RULES, 1_000 + DEFAULT_CONSENSUS_RULES.maxAgeMs + 1);
    expect(old.phase).toBe('unknown');
  });

  it('stays alpenglow once a genesis certificate was seen, whatever is read after', () => {
    const view = fold([
      reading({ at: 1_000, genesis: cert }),
      reading({ at: 2_000, genesis: { kind: 'none' }, feature: { kind: 'absent' } }),
      reading({ at: 3_000, genesis: { kind: 'unsupported' } }),
      null,
    ]);
    expect(view.phase).toBe('alpenglow');
    expect(view.genesis).toEqual(GENESIS);
    const muchLater = advanceConsensus(view, null, DEFAULT_CONSENSUS_RULES, 1_000_000);
    expect(muchLater.phase).toBe('alpenglow');
  });

  it('takes the phase from consensus_phase when set, and still tracks finalization and the genesis', () => {
    const tower = { ...DEFAULT_CONSENSUS_RULES, setting: 'tower' as const };
    expect(initialConsensusView(tower).phase).toBe('tower');
    expect(fold([reading({ at: 1_000, genesis: cert })], tower).phase).toBe('tower');
    const alpenglow = { ...DEFAULT_CONSENSUS_RULES, setting: 'alpenglow' as const };
    const view = fold(
      [
        reading({ at: 1_000, genesis: { kind: 'unsupported' }, finalizedSlot: 10 }),
        reading({ at: 2_000, genesis: cert, finalizedSlot: 11, processedSlot: 12 }),
      ],
      alpenglow,
    );
    expect(view).toMatchObject({ phase: 'alpenglow', genesis: GENESIS, standstill: null });
  });
});

describe('finalization and standstill', () => {
  const finalizing = (at: number, finalizedSlot: number): ConsensusReading =>
    reading({ at, genesis: cert, finalizedSlot, processedSlot: finalizedSlot + 2 });

  it('counts the cluster finalizing only once its finalized slot was seen to advance', () => {
    expect(fold([finalizing(1_000, 100)]).standstill).toMatch(/not been seen to advance/);
    expect(fold([finalizing(1_000, 100), finalizing(2_000, 103)]).standstill).toBeNull();
  });

  it('is a standstill when the finalized slot stops advancing for the window', () => {
    const window = DEFAULT_CONSENSUS_RULES.standstillWindowMs;
    const advancing = [finalizing(1_000, 100), finalizing(2_000, 103)];
    expect(fold([...advancing, finalizing(2_000 + window, 103)]).standstill).toBeNull();
    expect(fold([...advancing, finalizing(2_001 + window, 103)]).standstill).toMatch(
      /finalized slot 103 has not advanced for 10001 ms/,
    );
  });

  it('is a standstill when the finalized slot trails the processed slot by more than the threshold', () => {
    const trail = DEFAULT_CONSENSUS_RULES.standstillTrailSlots;
    const view = fold([
      finalizing(1_000, 100),
      reading({ at: 2_000, genesis: cert, finalizedSlot: 101, processedSlot: 101 + trail + 1 }),
    ]);
    expect(view.standstill).toMatch(/trails the processed slot/);
  });

  it('is a standstill when finalization has not been read lately', () => {
    const view = fold([finalizing(1_000, 100), finalizing(2_000, 103)]);
    const later = advanceConsensus(view, null, DEFAULT_CONSENSUS_RULES, 2_001 + DEFAULT_CONSENSUS_RULES.maxAgeMs);
    expect(later.standstill).toMatch(/last read/);
  });
});

describe('the feature account', () => {
  it('decodes bincode Option<u64> activated_at', () => {
    expect(decodeFeatureAccount(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0]))).toEqual({ kind: 'pending' });
    expect(decodeFeatureAccount(Uint8Array.from([1, 0x39, 0x30, 0, 0, 0, 0, 0, 0]))).toEqual({
      kind: 'activated',
      activatedAt: 12345,
    });
  });

  it('says what is wrong with data of another shape', () => {
    expect(decodeFeatureAccount(Uint8Array.from([2, 0, 0]))).toMatch(/not a bincode Option<u64> \(3 bytes, tag 2\)/);
    expect(decodeFeatureAccount(Uint8Array.from([1, 1]))).toMatch(/2 bytes/);
  });
});
