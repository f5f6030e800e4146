/**
 * The tower file format, byte for byte as agave writes it (bincode of
 * `SavedTowerVersions::Current(SavedTower)`; agave `core/src/consensus/tower_storage.rs`):
 *
 *   u32 LE  variant index: 0 = V1_17_14 (legacy), 1 = Current
 *   [64]    ed25519 signature by the node identity over `data`
 *   u64 LE  length of data, then data = bincode of `Tower1_14_11`
 *
 * `SavedTower.node_pubkey` is `#[serde(skip)]`: the identity is not in the envelope, only in
 * `data`, so agave verifies the signature against the identity it expects before trusting
 * any field (`try_into_tower`). `decodeTower` does the same when given `expectedPubkey`.
 */
import { encodeBase58 } from './base58';
import { TowerDecodeError, TowerEncodeError, TowerSignerMismatchError } from './errors';
import { BincodeReader, BincodeWriter } from './internal/bincode';
import { PUBKEY_LENGTH, SIGNATURE_LENGTH, isValidPubkey, signMessage, verifySignature } from './keys';
import type { Keypair } from './keys';
import { readTower, writeTower } from './internal/tower-data';
import { towerLastVotedSlot } from './tower';
import type { Tower } from './tower';

/** Variant index of `SavedTowerVersions::Current` (enum order: `V1_17_14`, `Current`). */
export const SAVED_TOWER_CURRENT_VARIANT = 1;

/** Result of {@link decodeTower}: the verified tower, or why it was refused. */
export type DecodedTower =
  | {
      readonly ok: true;
      readonly tower: Tower;
      /** Newest voted slot, as {@link towerLastVotedSlot} reports it. */
      readonly lastVotedSlot: number | null;
      /** The vote state's root slot. */
      readonly rootSlot: number | null;
      /** The identity whose signature was verified (base58). */
      readonly signer: string;
    }
  | { readonly ok: false; readonly error: TowerDecodeError };

/**
 * Encodes and signs a tower as `SavedTowerVersions::Current`, the bytes agave writes to
 * `tower-1_9-<pubkey>.bin`.
 * @throws {TowerSignerMismatchError} when `keypair` is not the tower's identity (agave's
 * `SavedTower::new` refuses the same with `TowerError::WrongTower`)
 * @throws {TowerEncodeError} when a field cannot be stored in its on-disk type
 */
export function encodeTower(tower: Tower, keypair: Keypair): Uint8Array {
  if (keypair.pubkey !== tower.nodePubkey) throw new TowerSignerMismatchError(tower.nodePubkey, keypair.pubkey);
  const data = encodeTowerData(tower);
  const envelope = new BincodeWriter((field, problem) => new TowerEncodeError(field, problem));
  envelope.u32(SAVED_TOWER_CURRENT_VARIANT, 'variant');
  envelope.bytes(signMessage(data, keypair));
  envelope.u64(data.length, 'data length');
  envelope.bytes(data);
  return envelope.finish();
}

/**
 * Encodes the unsigned `Tower1_14_11` payload (the `data` the signature covers).
 * @throws {TowerEncodeError} when a field cannot be stored in its on-disk type
 */
export function encodeTowerData(tower: Tower): Uint8Array {
  const writer = new BincodeWriter((field, problem) => new TowerEncodeError(field, problem));
  writeTower(writer, tower);
  return writer.finish();
}

/**
 * Decodes a tower file and verifies it. With `expectedPubkey`, the signature is checked
 * against that identity and the tower must belong to it (agave `try_into_tower`); without,
 * against the `node_pubkey` the data itself claims, read before anything else is trusted.
 * Never throws for bad input: every failure is a {@link TowerDecodeError} value.
 *
 * Stricter than agave in one way: bytes after the tower (in the file or in `data`) are
 * refused. Agave never writes them, so their presence means the file is not what it seems.
 */
export function decodeTower(bytes: Uint8Array, expectedPubkey?: string): DecodedTower {
  try {
    return { ok: true, ...decodeVerified(bytes, expectedPubkey) };
  } catch (error) {
    if (error instanceof TowerDecodeError) return { ok: false, error };
    throw error;
  }
}

function decodeVerified(
  bytes: Uint8Array,
  expectedPubkey: string | undefined,
): { tower: Tower; lastVotedSlot: number | null; rootSlot: number | null; signer: string } {
  if (expectedPubkey !== undefined && !isValidPubkey(expectedPubkey)) {
    throw new TowerDecodeError('FAILOVER_TOWER_WRONG_PUBKEY', 'expected pubkey is not base58 of 32 bytes');
  }
  const envelope = new BincodeReader(bytes);
  const variant = envelope.u32('SavedTowerVersions variant');
  if (variant !== SAVED_TOWER_CURRENT_VARIANT) {
    const name = variant === 0 ? 'V1_17_14 (pre-1.9 format, not supported)' : `unknown variant ${variant}`;
    throw new TowerDecodeError(
      'FAILOVER_TOWER_VARIANT',
      `tower file is ${name}; expected Current (${SAVED_TOWER_CURRENT_VARIANT})`,
      0,
    );
  }
  const signature = envelope.bytes(SIGNATURE_LENGTH, 'signature');
  const dataLength = envelope.length('data', 1);
  const dataOffset = envelope.position;
  const data = envelope.bytes(dataLength, 'data');
  if (envelope.remaining > 0) {
    throw new TowerDecodeError(
      'FAILOVER_TOWER_TRAILING_BYTES',
      `${envelope.remaining} unexpected bytes after the tower at offset ${envelope.position}`,
      envelope.position,
    );
  }

  // Tower1_14_11 starts with node_pubkey, so the claimed identity is readable without
  // decoding (and trusting) the rest of the unverified data.
  const claimed = data.length >= PUBKEY_LENGTH ? encodeBase58(data.subarray(0, PUBKEY_LENGTH)) : null;
  const signer = expectedPubkey ?? claimed;
  if (signer === null) {
    throw new TowerDecodeError(
      'FAILOVER_TOWER_TRUNCATED',
      `truncated at byte ${bytes.length} reading node_pubkey`,
      dataOffset,
    );
  }
  if (!verifySignature(data, signature, signer)) {
    // A genuine tower of another identity is a different operator mistake than a corrupt
    // or forged file; say which, so the runbook points at the right fix.
    if (claimed !== null && claimed !== signer && verifySignature(data, signature, claimed)) {
      throw wrongPubkey(claimed, signer, dataOffset);
    }
    throw new TowerDecodeError(
      'FAILOVER_TOWER_SIGNATURE',
      `tower for ${signer} is not signed by ${signer}; refusing to restore`,
      4,
    );
  }

  const reader = new BincodeReader(data, dataOffset);
  const tower = readTower(reader);
  if (reader.remaining > 0) {
    throw new TowerDecodeError(
      'FAILOVER_TOWER_TRAILING_BYTES',
      `${reader.remaining} unexpected bytes after Tower1_14_11 at offset ${dataOffset + reader.position}`,
      dataOffset + reader.position,
    );
  }
  if (tower.nodePubkey !== signer) {
    throw wrongPubkey(tower.nodePubkey, signer, dataOffset);
  }
  return { tower, lastVotedSlot: towerLastVotedSlot(tower), rootSlot: tower.voteState.rootSlot, signer };
}

function wrongPubkey(found: string, expected: string, offset: number): TowerDecodeError {
  return new TowerDecodeError(
    'FAILOVER_TOWER_WRONG_PUBKEY',
    `tower is for ${found}, expected ${expected}; refusing to restore`,
    offset,
  );
}
