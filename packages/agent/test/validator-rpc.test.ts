import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClusterRpc, createLocalRpc } from '../src/validator-rpc';

type Handler = (body: { method: string; params: unknown[] }, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let url: string;

beforeEach(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => handler(JSON.parse(raw) as { method: string; params: unknown[] }, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const reply = (result: unknown) => (_body: unknown, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result }));
};

describe('local RPC', () => {
  it('reads the processed slot, asking with the processed commitment', async () => {
    let params: unknown;
    handler = (body, res) => {
      params = body.params;
      reply(4242)(body, res);
    };
    await expect(createLocalRpc({ url }).getSlot()).resolves.toEqual({ ok: true, value: 4242 });
    expect(params).toEqual([{ commitment: 'processed' }]);
  });

  it('reads the identity and the version', async () => {
    handler = (body, res) => reply(body.method === 'getIdentity' ? { identity: 'Ident1111' } : { 'solana-core': '2.3.1', 'feature-set': 1 })(body, res);
    const rpc = createLocalRpc({ url });
    await expect(rpc.getIdentity()).resolves.toEqual({ ok: true, value: 'Ident1111' });
    await expect(rpc.getVersion()).resolves.toEqual({ ok: true, value: '2.3.1' });
  });

  it('reports an unhealthy node with the RPC error message', async () => {
    handler = (_body, res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32005, message: 'Node is behind by 120 slots' } }));
    await expect(createLocalRpc({ url }).getHealth()).resolves.toEqual({
      ok: false,
      kind: 'rpc-error',
      error: 'getHealth: Node is behind by 120 slots (code -32005)',
    });
  });

  it('answers within its deadline when the RPC hangs', async () => {
    handler = () => undefined;
    const started = Date.now();
    const result = await createLocalRpc({ url, timeoutMs: 150 }).getHealth();
    expect(result).toMatchObject({ ok: false, kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('tells an unreachable RPC apart from a bad answer', async () => {
    handler = reply({ unexpected: true });
    await expect(createLocalRpc({ url }).getSlot()).resolves.toMatchObject({ ok: false, kind: 'bad-response' });
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const closed = createLocalRpc({ url: `http://127.0.0.1:${closedPort}` });
    await expect(closed.getSlot()).resolves.toMatchObject({ ok: false, kind: 'unreachable', error: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('cluster RPC', () => {
  it('lists cluster nodes with their gossip address, null when absent', async () => {
    handler = reply([
      { pubkey: 'A', gossip: '10.0.0.1:8001', rpc: null },
      { pubkey: 'B', gossip: null },
    ]);
    await expect(createClusterRpc({ url }).getClusterNodes()).resolves.toEqual({
      ok: true,
      value: [
        { pubkey: 'A', gossip: '10.0.0.1:8001' },
        { pubkey: 'B', gossip: null },
      ],
    });
  });
});
