import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeypair } from '@failover/core';
import { RPC_RESPONSE_BODY_LIMIT, createSolanaRpc, type SolanaRpc } from '@failover/protocol';
import { sendEndlessBody, type EndlessBody } from '@failover/testkit';

/** What a fake node does with one call: a raw HTTP answer, the members of a JSON-RPC response (`result`, `error`), or nothing ever. */
type Answer = RawAnswer | Record<string, unknown> | 'hang';

/** An HTTP answer sent as is. */
interface RawAnswer {
  status: number;
  body: string;
}

const isRaw = (answer: Answer): answer is RawAnswer =>
  typeof answer === 'object' && typeof answer.status === 'number' && typeof answer.body === 'string';

interface FakeRpc {
  readonly url: string;
  /** The methods it was called with, in order. */
  readonly calls: string[];
  /** Every call's params, in order. */
  readonly params: unknown[][];
  /** The calls of each HTTP request: 1, or the size of a batch. */
  readonly requests: number[];
  answer: (method: string, params: unknown[]) => Answer;
}

const servers: Server[] = [];

async function startRpc(answer: FakeRpc['answer']): Promise<FakeRpc> {
  const calls: string[] = [];
  const params: unknown[][] = [];
  const requests: number[] = [];
  const fake: { answer: FakeRpc['answer'] } = { answer };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) {
        // A batch: one HTTP request, one response per call, in reverse order as a node may send them.
        const batch = parsed as { id: number; method: string; params: unknown[] }[];
        requests.push(batch.length);
        const replies = batch.map((call) => {
          calls.push(call.method);
          params.push(call.params);
          return { jsonrpc: '2.0', id: call.id, ...(fake.answer(call.method, call.params) as Record<string, unknown>) };
        });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(replies.reverse()));
        return;
      }
      const body = parsed as { id: number; method: string; params: unknown[] };
      requests.push(1);
      calls.push(body.method);
      params.push(body.params);
      const reply = fake.answer(body.method, body.params);
      if (reply === 'hang') return;
      if (isRaw(reply)) {
        res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, ...reply }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, { url, calls, params, requests }) as FakeRpc;
}

/** A loopback URL nothing listens on. */
async function closedUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const VOTE = 'Vote111111111111111111111111111111111111111';
const NODE = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
const TIMEOUT_MS = 2_000;

/** A client over `urls` with a deadline no test here reaches. */
const clientOf = (first: string, ...rest: string[]): SolanaRpc =>
  createSolanaRpc({ endpoints: [first, ...rest], timeoutMs: TIMEOUT_MS });

