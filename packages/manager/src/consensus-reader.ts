/**
 * Reads the inputs of the consensus phase from one cluster endpoint each heartbeat, and folds
 * them into core's view (`advanceConsensus`): `getAgGenesisCert` first (method not found: an
 * RPC from before Alpenglow, so nothing more is needed), then the processed and finalized slots
 * in one batch and, until a genesis certificate is seen, the Alpenglow feature account. Nothing
 * throws: what could not be read is in the reading's `detail`, and core judges an unreadable
 * phase as `unknown`.
 */
import { ALPENGLOW_FEATURE_ID, advanceConsensus, initialConsensusView } from '@failover/core';
import type { Clock, ConsensusReading, ConsensusRules, ConsensusView, GenesisReading } from '@failover/core';
import type { ConsensusRpc } from '@failover/protocol';

/** JSON-RPC "method not found": the node predates the method. */
const METHOD_NOT_FOUND = -32601;

/** Holds the consensus phase between heartbeats. */
export interface ConsensusReader {
  /** Reads the cluster once and returns the view as of now. */
  read(): Promise<ConsensusView>;
  /** The view as of the last read. */
  current(): ConsensusView;
}

/** Options of {@link createConsensusReader}. */
export interface ConsensusReaderOptions {
  /** A client whose calls of one read go to one endpoint. */
  readonly rpc: () => ConsensusRpc;
  readonly rules: ConsensusRules;
  readonly clock: Clock;
}

/** Creates the reader; nothing is read until `read()`. */
export function createConsensusReader(options: ConsensusReaderOptions): ConsensusReader {
  const { rules, clock } = options;
  let view = initialConsensusView(rules);

  async function reading(): Promise<ConsensusReading | null> {
    const rpc = options.rpc();
    const cert = await rpc.getAgGenesisCert();
    if (!cert.ok && cert.code !== METHOD_NOT_FOUND) return null;
    const genesis: GenesisReading = !cert.ok
      ? { kind: 'unsupported' }
      : cert.value === null
        ? { kind: 'none' }
        : { kind: 'cert', genesis: cert.value };
    const needFeature = genesis.kind === 'none' && view.genesis === null;
    // An RPC from before Alpenglow decides `tower` alone, unless the phase is known otherwise.
    const needSlots = genesis.kind !== 'unsupported' || view.genesis !== null || rules.setting === 'alpenglow';
    const [slots, feature] = await Promise.all([
      needSlots ? rpc.getConsensusSlots() : Promise.resolve(null),
      needFeature ? rpc.getFeature(ALPENGLOW_FEATURE_ID) : Promise.resolve(null),
    ]);
    const problems = [
      slots === null || slots.ok ? null : slots.message,
      feature === null || feature.ok ? null : feature.message,
    ];
    const detail = problems.filter((p): p is string => p !== null).join('; ');
    return {
      endpoint: cert.endpoint,
      genesis,
      feature: feature?.ok === true ? feature.value : null,
      processedSlot: slots?.ok === true ? slots.value.processed : null,
      finalizedSlot: slots?.ok === true ? slots.value.finalized : null,
      detail: detail === '' ? null : detail,
      observedAt: clock.now(),
    };
  }

  return {
    async read() {
      const taken = await reading();
      view = advanceConsensus(view, taken, rules, clock.now());
      return view;
    },
    current: () => view,
  };
}
