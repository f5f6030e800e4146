import type { NetworkInterfaceInfo } from 'node:os';
import { detectLocalIp } from '../src/local-ip';

const info = (address: string, family: 'IPv4' | 'IPv6', internal: boolean): NetworkInterfaceInfo =>
  ({
    address,
    family,
    internal,
    netmask: '',
    mac: '00:00:00:00:00:00',
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  }) as NetworkInterfaceInfo;

describe('local IP', () => {
  it.each([
    [
      'skips loopback and IPv6',
      {
        lo: [info('127.0.0.1', 'IPv4', true)],
        eth0: [info('fe80::1', 'IPv6', false), info('10.1.2.3', 'IPv4', false)],
      },
      '10.1.2.3',
    ],
    [
      'takes interfaces in name order',
      { eth1: [info('10.0.0.2', 'IPv4', false)], eth0: [info('10.0.0.1', 'IPv4', false)] },
      '10.0.0.1',
    ],
    ['finds nothing on a loopback-only host', { lo: [info('127.0.0.1', 'IPv4', true)] }, undefined],
  ])('%s', (_case, interfaces, expected) => {
    expect(detectLocalIp(interfaces)).toBe(expected);
  });

  it('reads the real interfaces without throwing', () => {
    expect(() => detectLocalIp()).not.toThrow();
  });
});
