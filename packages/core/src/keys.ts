/**
 * Ed25519 keypairs in Solana's forms: the 64-byte secret key `seed || publicKey` that
 * `solana-keygen` writes as a JSON array of numbers, and base58 public keys.
 *
 * Uses `node:crypto` (pure computation, no I/O). Secret bytes are kept off the enumerable
 * surface of a `Keypair` so that logging or `JSON.stringify` of one does not leak them, and
 * no error message here ever includes key bytes or the text they were parsed from.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeBase58, encodeBase58 } from './base58';
import { Base58CharacterError, KeypairFormatError } from './errors';

/** An ed25519 keypair as Solana lays it out. */
export interface Keypair {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The 64-byte Solana secret key: 32-byte seed followed by the public key. Not enumerable. */
  readonly secretKey: Uint8Array;
  /** The public key in base58, as `solana-keygen pubkey` prints it. */
  readonly pubkey: string;
}

/** Length in bytes of an ed25519 public key and of its seed. */
export const PUBKEY_LENGTH = 32;
/** Length in bytes of a Solana secret key (`seed || publicKey`). */
export const SECRET_KEY_LENGTH = 64;
/** Length in bytes of an ed25519 signature. */
export const SIGNATURE_LENGTH = 64;

// DER headers that wrap a raw ed25519 key into the SPKI / PKCS#8 forms node:crypto imports
// (RFC 8410): the key bytes follow the header directly.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

// Parsing the key is a third of a signature check, and the agent checks its own tower for one
// identity at every backup. Few keys are ever checked; the cache is emptied when it fills.
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEYS_CACHED = 16;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('base64');
  const cached = publicKeys.get(id);
  if (cached !== undefined) return cached;
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  if (publicKeys.size >= PUBLIC_KEYS_CACHED) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

function publicKeyOfSeed(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

function makeKeypair(seed: Uint8Array, publicKey: Uint8Array): Keypair {
  const secretKey = new Uint8Array(SECRET_KEY_LENGTH);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, PUBKEY_LENGTH);
  const keypair = { publicKey: Uint8Array.from(publicKey), pubkey: encodeBase58(publicKey) };
  Object.defineProperty(keypair, 'secretKey', { value: secretKey, enumerable: false });
  return Object.freeze(keypair) as Keypair;
}

/** Generates a fresh keypair from a random 32-byte seed. */
export function generateKeypair(): Keypair {
  return keypairFromSeed(randomBytes(PUBKEY_LENGTH));
}

/**
 * Derives the keypair of a 32-byte ed25519 seed.
 * @throws {KeypairFormatError} when the seed is not 32 bytes.
 */
export function keypairFromSeed(seed: Uint8Array): Keypair {
  if (seed.length !== PUBKEY_LENGTH) {
    throw new KeypairFormatError('seed', `expected ${PUBKEY_LENGTH} bytes, got ${seed.length}`);
  }
  return makeKeypair(seed, publicKeyOfSeed(seed));
}

/**
 * Reads a keypair in Solana's JSON form: an array of 64 integers 0..255 (`seed || pubkey`),
 * as written by `solana-keygen new`. The public half must be the one the seed derives;
 * a file whose halves disagree would sign as a different identity than it claims.
 * @param source names the input in errors (e.g. the file path)
 * @default source `'keypair'`
 * @throws {KeypairFormatError} naming `source` and the problem, never the bytes
 */
export function parseKeypairJson(text: string, source = 'keypair'): Keypair {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input, which here is secret: report no cause.
    throw new KeypairFormatError(source, 'not valid JSON (expected an array of 64 numbers)');
  }
  if (!Array.isArray(value)) {
    throw new KeypairFormatError(source, 'expected a JSON array of 64 numbers');
  }
  if (value.length !== SECRET_KEY_LENGTH) {
    throw new KeypairFormatError(source, `expected ${SECRET_KEY_LENGTH} numbers, got ${value.length}`);
  }
  const bytes = new Uint8Array(SECRET_KEY_LENGTH);
  for (let i = 0; i < SECRET_KEY_LENGTH; i += 1) {
    const n: unknown = value[i];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255) {
      throw new KeypairFormatError(source, `element ${i} is not an integer in 0..255`);
    }
    bytes[i] = n;
  }
  const seed = bytes.subarray(0, PUBKEY_LENGTH);
  const derived = publicKeyOfSeed(seed);
  if (!Buffer.from(derived).equals(bytes.subarray(PUBKEY_LENGTH))) {
    throw new KeypairFormatError(source, 'public half does not match the seed');
  }
  return makeKeypair(seed, derived);
}

/** Serialises a keypair exactly as `solana-keygen` writes it: `[n,n,...]`, no spaces. */
export function keypairToJson(keypair: Keypair): string {
  return `[${Array.from(keypair.secretKey).join(',')}]`;
}

/** Signs a message with the keypair's ed25519 key; returns the 64-byte signature. */
export function signMessage(message: Uint8Array, keypair: Keypair): Uint8Array {
  const seed = keypair.secretKey.subarray(0, PUBKEY_LENGTH);
  return new Uint8Array(sign(null, message, privateKeyObject(seed)));
}

/**
 * Checks an ed25519 signature. Any malformed input (wrong lengths, bad base58, a public key
 * that is not a curve point) is a failed verification, never an exception.
 */
export function verifySignature(message: Uint8Array, signature: Uint8Array, pubkey: Uint8Array | string): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  let publicKey: Uint8Array;
  try {
    publicKey = typeof pubkey === 'string' ? decodeBase58(pubkey) : pubkey;
  } catch (error) {
    if (error instanceof Base58CharacterError) return false;
    throw error;
  }
  if (publicKey.length !== PUBKEY_LENGTH) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // OpenSSL rejects some 32-byte strings as public keys; that is simply "not verified".
    return false;
  }
}

/** True when `text` is base58 for exactly 32 bytes, the shape of a Solana public key. */
export function isValidPubkey(text: string): boolean {
  if (text.length < 32 || text.length > 44) return false;
  try {
    return decodeBase58(text).length === PUBKEY_LENGTH;
  } catch {
    return false;
  }
}

/** Decodes a base58 public key to its 32 bytes, or returns `null` when it is not one. */
export function pubkeyToBytes(text: string): Uint8Array | null {
  return isValidPubkey(text) ? decodeBase58(text) : null;
}
