import { generateKeypair } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { ClusterRpc } from '@failover/protocol';
import { createCommandGossipReader, createRpcGossipReader, holderOf, nodeIpOf } from '../src/gossip-source';

const staked = generateKeypair().pubkey;
const other = generateKeypair().pubkey;
const nodeIps = { validator1: '127.0.0.2', validator2: '127.0.0.3' };
const clock = new SimulatedClock(1_000);
const endpoint = 'http://cluster.invalid';

function line(ip: string, pubkey: string): string {
  return `${ip}  | ${pubkey} | 8001   | 8004  | ${ip}:8899 | 2.2.0 | 4`;
}

describe('createCommandGossipReader', () => {
  it.each([
    [
      'the staked identity at validator2',
      `printf '%s\\n' '${line('127.0.0.3', staked)}'`,
      { holder: 'validator2', ip: '127.0.0.3' },
    ],
    [
      'the staked identity on a third machine',
      `printf '%s\\n' '${line('10.9.9.9', staked)}'`,
      { holder: null, ip: '10.9.9.9' },
    ],
    [
      'a grep that matched nothing',
      `printf '%s\\n' '${line('127.0.0.2', other)}' | grep ${staked}`,
      { holder: null, ip: null },
    ],
    [
      'the {validator_identity} placeholder',
      `printf '%s\\n' '${line('127.0.0.2', other)}' '${line('127.0.0.2', staked)}' | grep {validator_identity}`,
      { holder: 'validator1', ip: '127.0.0.2' },
    ],
  ])('reads %s', async (_name, command, expected) => {
    const reader = createCommandGossipReader({ command, stakedIdentityPubkey: staked, nodeIps, clock });
    await expect(reader.read()).resolves.toEqual({ ok: true, value: { ...expected, observedAt: 1_000 } });
  });

  // Only the hang has a time limit to meet: the other two must not race one on a loaded host,
  // where starting bash alone can take longer than a short limit.
  it.each([
    [
      'a failing command',
      'echo "Error: connection refused" >&2; exit 2',
      undefined,
      /exited with 2: Error: connection refused/,
    ],
    ['a command that hangs', 'sleep 5', 200, /did not finish within 200 ms/],
    ['output that is not a gossip table', 'echo hello', undefined, /printed no gossip line/],
  ])('reports %s as no reading', async (_name, command, timeoutMs, detail) => {
    const reader = createCommandGossipReader({
      command,
      stakedIdentityPubkey: staked,
      nodeIps,
      clock,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const reading = await reader.read();
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(reading.detail).toMatch(detail);
  });
});

describe('createRpcGossipReader', () => {
  function rpcWith(nodes: Awaited<ReturnType<ClusterRpc['getClusterNodes']>>): ClusterRpc {
    const unused = { ok: false, reason: 'unreachable', message: 'unused', endpoint } as const;
    return {
      getClusterNodes: async () => nodes,
      getSlot: async () => unused,
      getEpochInfo: async () => unused,
      getVoteAccount: async () => unused,
      getSlotAndVoteAccount: async () => unused,
      getLeaderSlots: async () => unused,
    };
  }

  it('finds the staked identity in the gossip table', async () => {
    const rpc = rpcWith({
      ok: true,
      value: [
        { pubkey: other, ip: '127.0.0.3' },
        { pubkey: staked, ip: '127.0.0.2' },
      ],
      endpoint,
    });
    const reader = createRpcGossipReader({ rpc, stakedIdentityPubkey: staked, nodeIps, clock });
    await expect(reader.read()).resolves.toEqual({
      ok: true,
      value: { holder: 'validator1', ip: '127.0.0.2', observedAt: 1_000 },
    });
  });

  it('reports an identity absent from gossip as no entry', async () => {
    const reader = createRpcGossipReader({
      rpc: rpcWith({ ok: true, value: [], endpoint }),
      stakedIdentityPubkey: staked,
      nodeIps,
      clock,
    });
    await expect(reader.read()).resolves.toEqual({ ok: true, value: { holder: null, ip: null, observedAt: 1_000 } });
  });

  it('reports an RPC failure as no reading', async () => {
    const reader = createRpcGossipReader({
      rpc: rpcWith({ ok: false, reason: 'timeout', message: 'slow', endpoint }),
      stakedIdentityPubkey: staked,
      nodeIps,
      clock,
    });
    await expect(reader.read()).resolves.toEqual({ ok: false, detail: 'getClusterNodes: slow' });
  });
});

describe('node IPs', () => {
  it('match a gossip IP to the configured node', () => {
    expect(holderOf('127.0.0.3', nodeIps)).toBe('validator2');
    expect(holderOf('127.0.0.9', nodeIps)).toBeNull();
  });

  it.each([
    [{ ip: '10.0.0.1', endpoint: 'http://agent1:8080' }, '10.0.0.1'],
    [{ endpoint: 'http://10.0.0.2:8080' }, '10.0.0.2'],
    [{ endpoint: 'http://[::1]:8080' }, '::1'],
  ])('come from the ip key or else the endpoint host (%j)', (node, ip) => {
    expect(nodeIpOf(node)).toBe(ip);
  });
});
