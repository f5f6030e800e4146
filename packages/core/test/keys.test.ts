import fc from 'fast-check';
import {
  KeypairFormatError,
  generateKeypair,
  isValidPubkey,
  keypairFromSeed,
  keypairToJson,
  parseKeypairJson,
  signMessage,
  verifySignature,
} from '@failover/core';

// RFC 8032 section 7.1, test 1: seed, public key and signature of the empty message.
const RFC8032_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC8032_PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
const RFC8032_SIGNATURE = Buffer.from(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  'hex',
);

describe('keys', () => {
  it('derives the RFC 8032 public key and signature from its seed', () => {
    const keypair = keypairFromSeed(RFC8032_SEED);
    expect(Buffer.from(keypair.publicKey)).toEqual(RFC8032_PUBLIC);
    expect(Buffer.from(signMessage(new Uint8Array(), keypair))).toEqual(RFC8032_SIGNATURE);
    expect(verifySignature(new Uint8Array(), RFC8032_SIGNATURE, keypair.pubkey)).toBe(true);
  });

  it('lays out the secret key as seed followed by public key, as solana-keygen does', () => {
    const keypair = keypairFromSeed(RFC8032_SEED);
    expect(Buffer.from(keypair.secretKey)).toEqual(Buffer.concat([RFC8032_SEED, RFC8032_PUBLIC]));
    expect(keypairToJson(keypair)).toBe(`[${[...RFC8032_SEED, ...RFC8032_PUBLIC].join(',')}]`);
  });

  it('round-trips generated keypairs through the JSON form', () => {
    const keypair = generateKeypair();
    const parsed = parseKeypairJson(keypairToJson(keypair), '/tmp/id.json');
    expect(parsed.pubkey).toBe(keypair.pubkey);
    expect(parsed.secretKey).toEqual(keypair.secretKey);
  });

  it('keeps the secret key out of JSON.stringify and enumeration', () => {
    const keypair = generateKeypair();
    expect(Object.keys(keypair)).not.toContain('secretKey');
    expect(JSON.stringify(keypair)).not.toContain(String(keypair.secretKey[0]) + ',' + String(keypair.secretKey[1]));
    expect(JSON.stringify(keypair)).not.toContain('secretKey');
  });

  it('verifies signatures by base58 or raw public key and rejects other messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        (message, other) => {
          const keypair = keypairFromSeed(RFC8032_SEED);
          const signature = signMessage(message, keypair);
          expect(verifySignature(message, signature, keypair.pubkey)).toBe(true);
          expect(verifySignature(message, signature, keypair.publicKey)).toBe(true);
          if (!Buffer.from(other).equals(Buffer.from(message))) {
            expect(verifySignature(other, signature, keypair.pubkey)).toBe(false);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it.each([
    { name: 'a short signature', signature: new Uint8Array(63), pubkey: new Uint8Array(RFC8032_PUBLIC) },
    { name: 'a pubkey that is not base58', signature: RFC8032_SIGNATURE, pubkey: '0OIl' },
    { name: 'a pubkey of the wrong length', signature: RFC8032_SIGNATURE, pubkey: '1111' },
  ])('reports $name as not verified instead of throwing', ({ signature, pubkey }) => {
    expect(verifySignature(new Uint8Array(), signature, pubkey)).toBe(false);
  });

  const valid = keypairToJson(keypairFromSeed(RFC8032_SEED));
  const numbers = JSON.parse(valid) as number[];
  it.each([
    { name: 'text that is not JSON', text: '[1,2,', problem: 'not valid JSON (expected an array of 64 numbers)' },
    { name: 'an object', text: '{"a":1}', problem: 'expected a JSON array of 64 numbers' },
    { name: 'too few numbers', text: JSON.stringify(numbers.slice(0, 32)), problem: 'expected 64 numbers, got 32' },
    {
      name: 'a number above 255',
      text: JSON.stringify([...numbers.slice(0, 63), 256]),
      problem: 'element 63 is not an integer in 0..255',
    },
    {
      name: 'a fraction',
      text: JSON.stringify([0.5, ...numbers.slice(1)]),
      problem: 'element 0 is not an integer in 0..255',
    },
    {
      name: 'a string element',
      text: JSON.stringify(['1', ...numbers.slice(1)]),
      problem: 'element 0 is not an integer in 0..255',
    },
    {
      name: 'a public half that does not match the seed',
      text: JSON.stringify([...numbers.slice(0, 63), (numbers[63]! + 1) % 256]),
      problem: 'public half does not match the seed',
    },
  ])('refuses $name, naming the source but not the bytes', ({ text, problem }) => {
    let caught: unknown;
    try {
      parseKeypairJson(text, '/etc/failover/staked.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeypairFormatError);
    const message = (caught as Error).message;
    expect(message).toBe(`FAILOVER_KEYPAIR_FORMAT: keypair from /etc/failover/staked.json is not usable: ${problem}`);
    expect((caught as Error).cause).toBeUndefined();
    expect(message).not.toContain(numbers.slice(0, 3).join(','));
  });

  it('verifies each key for its own signatures only, over more keys than it keeps parsed', () => {
    const message = Buffer.from('tower');
    const keypairs = Array.from({ length: 40 }, () => generateKeypair());
    const signatures = keypairs.map((k) => signMessage(message, k));
    for (let round = 0; round < 2; round++) {
      keypairs.forEach((keypair, i) => {
        expect(verifySignature(message, signatures[i]!, keypair.pubkey)).toBe(true);
        expect(verifySignature(message, signatures[(i + 1) % keypairs.length]!, keypair.pubkey)).toBe(false);
      });
    }
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => keypairFromSeed(new Uint8Array(31))).toThrow('FAILOVER_KEYPAIR_FORMAT');
  });

  it.each([
    { text: generateKeypair().pubkey, valid: true },
    { text: '11111111111111111111111111111111', valid: true },
    { text: 'Vote111111111111111111111111111111111111111', valid: true },
    { text: '1111111111111111111111111111111', valid: false },
    { text: '0000000000000000000000000000000000000000000', valid: false },
    { text: '', valid: false },
    { text: '../../etc/passwd', valid: false },
  ])('judges $text as a pubkey: $valid', ({ text, valid: expected }) => {
    expect(isValidPubkey(text)).toBe(expected);
  });
});
