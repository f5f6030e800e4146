import {
  ClusterNodesFormatError,
  findNodeByPubkey,
  fromClusterNodes,
  isIpAddress,
  parseGossipLine,
  parseGossipTable,
} from '@failover/core';
import { alice, bob } from './tower-fixtures';

const A = alice.pubkey;
const B = bob.pubkey;

// Shaped like solana cli-output `CliGossipNodes` (column widths from its format string).
const table = [
  'IP Address      | Identity                                     | Gossip | TPU   | RPC Address           | Version | Feature Set',
  '----------------+----------------------------------------------+--------+-------+-----------------------+---------+----------------',
  `80.251.153.166  | ${A.padEnd(44)} | 8001   | 8004  | 80.251.153.166:8899   | 2.1.14  | 3271415109`,
  `2001:db8::7     | ${B.padEnd(44)} | 8001   | 8004  | [2001:db8::7]:8899    | 2.2.0   | unknown`,
  `none            | ${'9'.repeat(44)} | none   | none  | none                  | unknown | unknown`,
  'Nodes: 3',
].join('\n');

describe('gossip', () => {
  it('parses the node rows of a solana gossip table and skips the rest', () => {
    expect(parseGossipTable(table)).toEqual([
      {
        pubkey: A,
        ip: '80.251.153.166',
        gossipPort: 8001,
        tpuPort: 8004,
        rpc: '80.251.153.166:8899',
        version: '2.1.14',
      },
      { pubkey: B, ip: '2001:db8::7', gossipPort: 8001, tpuPort: 8004, rpc: '[2001:db8::7]:8899', version: '2.2.0' },
    ]);
  });

  it('parses the single row that grep of a pubkey leaves', () => {
    const row = table.split('\n').find((line) => line.includes(A)) ?? '';
    expect(parseGossipTable(`${row}\n`)).toEqual([parseGossipLine(row)]);
    expect(parseGossipLine(row)).toMatchObject({ pubkey: A, ip: '80.251.153.166' });
  });

  it.each<{ name: string; line: string; node: object | null }>([
    { name: 'the header', line: table.split('\n')[0] ?? '', node: null },
    { name: 'the separator', line: table.split('\n')[1] ?? '', node: null },
    { name: 'the node count', line: 'Nodes: 3', node: null },
    { name: 'an empty line', line: '', node: null },
    { name: 'a row without an IP', line: `none | ${A} | none | none | none | unknown | unknown`, node: null },
    {
      name: 'a row with a label instead of a pubkey',
      line: `1.2.3.4 | my-validator | 8001 | 8004 | none | 2.0.0 | 1`,
      node: null,
    },
    { name: 'a row with an impossible IP', line: `300.1.1.1 | ${A} | 8001 | 8004 | none | 2.0.0 | 1`, node: null },
    {
      name: 'a row with no RPC and unknown version',
      line: `10.0.0.1 | ${A} | 8001 | none | none | unknown | unknown`,
      node: { pubkey: A, ip: '10.0.0.1', gossipPort: 8001 },
    },
    {
      name: 'a row of an older CLI with an extra port column',
      line: `80.251.153.166  | ${A} | 8001   | 8004  | 8010     | 80.251.153.166:8899`,
      node: { pubkey: A, ip: '80.251.153.166', gossipPort: 8001, tpuPort: 8004, rpc: '80.251.153.166:8899' },
    },
    { name: 'a row with only IP and pubkey', line: `::1 | ${A}`, node: { pubkey: A, ip: '::1' } },
  ])('reads $name', ({ line, node }) => {
    expect(parseGossipLine(line)).toEqual(node);
  });

  it.each([
    ['1.2.3.4', true],
    ['255.255.255.255', true],
    ['01.2.3.4', false],
    ['1.2.3', false],
    ['::', true],
    ['fe80::1', true],
    ['2001:db8:0:0:0:0:2:1', true],
    ['::ffff:192.0.2.1', true],
    ['2001:db8::1::2', false],
    ['2001:db8:0:0:0:0:2:1:3', false],
    ['g::1', false],
    ['localhost', false],
  ])('judges %s as an IP address: %s', (text, expected) => {
    expect(isIpAddress(text)).toBe(expected);
  });

  it('maps getClusterNodes results, leaving out nodes without a gossip address', () => {
    const result = [
      {
        pubkey: A,
        gossip: '10.0.0.1:8001',
        tpu: '10.0.0.1:8004',
        rpc: '10.0.0.1:8899',
        version: '2.1.14',
        featureSet: 1,
        shredVersion: 2,
      },
      { pubkey: B, gossip: '[2001:db8::7]:8001', tpu: null, rpc: null, version: null },
      { pubkey: '11111111111111111111111111111111', gossip: null, tpu: null, rpc: null, version: '2.0.0' },
    ];
    expect(fromClusterNodes(result)).toEqual([
      { pubkey: A, ip: '10.0.0.1', gossipPort: 8001, tpuPort: 8004, rpc: '10.0.0.1:8899', version: '2.1.14' },
      { pubkey: B, ip: '2001:db8::7', gossipPort: 8001 },
    ]);
  });

  it.each<{ name: string; result: unknown; path: string }>([
    { name: 'a result that is not an array', result: { nodes: [] }, path: 'result' },
    { name: 'an entry that is not an object', result: [42], path: 'result[0]' },
    { name: 'a missing pubkey', result: [{ gossip: '1.2.3.4:8001' }], path: 'result[0].pubkey' },
    { name: 'a gossip address without a port', result: [{ pubkey: A, gossip: '1.2.3.4' }], path: 'result[0].gossip' },
    {
      name: 'a numeric version',
      result: [{ pubkey: A, gossip: '1.2.3.4:8001', version: 2 }],
      path: 'result[0].version',
    },
    {
      name: 'a malformed rpc address',
      result: [{ pubkey: A, gossip: '1.2.3.4:8001', rpc: 'http://x' }],
      path: 'result[0].rpc',
    },
  ])('refuses $name, naming $path', ({ result, path }) => {
    let caught: unknown;
    try {
      fromClusterNodes(result);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ClusterNodesFormatError);
    expect((caught as ClusterNodesFormatError).path).toBe(path);
    expect((caught as Error).message).toMatch(/^FAILOVER_CLUSTER_NODES_FORMAT: getClusterNodes /);
  });

  it('finds a node by pubkey and reports absence as undefined', () => {
    const nodes = parseGossipTable(table);
    expect(findNodeByPubkey(nodes, B)?.ip).toBe('2001:db8::7');
    expect(findNodeByPubkey(nodes, '11111111111111111111111111111111')).toBeUndefined();
  });
});
