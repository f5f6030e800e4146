/**
 * Base58 with the Bitcoin alphabet, the text form Solana uses for public keys, signatures
 * and hashes. Leading zero bytes map to leading `1` characters, so a 32-byte key that starts
 * with zeros keeps its length through a round trip.
 */
import { Base58CharacterError } from './errors';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const DIGIT_OF: ReadonlyMap<string, number> = new Map(
  Array.from(ALPHABET, (character, digit) => [character, digit] as const),
);

/** Encodes bytes as base58 text (Bitcoin/Solana alphabet); an empty input gives `''`. */
export function encodeBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros += 1;

  // Little-endian base-58 digits of the non-zero tail; schoolbook conversion is fine for
  // the 32- and 64-byte values this project handles.
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i += 1) {
    let carry = bytes[i] ?? 0;
    for (let d = 0; d < digits.length; d += 1) {
      carry += (digits[d] ?? 0) << 8;
      digits[d] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }

  let text = '1'.repeat(zeros);
  for (let d = digits.length - 1; d >= 0; d -= 1) text += ALPHABET[digits[d] ?? 0];
  return text;
}

/**
 * Decodes base58 text to bytes.
 * @throws {Base58CharacterError} on a character outside the alphabet (e.g. `0`, `O`, `I`, `l`).
 */
export function decodeBase58(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros += 1;

  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i += 1) {
    const digit = DIGIT_OF.get(text.charAt(i));
    if (digit === undefined) throw new Base58CharacterError(i);
    let carry = digit;
    for (let b = 0; b < bytes.length; b += 1) {
      carry += (bytes[b] ?? 0) * 58;
      bytes[b] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }

  const out = new Uint8Array(zeros + bytes.length);
  for (let b = 0; b < bytes.length; b += 1) out[out.length - 1 - b] = bytes[b] ?? 0;
  return out;
}
