/**
 * Which consensus the cluster runs, as the manager reads it from the cluster RPC: TowerBFT,
 * the migration to Alpenglow (SIMD-0326), or Alpenglow. The evidence that an old active stopped
 * voting depends on it (`alpenglow-evidence.ts`): under Alpenglow `lastVote` moves only with
 * reward certificates and freezes for everyone in a standstill, and around the migration it
 * stalls for everyone, so the tower rule would promote on silence that proves nothing.
 *
 * Inputs, from one cluster endpoint: `getAgGenesisCert` (method not found: an RPC that predates
 * Alpenglow, so `tower` from its view; null: not switched yet; a certificate: switched), the
 * feature account `A1pengvuM6JEcyNuTnMqepBKhwHE3N6PmUrdATGawhJS` (`activated_at`; the migration
 * runs from there for `alpenglow_migration_slots`), and the processed and finalized slots. Once a
 * genesis certificate is seen the phase stays `alpenglow` for the manager's run: the switch has
 * no way back. A reading that is missing or too old gives `unknown`, which is judged as
 * `migrating` (no failover on vote evidence).
 */
import { encodeBase58 } from './base58';

/** The cluster's consensus as far as the manager can tell; `unknown` is judged as `migrating`. */
export type ConsensusPhase = 'tower' | 'migrating' | 'alpenglow' | 'unknown';

/** `consensus_phase` in `manager-config.json`: read the phase from the cluster, or take it as given. */
export type ConsensusPhaseSetting = 'auto' | 'tower' | 'alpenglow';

/** The Alpenglow feature gate's account (agave `feature_set::alpenglow`). */
export const ALPENGLOW_FEATURE_ID = 'A1pengvuM6JEcyNuTnMqepBKhwHE3N6PmUrdATGawhJS';

/** Slots from the feature's activation to the end of the migration window (SIMD-0326). */
export const DEFAULT_ALPENGLOW_MIGRATION_SLOTS = 5000;

/** The block an Alpenglow genesis certificate certifies; two nodes on one Alpenglow chain share it. */
export interface AlpenglowGenesis {
  readonly slot: number;
  /** The block id, base58. */
  readonly blockId: string;
}

/** The feature account as one endpoint reads it. */
export type FeatureReading =
  /** No account: the feature is not even proposed on this cluster. */
  | { readonly kind: 'absent' }
  /** The account exists with `activated_at: None`: activation pending. */
  | { readonly kind: 'pending' }
  | { readonly kind: 'activated'; readonly activatedAt: number };

/** `getAgGenesisCert` as one endpoint answers it. */
export type GenesisReading =
  /** JSON-RPC -32601: the RPC predates Alpenglow. */
  | { readonly kind: 'unsupported' }
  /** `null`: not switched to Alpenglow. */
  | { readonly kind: 'none' }
  | { readonly kind: 'cert'; readonly genesis: AlpenglowGenesis };

/** One reading of the phase's inputs, all from one endpoint. */
export interface ConsensusReading {
  readonly endpoint: string;
  readonly genesis: GenesisReading;
  /** Null when not needed (the genesis answer decided) or unreadable; `detail` then says why. */
  readonly feature: FeatureReading | null;
  /** The processed slot; null when unreadable. */
  readonly processedSlot: number | null;
  /** The highest finalized slot; null when unreadable. */
  readonly finalizedSlot: number | null;
  /** What could not be read, when something could not; null otherwise. */
  readonly detail: string | null;
  /** When it was read. */
  readonly observedAt: number;
}

/** Rules of the phase machine. */
export interface ConsensusRules {
  /** `consensus_phase`. @default 'auto' */
  readonly setting: ConsensusPhaseSetting;
  /** `alpenglow_migration_slots`. @default 5000 */
  readonly migrationSlots: number;
  /** A reading older than this gives `unknown`. @default 15000 */
  readonly maxAgeMs: number;
  /**
   * The cluster is in a standstill when its finalized slot has not advanced for this long
   * (agave's standstill: no finalization for about 10 s). @default 10000
   */
  readonly standstillWindowMs: number;
  /**
   * The cluster is in a standstill when its finalized slot trails the processed slot by more
   * than this; the manager passes `stale_vote_slot_threshold`. @default 150
   */
  readonly standstillTrailSlots: number;
}