describe('one endpoint', () => {
  it('reads the processed slot, asking with the processed commitment', async () => {
    const node = await startRpc(() => ({ result: 4242 }));
    await expect(clientOf(node.url).getSlot()).resolves.toEqual({ ok: true, value: 4242, endpoint: node.url });
    expect(node.params).toEqual([[{ commitment: 'processed' }]]);
  });

  it("asks for the slot at the commitment a call names, and for the rest at the client's", async () => {
    const epoch = { epoch: 3, absoluteSlot: 1310, slotIndex: 10, slotsInEpoch: 432 };
    const node = await startRpc((method) => (method === 'getSlot' ? { result: 7 } : { result: epoch }));
    const rpc = createSolanaRpc({ endpoints: [node.url], timeoutMs: TIMEOUT_MS, commitment: 'confirmed' });
    await rpc.getSlot('finalized');
    await rpc.getSlot();
    await rpc.getEpochInfo();
    expect(node.params).toEqual([
      [{ commitment: 'finalized' }],
      [{ commitment: 'confirmed' }],
      [{ commitment: 'confirmed' }],
    ]);
  });

  it('reads the identity and the version', async () => {
    const node = await startRpc((method) => ({
      result: method === 'getIdentity' ? { identity: 'Ident1111' } : { 'solana-core': '2.3.1', 'feature-set': 1 },
    }));
    const rpc = clientOf(node.url);
    await expect(rpc.getIdentity()).resolves.toEqual({ ok: true, value: 'Ident1111', endpoint: node.url });
    await expect(rpc.getVersion()).resolves.toEqual({ ok: true, value: '2.3.1', endpoint: node.url });
  });

  it('reports an unhealthy node with the RPC error message and its code', async () => {
    const node = await startRpc(() => ({ error: { code: -32005, message: 'Node is behind by 120 slots' } }));
    await expect(clientOf(node.url).getHealth()).resolves.toEqual({
      ok: false,
      reason: 'rpc_error',
      message: `getHealth on ${node.url}: Node is behind by 120 slots (code -32005)`,
      endpoint: node.url,
      code: -32005,
    });
  });

  it('gives the code of a method the node does not have', async () => {
    const node = await startRpc(() => ({ error: { code: -32601, message: 'Method not found' } }));
    await expect(clientOf(node.url).getEpochInfo()).resolves.toMatchObject({
      ok: false,
      reason: 'rpc_error',
      code: -32601,
    });
  });

  it('answers within its deadline when the RPC accepts the request but never answers', async () => {
    const node = await startRpc(() => 'hang');
    const started = performance.now();
    const result = await createSolanaRpc({ endpoints: [node.url], timeoutMs: 150 }).getHealth();
    expect(result).toEqual({
      ok: false,
      reason: 'timeout',
      message: `getHealth on ${node.url}: no answer within 150 ms`,
      endpoint: node.url,
    });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('stops reading an answer past its body limit and reports it as malformed, naming the endpoint', async () => {
    let endless: EndlessBody | undefined;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        endless = sendEndlessBody(res);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const began = performance.now();
    const result = await createSolanaRpc({ endpoints: [url], timeoutMs: 20_000 }).getSlot();
    expect(performance.now() - began).toBeLessThan(15_000);
    expect(result).toEqual({
      ok: false,
      reason: 'malformed',
      message: `getSlot on ${url}: HTTP 200 with a body larger than ${RPC_RESPONSE_BODY_LIMIT} bytes; stopped reading it there`,
      endpoint: url,
    });
    expect(await endless?.closed).toBeGreaterThan(RPC_RESPONSE_BODY_LIMIT);
  });

  it('tells an unreachable RPC apart from a bad answer', async () => {
    const node = await startRpc(() => ({ result: { unexpected: true } }));
    await expect(clientOf(node.url).getSlot()).resolves.toMatchObject({ ok: false, reason: 'malformed' });
    const closed = await closedUrl();
    await expect(clientOf(closed).getSlot()).resolves.toMatchObject({
      ok: false,
      reason: 'unreachable',
      endpoint: closed,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it.each([
    ['a JSON-RPC error', { error: { code: -32005, message: 'Node is behind' } }, 'rpc_error'],
    ['a slot that is not a number', { result: 'soon' }, 'malformed'],
    ['no result at all', {}, 'malformed'],
    ['an HTTP error without a JSON-RPC error', { status: 503, body: '{"message":"overloaded"}' }, 'rpc_error'],
    ['a body that is not JSON', { status: 200, body: '<html>' }, 'malformed'],
  ])('reports %s as a failure, never as a slot', async (_name, answer, reason) => {
    const node = await startRpc(() => answer);
    await expect(clientOf(node.url).getSlot()).resolves.toMatchObject({ ok: false, reason, endpoint: node.url });
  });

  it.each([
    ['current', false],
    ['delinquent', true],
  ] as const)('finds a vote account listed as %s', async (list, delinquent) => {
    const entry = { votePubkey: VOTE, nodePubkey: NODE, lastVote: 900, rootSlot: 868, activatedStake: 5 };
    const node = await startRpc(() => ({
      result: { current: list === 'current' ? [entry] : [], delinquent: list === 'delinquent' ? [entry] : [] },
    }));
    const rpc = clientOf(node.url);
    await expect(rpc.getVoteAccount(VOTE)).resolves.toEqual({
      ok: true,
      value: { votePubkey: VOTE, nodePubkey: NODE, lastVote: 900, rootSlot: 868, delinquent, activatedStake: 5 },
      endpoint: node.url,
    });
    expect(node.calls).toEqual(['getVoteAccounts']);
    expect(node.params[0]?.[0]).toMatchObject({ votePubkey: VOTE, keepUnstakedDelinquents: true });
  });

  it('answers undefined for a vote account the cluster does not know', async () => {
    const node = await startRpc(() => ({ result: { current: [], delinquent: [] } }));
    await expect(clientOf(node.url).getVoteAccount(VOTE)).resolves.toEqual({
      ok: true,
      value: undefined,
      endpoint: node.url,
    });
  });

  // Regression: two requests behind a load balancer could be answered by two backends.
  it('reads the slot and the vote account in one batch request, so one backend answers both', async () => {
    const node = await startRpc((method) =>
      method === 'getSlot'
        ? { result: 1200 }
        : {
            result: {
              current: [{ votePubkey: VOTE, nodePubkey: NODE, lastVote: 1190, rootSlot: 1159, activatedStake: 5 }],
              delinquent: [],
            },
          },
    );
    await expect(clientOf(node.url).getSlotAndVoteAccount(VOTE)).resolves.toEqual({
      ok: true,
      value: {
        slot: 1200,
        vote: {
          votePubkey: VOTE,
          nodePubkey: NODE,
          lastVote: 1190,
          rootSlot: 1159,
          delinquent: false,
          activatedStake: 5,
        },
      },
      endpoint: node.url,
    });
    expect(node.requests).toEqual([2]);
    expect(node.calls).toEqual(['getSlot', 'getVoteAccounts']);
  });

  it('fails the whole batch when one of its calls is answered with an error', async () => {
    const node = await startRpc((method) =>
      method === 'getSlot' ? { result: 1200 } : { error: { code: -32005, message: 'Node is behind' } },
    );
    await expect(clientOf(node.url).getSlotAndVoteAccount(VOTE)).resolves.toMatchObject({
      ok: false,
      reason: 'rpc_error',
      code: -32005,
    });
  });

  it('turns leader schedule indexes into absolute slots of the current epoch', async () => {
    const node = await startRpc((method) => {
      if (method === 'getEpochInfo')
        return { result: { epoch: 3, absoluteSlot: 1310, slotIndex: 10, slotsInEpoch: 432 } };
      if (method === 'getLeaderSchedule') return { result: { [NODE]: [12, 4, 5] } };
      return { error: { message: 'unexpected' } };
    });
    await expect(clientOf(node.url).getLeaderSlots(NODE)).resolves.toEqual({
      ok: true,
      value: [1304, 1305, 1312],
      endpoint: node.url,
    });
  });

  it("reads the gossip table into core's gossip nodes, leaving out nodes without a gossip address", async () => {
    const silent = generateKeypair().pubkey;
    const node = await startRpc(() => ({
      result: [
        { pubkey: NODE, gossip: '127.0.0.2:8001', tpu: null, rpc: null, version: '2.2.0' },
        { pubkey: silent, gossip: null },
      ],
    }));
    await expect(clientOf(node.url).getClusterNodes()).resolves.toEqual({
      ok: true,
      value: [{ pubkey: NODE, ip: '127.0.0.2', gossipPort: 8001, version: '2.2.0' }],
      endpoint: node.url,
    });
  });

  it.each([
    ['not a list', { nodes: [] }],
    ['an entry whose pubkey is not a public key', [{ pubkey: 'A', gossip: '10.0.0.1:8001' }]],
  ])('reports a gossip table that is %s as malformed', async (_name, result) => {
    const node = await startRpc(() => ({ result }));
    await expect(clientOf(node.url).getClusterNodes()).resolves.toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('sends its calls through an injected fetch', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      seen.push(`${String(input)} ${String(init?.body)}`);
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'ok' }));
    };
    const rpc = createSolanaRpc({ endpoints: ['http://rpc.invalid'], timeoutMs: TIMEOUT_MS, fetch });
    await expect(rpc.getHealth()).resolves.toEqual({ ok: true, value: true, endpoint: 'http://rpc.invalid' });
    expect(seen).toEqual(['http://rpc.invalid {"jsonrpc":"2.0","id":1,"method":"getHealth","params":[]}']);
  });
});

describe('a list of endpoints', () => {
  it('sends calls to the first listed while it answers', async () => {
    const [a, b] = [await startRpc(() => ({ result: 1 })), await startRpc(() => ({ result: 2 }))];
    const rpc = clientOf(a.url, b.url);
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 1, endpoint: a.url });
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 1, endpoint: a.url });
    expect(b.calls).toEqual([]);
  });

  it.each([
    ['a body that is not JSON', { status: 200, body: 'bad gateway' }],
    ['an HTTP error without a JSON-RPC error', { status: 503, body: '{"message":"overloaded"}' }],
    ['a JSON-RPC response without a result', {}],
  ])('moves a call on past %s, and the next call starts where it got its answer', async (_name, answer) => {
    const [a, b] = [await startRpc(() => answer), await startRpc(() => ({ result: 2 }))];
    const rpc = clientOf(a.url, b.url);
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 2, endpoint: b.url });
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 2, endpoint: b.url });
    expect(a.calls).toEqual(['getSlot']);
    expect(b.calls).toEqual(['getSlot', 'getSlot']);
  });

  it('moves a call on past an endpoint nothing listens on', async () => {
    const closed = await closedUrl();
    const b = await startRpc(() => ({ result: 2 }));
    await expect(clientOf(closed, b.url).getSlot()).resolves.toEqual({ ok: true, value: 2, endpoint: b.url });
  });

  it('returns a JSON-RPC error as the answer, without trying the next endpoint', async () => {
    const [a, b] = [
      await startRpc(() => ({ error: { code: -32005, message: 'Node is behind by 200 slots' } })),
      await startRpc(() => ({ result: 'ok' })),
    ];
    const rpc = clientOf(a.url, b.url);
    await expect(rpc.getHealth()).resolves.toMatchObject({
      ok: false,
      reason: 'rpc_error',
      code: -32005,
      endpoint: a.url,
    });
    await expect(rpc.getHealth()).resolves.toMatchObject({ ok: false, endpoint: a.url });
    expect(b.calls).toEqual([]);
  });

  it('returns a result of the wrong shape as malformed from the endpoint that sent it, without trying the next', async () => {
    const [a, b] = [await startRpc(() => ({ result: 'soon' })), await startRpc(() => ({ result: 2 }))];
    await expect(clientOf(a.url, b.url).getSlot()).resolves.toMatchObject({
      ok: false,
      reason: 'malformed',
      endpoint: a.url,
    });
    expect(b.calls).toEqual([]);
  });

  it('keeps one deadline per call: an endpoint that hangs uses it up, and the next call starts at the next endpoint', async () => {
    const [a, b] = [await startRpc(() => 'hang'), await startRpc(() => ({ result: 2 }))];
    const rpc = createSolanaRpc({ endpoints: [a.url, b.url], timeoutMs: 200 });
    const started = performance.now();
    await expect(rpc.getSlot()).resolves.toEqual({
      ok: false,
      reason: 'timeout',
      message: `getSlot on ${a.url}: no answer within 200 ms`,
      endpoint: a.url,
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(b.calls).toEqual([]);
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 2, endpoint: b.url });
    expect(a.calls).toEqual(['getSlot']);
  });

  it('tries each endpoint once, and names every failure when none answers', async () => {
    const closed = await closedUrl();
    const b = await startRpc(() => ({ status: 502, body: 'bad gateway' }));
    const result = await clientOf(closed, b.url).getSlot();
    expect(result).toEqual({
      ok: false,
      reason: 'malformed',
      message: `getSlot on ${closed}: unreachable (ECONNREFUSED); getSlot on ${b.url}: HTTP 502 with a body that is not JSON`,
      endpoint: b.url,
    });
    expect(b.calls).toEqual(['getSlot']);
  });

  it('wraps around to the first listed when the one after it stops answering', async () => {
    const a = await startRpc(() => ({ status: 503, body: 'starting' }));
    const b = await startRpc(() => ({ result: 2 }));
    const rpc = clientOf(a.url, b.url);
    await expect(rpc.getSlot()).resolves.toMatchObject({ ok: true, endpoint: b.url });
    a.answer = () => ({ result: 1 });
    b.answer = () => ({ status: 503, body: 'stopping' });
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 1, endpoint: a.url });
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 1, endpoint: a.url });
    expect(b.calls).toEqual(['getSlot', 'getSlot']);
  });

  it('pins a client to the preferred endpoint: it never moves on, and its failures move the preference', async () => {
    const [a, b] = [await startRpc(() => ({ result: 1 })), await startRpc(() => ({ result: 2 }))];
    const rpc = clientOf(a.url, b.url);
    const pinned = rpc.pin();
    await expect(pinned.getSlot()).resolves.toMatchObject({ ok: true, endpoint: a.url });
    a.answer = () => ({ status: 503, body: 'stopping' });
    await expect(pinned.getSlot()).resolves.toMatchObject({ ok: false, reason: 'malformed', endpoint: a.url });
    expect(b.calls).toEqual([]);
    await expect(rpc.getSlot()).resolves.toEqual({ ok: true, value: 2, endpoint: b.url });
    expect(a.calls).toEqual(['getSlot', 'getSlot']);
  });

  it('reads the leader schedule from the endpoint that gave the epoch', async () => {
    const epoch = { result: { epoch: 3, absoluteSlot: 1310, slotIndex: 10, slotsInEpoch: 432 } };
    const a = await startRpc((method) => (method === 'getEpochInfo' ? epoch : { status: 503, body: 'overloaded' }));
    const b = await startRpc((method) => (method === 'getEpochInfo' ? epoch : { result: { [NODE]: [4] } }));
    const result = await clientOf(a.url, b.url).getLeaderSlots(NODE);
    expect(result).toMatchObject({ ok: false, reason: 'malformed', endpoint: a.url });
    expect(b.calls).toEqual([]);
  });
});

