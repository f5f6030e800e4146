import fc from 'fast-check';
import { formatDuration, parseDuration } from '@failover/protocol';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['4h', 14_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['0', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 s', '-5s', 's', '5d', '5sec'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads back every duration it writes (property)', () => {
    fc.assert(fc.property(fc.nat(1_000_000_000), (ms) => expect(parseDuration(formatDuration(ms))).toBe(ms)));
  });
});