/** The defaults of {@link ConsensusRules}. */
export const DEFAULT_CONSENSUS_RULES: ConsensusRules = {
  setting: 'auto',
  migrationSlots: DEFAULT_ALPENGLOW_MIGRATION_SLOTS,
  maxAgeMs: 15_000,
  standstillWindowMs: 10_000,
  standstillTrailSlots: 150,
};

/** How the finalized slot moved over the readings so far. */
export interface FinalizationTrack {
  /** The last finalized slot read. */
  readonly finalizedSlot: number;
  /** The processed slot of the same reading. */
  readonly processedSlot: number;
  /** When the finalized slot was last seen to advance; null when it never was. */
  readonly advancedAt: number | null;
  /** When it was read. */
  readonly observedAt: number;
}

/** The phase as the manager holds it between ticks. */
export interface ConsensusView {
  readonly phase: ConsensusPhase;
  /** Why this phase, for `status` and the log. */
  readonly detail: string;
  /** The Alpenglow genesis once seen; it keeps the phase `alpenglow` (sticky). */
  readonly genesis: AlpenglowGenesis | null;
  /** Finalization progress; null until a reading gave both slots. */
  readonly finalization: FinalizationTrack | null;
  /** Why the cluster is not finalizing, as of the view's tick; null while it finalizes. */
  readonly standstill: string | null;
  /** When the inputs were last read successfully. */
  readonly observedAt: number | null;
}

/** The view before anything was read. */
export function initialConsensusView(rules: ConsensusRules): ConsensusView {
  const base = { genesis: null, finalization: null, standstill: NOT_READ, observedAt: null };
  if (rules.setting !== 'auto') return { ...base, ...overridden(rules.setting) };
  return { ...base, phase: 'unknown', detail: 'not read yet' };
}

const NOT_READ = 'the finalized slot has not been read';

function overridden(phase: 'tower' | 'alpenglow'): Pick<ConsensusView, 'phase' | 'detail'> {
  return { phase, detail: `consensus_phase is set to ${phase}` };
}

/**
 * Folds one reading (null: none could be taken this tick) into the view. The override decides
 * the phase but the finalization and genesis are still tracked, since the Alpenglow vetoes need
 * them.
 */
export function advanceConsensus(
  previous: ConsensusView,
  reading: ConsensusReading | null,
  rules: ConsensusRules,
  at: number,
): ConsensusView {
  const genesis =
    previous.genesis ?? (reading !== null && reading.genesis.kind === 'cert' ? reading.genesis.genesis : null);
  const finalization = reading === null ? previous.finalization : trackFinalization(previous.finalization, reading);
  const observedAt = reading === null ? previous.observedAt : reading.observedAt;
  const base = { genesis, finalization, observedAt, standstill: standstillDetail(finalization, rules, at) };
  if (rules.setting !== 'auto') return { ...base, ...overridden(rules.setting) };
  if (genesis !== null)
    return {
      ...base,
      phase: 'alpenglow',
      detail: `Alpenglow genesis certificate seen for slot ${genesis.slot}`,
    };
  if (reading !== null) return { ...base, ...phaseOf(reading, rules) };
  // No reading this tick: the last one holds while it is fresh enough.
  if (previous.observedAt !== null && at - previous.observedAt <= rules.maxAgeMs)
    return { ...base, phase: previous.phase, detail: previous.detail };
  const age = previous.observedAt === null ? 'never read' : `last read ${at - previous.observedAt} ms ago`;
  return { ...base, phase: 'unknown', detail: `the consensus phase could not be read (${age})` };
}

