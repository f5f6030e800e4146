import fc from 'fast-check';
import { Base58CharacterError, decodeBase58, encodeBase58 } from '@failover/core';

describe('base58', () => {
  it.each([
    { name: 'empty input', bytes: [], text: '' },
    { name: 'a single zero byte', bytes: [0], text: '1' },
    { name: 'leading zeros kept as ones', bytes: [0, 0, 0, 1], text: '1112' },
    { name: 'the value 57', bytes: [57], text: 'z' },
    { name: 'the value 58', bytes: [58], text: '21' },
    { name: '"hello world"', bytes: [...Buffer.from('hello world')], text: 'StV1DL6CwTryKyV' },
    {
      name: 'the system program id (32 zero bytes)',
      bytes: new Array<number>(32).fill(0),
      text: '11111111111111111111111111111111',
    },
  ])('encodes and decodes $name', ({ bytes, text }) => {
    expect(encodeBase58(Uint8Array.from(bytes))).toBe(text);
    expect(Array.from(decodeBase58(text))).toEqual(bytes);
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(decodeBase58(encodeBase58(bytes))).toEqual(bytes);
      }),
    );
  });

  it.each(['0', 'O', 'I', 'l', '+', ' ', 'é'])('rejects the character %j with its position', (character) => {
    const text = `abc${character}def`;
    expect(() => decodeBase58(text)).toThrow(Base58CharacterError);
    expect(() => decodeBase58(text)).toThrow('FAILOVER_BASE58_CHARACTER: invalid base58 character at position 3');
  });
});