describe('the consensus phase calls', () => {
  const FEATURE = 'A1pengvuM6JEcyNuTnMqepBKhwHE3N6PmUrdATGawhJS';
  const blockId = Array.from({ length: 32 }, (_, i) => i);

  it('reads a genesis certificate as its block, null before the switch, and names -32601 of an older RPC', async () => {
    const cert = {
      block: { slot: 7000, block_id: blockId },
      signature: { signature: Array.from({ length: 192 }, () => 1), bitmap: [1] },
    };
    const switched = await startRpc(() => ({ result: cert }));
    await expect(clientOf(switched.url).getAgGenesisCert()).resolves.toMatchObject({
      ok: true,
      value: { slot: 7000, blockId: expect.any(String) },
    });
    const before = await startRpc(() => ({ result: null }));
    await expect(clientOf(before.url).getAgGenesisCert()).resolves.toMatchObject({ ok: true, value: null });
    const older = await startRpc(() => ({ error: { code: -32601, message: 'Method not found' } }));
    await expect(clientOf(older.url).getAgGenesisCert()).resolves.toMatchObject({ ok: false, code: -32601 });
    const odd = await startRpc(() => ({ result: { block: { slot: 7000, block_id: [1, 2] } } }));
    await expect(clientOf(odd.url).getAgGenesisCert()).resolves.toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('decodes the feature account: absent, pending, activated', async () => {
    const data = (bytes: number[]): unknown => ({
      context: { slot: 10 },
      value: {
        data: [Buffer.from(bytes).toString('base64'), 'base64'],
        owner: 'Feature111111111111111111111111111111111111',
        lamports: 1,
        executable: false,
        rentEpoch: 0,
        space: 9,
      },
    });
    const answers = [
      { context: { slot: 10 }, value: null },
      data([0, 0, 0, 0, 0, 0, 0, 0, 0]),
      data([1, 0x10, 0x27, 0, 0, 0, 0, 0, 0]),
    ];
    const node = await startRpc(() => ({ result: answers.shift() }));
    const rpc = clientOf(node.url);
    await expect(rpc.getFeature(FEATURE)).resolves.toMatchObject({ ok: true, value: { kind: 'absent' } });
    await expect(rpc.getFeature(FEATURE)).resolves.toMatchObject({ ok: true, value: { kind: 'pending' } });
    await expect(rpc.getFeature(FEATURE)).resolves.toMatchObject({
      ok: true,
      value: { kind: 'activated', activatedAt: 10_000 },
    });
    expect(node.params[0]).toEqual([FEATURE, { encoding: 'base64', commitment: 'processed' }]);
  });

  it('reads the processed and finalized slots in one batch', async () => {
    const node = await startRpc((_method, params) => ({
      result: (params[0] as { commitment: string }).commitment === 'finalized' ? 1198 : 1200,
    }));
    await expect(clientOf(node.url).getConsensusSlots()).resolves.toMatchObject({
      ok: true,
      value: { processed: 1200, finalized: 1198 },
    });
    expect(node.requests).toEqual([2]);
  });

  it('passes on epochVoteAccount of a vote account', async () => {
    const node = await startRpc(() => ({
      result: {
        current: [],
        delinquent: [{ votePubkey: VOTE, nodePubkey: NODE, lastVote: 1000, epochVoteAccount: false }],
      },
    }));
    await expect(clientOf(node.url).getVoteAccount(VOTE)).resolves.toMatchObject({
      ok: true,
      value: { delinquent: true, epochVoteAccount: false },
    });
  });
});