function phaseOf(reading: ConsensusReading, rules: ConsensusRules): Pick<ConsensusView, 'phase' | 'detail'> {
  if (reading.genesis.kind === 'unsupported')
    return { phase: 'tower', detail: `${reading.endpoint} does not know getAgGenesisCert` };
  const { feature } = reading;
  if (feature === null)
    return { phase: 'unknown', detail: `the Alpenglow feature account could not be read: ${reading.detail ?? ''}` };
  if (feature.kind === 'absent') return { phase: 'tower', detail: 'the Alpenglow feature is not on this cluster' };
  if (feature.kind === 'pending') return { phase: 'tower', detail: 'the Alpenglow feature is not activated yet' };
  const end = feature.activatedAt + rules.migrationSlots;
  if (reading.processedSlot === null)
    return { phase: 'unknown', detail: `the cluster slot could not be read: ${reading.detail ?? ''}` };
  if (reading.processedSlot < end)
    return {
      phase: 'migrating',
      detail: `Alpenglow activated at slot ${feature.activatedAt}; the migration window ends at slot ${end}`,
    };
  return {
    phase: 'unknown',
    detail: `the migration window ended at slot ${end} and no Alpenglow genesis certificate is seen`,
  };
}

function trackFinalization(previous: FinalizationTrack | null, reading: ConsensusReading): FinalizationTrack | null {
  const { finalizedSlot, processedSlot, observedAt } = reading;
  if (finalizedSlot === null || processedSlot === null) return previous;
  const advanced = previous !== null && finalizedSlot > previous.finalizedSlot;
  return {
    finalizedSlot,
    processedSlot,
    advancedAt: advanced ? observedAt : (previous?.advancedAt ?? null),
    observedAt,
  };
}

/**
 * Why the cluster is not finalizing at `at`, or null when it is: its finalized slot advanced
 * within the standstill window, at most `standstillTrailSlots` behind the processed slot, in a
 * reading at most `maxAgeMs` old. Never seen advancing is not finalizing (fail closed).
 */
function standstillDetail(f: FinalizationTrack | null, rules: ConsensusRules, at: number): string | null {
  if (f === null) return NOT_READ;
  if (at - f.observedAt > rules.maxAgeMs) return `the finalized slot was last read ${at - f.observedAt} ms ago`;
  if (f.advancedAt === null) return `the finalized slot has not been seen to advance (at ${f.finalizedSlot})`;
  if (f.observedAt - f.advancedAt > rules.standstillWindowMs)
    return `the finalized slot ${f.finalizedSlot} has not advanced for ${f.observedAt - f.advancedAt} ms`;
  const trail = f.processedSlot - f.finalizedSlot;
  if (trail > rules.standstillTrailSlots)
    return `the finalized slot ${f.finalizedSlot} trails the processed slot ${f.processedSlot} by ${trail} slots`;
  return null;
}

/**
 * Decodes the feature account's data: bincode `Feature { activated_at: Option<u64> }`, a tag
 * byte (0 None, 1 Some) then a u64 little endian (agave `solana-feature-gate-interface`); a
 * string says what is wrong with anything else.
 */
export function decodeFeatureAccount(data: Uint8Array): FeatureReading | string {
  const tag = data[0];
  if (tag === 0) return { kind: 'pending' };
  if (tag !== 1 || data.length < 9)
    return `feature account data is not a bincode Option<u64> (${data.length} bytes, tag ${String(tag)})`;
  const slot = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(1, true);
  if (slot > BigInt(Number.MAX_SAFE_INTEGER)) return `feature activation slot ${slot} is out of range`;
  return { kind: 'activated', activatedAt: Number(slot) };
}

/** The genesis of a `getAgGenesisCert` block id given as 32 numbers (agave's JSON of a `Hash`). */
export function alpenglowGenesisOf(slot: number, blockId: readonly number[]): AlpenglowGenesis {
  return { slot, blockId: encodeBase58(Uint8Array.from(blockId)) };
}

/** The same Alpenglow genesis: same slot and block id. */
export function sameGenesis(a: AlpenglowGenesis, b: AlpenglowGenesis): boolean {
  return a.slot === b.slot && a.blockId === b.blockId;
}
