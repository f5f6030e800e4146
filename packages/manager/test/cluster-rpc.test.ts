import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClusterRpc } from '../src/cluster-rpc';

type Handler = (method: string, params: unknown[]) => unknown | 'hang';

let server: Server | undefined;
let handler: Handler = () => null;

async function startRpc(): Promise<string> {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { id: number; method: string; params: unknown[] };
      const answer = handler(body.method, body.params);
      if (answer === 'hang') return;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, ...(answer as object) }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const VOTE = 'Vote111111111111111111111111111111111111111';
const NODE = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

describe('createClusterRpc', () => {
  it('returns the slot the cluster reports', async () => {
    handler = (method) => (method === 'getSlot' ? { result: 1234 } : { error: { message: 'no' } });
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 1234 });
  });

  it('reports a timeout when the RPC accepts the request but never answers', async () => {
    handler = () => 'hang';
    const rpc = createClusterRpc({ url: await startRpc(), timeoutMs: 100 });
    const started = performance.now();
    const result = await rpc.getSlot();
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reports unreachable when nothing listens', async () => {
    const url = await startRpc();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const rpc = createClusterRpc({ url, timeoutMs: 1000 });
    await expect(rpc.getSlot()).resolves.toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it.each([
    ['a JSON-RPC error', { error: { code: -32005, message: 'Node is behind' } }, 'rpc_error'],
    ['a slot that is not a number', { result: 'soon' }, 'malformed'],
    ['no result at all', {}, 'malformed'],
  ])('reports %s as a failure, never as a slot', async (_name, answer, reason) => {
    handler = () => answer;
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getSlot()).resolves.toMatchObject({ ok: false, reason });
  });

  it.each([
    ['current', false],
    ['delinquent', true],
  ] as const)('finds a vote account listed as %s', async (list, delinquent) => {
    const entry = { votePubkey: VOTE, nodePubkey: NODE, lastVote: 900, rootSlot: 868, activatedStake: 5 };
    handler = (method, params) => {
      expect(method).toBe('getVoteAccounts');
      expect(params[0]).toMatchObject({ votePubkey: VOTE });
      return { result: { current: list === 'current' ? [entry] : [], delinquent: list === 'delinquent' ? [entry] : [] } };
    };
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getVoteAccount(VOTE)).resolves.toEqual({
      ok: true,
      value: { votePubkey: VOTE, nodePubkey: NODE, lastVote: 900, rootSlot: 868, delinquent, activatedStake: 5 },
    });
  });

  it('answers undefined for a vote account the cluster does not know', async () => {
    handler = () => ({ result: { current: [], delinquent: [] } });
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getVoteAccount(VOTE)).resolves.toEqual({ ok: true, value: undefined });
  });

  it('turns leader schedule indexes into absolute slots of the current epoch', async () => {
    handler = (method) => {
      if (method === 'getEpochInfo') return { result: { epoch: 3, absoluteSlot: 1310, slotIndex: 10, slotsInEpoch: 432 } };
      if (method === 'getLeaderSchedule') return { result: { [NODE]: [12, 4, 5] } };
      return { error: { message: 'unexpected' } };
    };
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getLeaderSlots(NODE)).resolves.toEqual({ ok: true, value: [1304, 1305, 1312] });
  });

  it('reads the gossip table into core\'s gossip nodes', async () => {
    handler = () => ({ result: [{ pubkey: NODE, gossip: '127.0.0.2:8001', tpu: null, rpc: null, version: '2.2.0' }] });
    const rpc = createClusterRpc({ url: await startRpc() });
    const nodes = await rpc.getClusterNodes();
    expect(nodes).toMatchObject({ ok: true, value: [{ pubkey: NODE, ip: '127.0.0.2', gossipPort: 8001 }] });
  });

  it('reports a gossip table of the wrong shape as malformed', async () => {
    handler = () => ({ result: { nodes: [] } });
    const rpc = createClusterRpc({ url: await startRpc() });
    await expect(rpc.getClusterNodes()).resolves.toMatchObject({ ok: false, reason: 'malformed' });
  });
});
