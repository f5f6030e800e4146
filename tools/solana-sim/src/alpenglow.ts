import { createHash } from 'node:crypto';
import { encodeBase58 } from '@failover/core';

/**
 * What the simulator shows of Alpenglow (SIMD-0326): the feature account, the migration window,
 * the genesis certificate and the finalization and reward-certificate lags. Plain functions of
 * slots, shared by the cluster and validator processes.
 */

/** The Alpenglow feature gate's account (agave feature_set). */
export const ALPENGLOW_FEATURE_ID = 'A1pengvuM6JEcyNuTnMqepBKhwHE3N6PmUrdATGawhJS';
/** Owner of every feature account: the feature program. */
export const FEATURE_PROGRAM_ID = 'Feature111111111111111111111111111111111111';
/** Slots from the feature's activation to the switch to Alpenglow on mainnet and testnet. */
export const DEFAULT_MIGRATION_SLOTS = 5000;
/** Blocks carry reward certificates for votes about this many slots old. */
export const DEFAULT_REWARD_CERT_LAG_SLOTS = 8;
/** While the cluster finalizes, the finalized slot trails the tip by this many slots. */
export const FINALIZATION_LAG_SLOTS = 1;
/** In a standstill the tip goes on for this many slots after finalization stops, then stops too. */
export const STANDSTILL_TIP_SLOTS = 4;
/** The first agave release that speaks Alpenglow and answers getAgGenesisCert. */
const FIRST_ALPENGLOW_VERSION: readonly [number, number] = [4, 3];
/** Rent-exempt minimum of a 9-byte account: (128 + 9) bytes × 3480 lamports × 2 years. */
const FEATURE_ACCOUNT_LAMPORTS = 953_520;

/** Consensus phase of the cluster at a slot. */
export type ConsensusPhase = 'tower' | 'migrating' | 'alpenglow';

/** agave's JSON of the Alpenglow genesis certificate (getAgGenesisCert). */
export interface AgGenesisCert {
  readonly block: { readonly slot: number; readonly block_id: number[] };
  readonly signature: { readonly signature: number[]; readonly bitmap: number[] };
}

/** The slot the cluster switches to Alpenglow at, or null while the feature is not activated. */
export function genesisSlotOf(activationSlot: number | null, migrationSlots: number): number | null {
  return activationSlot === null ? null : activationSlot + migrationSlots;
}

/** The phase at `slot`: tower until activation, migrating in the window, Alpenglow from the genesis slot. */
export function phaseAt(activationSlot: number | null, migrationSlots: number, slot: number): ConsensusPhase {
  if (activationSlot === null || slot < activationSlot) return 'tower';
  return slot < activationSlot + migrationSlots ? 'migrating' : 'alpenglow';
}

/** Whether an agave version string (e.g. '4.3.0') answers getAgGenesisCert. */
export function speaksAlpenglow(version: string): boolean {
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10));
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return false;
  const [wantMajor, wantMinor] = FIRST_ALPENGLOW_VERSION;
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/**
 * The feature account's data: bincode `Feature { activated_at: Option<u64> }`, 9 bytes — tag 0
 * (None: submitted, not yet active) or 1 (Some) and the slot as u64 little endian.
 */
export function featureAccountData(activatedAt: number | null): Buffer {
  const data = Buffer.alloc(9);
  if (activatedAt !== null) {
    data[0] = 1;
    data.writeBigUInt64LE(BigInt(activatedAt), 1);
  }
  return data;
}

/**
 * getAccountInfo's value for the feature account. `binary` is the legacy default: the data as one
 * base-58 string; the others give `[data, encoding]`.
 */
export function featureAccountInfo(
  activatedAt: number | null,
  encoding: 'binary' | 'base58' | 'base64',
): Record<string, unknown> {
  const data = featureAccountData(activatedAt);
  return {
    data:
      encoding === 'binary'
        ? encodeBase58(data)
        : [encoding === 'base64' ? data.toString('base64') : encodeBase58(data), encoding],
    executable: false,
    lamports: FEATURE_ACCOUNT_LAMPORTS,
    owner: FEATURE_PROGRAM_ID,
    // agave reports u64::MAX for rent-exempt accounts; a JSON reader parses it to this double.
    rentEpoch: 2 ** 64,
    space: data.length,
  };
}

function bytes(seed: string, length: number): number[] {
  const out: number[] = [];
  for (let round = 0; out.length < length; round += 1) {
    out.push(...createHash('sha256').update(`${seed}/${round}`).digest());
  }
  return out.slice(0, length);
}

/**
 * The genesis certificate of the switch at `slot`: the block's id and the BLS aggregate (192
 * bytes) with the voters' bitmap. `genesis` names the chain: validators on one genesis answer
 * the same certificate, a node that migrated on another one answers another block id.
 */
export function genesisCertificate(slot: number, genesis: string, voters: number): AgGenesisCert {
  const bitmap = Array.from({ length: Math.ceil(voters / 8) }, (_, i) =>
    Math.min(8, voters - i * 8) === 8 ? 255 : (1 << (voters - i * 8)) - 1,
  );
  return {
    block: { slot, block_id: bytes(`solana-sim genesis block ${genesis} ${slot}`, 32) },
    signature: { signature: bytes(`solana-sim genesis signature ${genesis} ${slot}`, 192), bitmap },
  };
}
