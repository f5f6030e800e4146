import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { AGENT_RESPONSE_BODY_LIMIT, createAgentClient, createSolanaRpc, readCappedText } from '@failover/protocol';
import { freePort, sendEndlessBody, type EndlessBody } from '@failover/testkit';
import { createHttpFetch, type HttpFetch } from '../src/internal/http-fetch';

const run = promisify(execFile);

let client: HttpFetch;
const servers: Array<http.Server | net.Server> = [];

beforeEach(() => {
  client = createHttpFetch();
});

afterEach(async () => {
  client.close();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

async function listen<S extends http.Server | net.Server>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('the agent’s fetch over node:http', () => {
  it('sends the method, headers and body, and answers the status, a header and the text', async () => {
    const seen: Array<{ method?: string; type?: string; body: string }> = [];
    const url = await listen(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, type: req.headers['content-type'], body });
          res.writeHead(418, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0"}');
        });
      }),
    );
    const answer = await client.fetch(`${url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"method":"getSlot"}',
    });
    expect(seen).toEqual([{ method: 'POST', type: 'application/json', body: '{"method":"getSlot"}' }]);
    expect([answer.status, answer.ok, answer.headers.get('Content-Type'), await answer.text()]).toEqual([
      418,
      false,
      'application/json',
      '{"jsonrpc":"2.0"}',
    ]);
  });

  it('rejects as fetch does when nothing listens: a TypeError with the socket error as its cause', async () => {
    const error: unknown = await client.fetch(`http://127.0.0.1:${await freePort()}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError & { cause: { code: string } }).cause.code).toBe('ECONNREFUSED');
  });

  it('rejects with an AbortError when its signal aborts before the answer', async () => {
    const abort = new AbortController();
    // The server aborts the call once the request has reached it, and never answers.
    const url = await listen(http.createServer(() => abort.abort()));
    const error: unknown = await client.fetch(url, { signal: abort.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });

  it('sends a request once more on a new connection when the kept-alive one was closed by the server', async () => {
    // Answers the first request of the first connection, then drops that connection when the
    // second request comes on it, as a server that timed the idle connection out would.
    let connections = 0;
    const url = await listen(
      net.createServer((socket) => {
        const connection = ++connections;
        let requests = 0;
        socket.on('data', (data: Buffer) => {
          requests += data.toString().split('\r\n\r\n').length - 1;
          if (connection === 1 && requests > 1) return socket.destroy();
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nc${connection}`);
        });
      }),
    );
    const first = await (await client.fetch(url)).text();
    const second = await (await client.fetch(url)).text();
    expect([first, second, connections]).toEqual(['c1', 'c2', 2]);
  });

  it('gives the protocol’s RPC client the failures it tells apart: unreachable, timeout, malformed, an answer', async () => {
    // The shared client reads the reason from what fetch throws; node:http must throw the same.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const hanging = await listen(http.createServer(() => undefined));
    const answering = await listen(
      http.createServer((req, res) => {
        const body = req.url === '/junk' ? 'not json' : '{"jsonrpc":"2.0","id":1,"result":42}';
        req.resume();
        req.on('end', () => res.end(body));
      }),
    );
    const slot = (endpoint: string) =>
      createSolanaRpc({ endpoints: [endpoint], timeoutMs: 300, fetch: client.fetch }).getSlot();
    const [refused, silent, junk, ok] = await Promise.all([
      slot(closed),
      slot(hanging),
      slot(`${answering}/junk`),
      slot(answering),
    ]);
    expect(refused).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(refused.ok ? '' : refused.message).toContain('ECONNREFUSED');
    expect(silent).toMatchObject({ ok: false, reason: 'timeout' });
    expect(junk).toMatchObject({ ok: false, reason: 'malformed' });
    expect(ok).toMatchObject({ ok: true, value: 42 });
  });

  // Regression: the body was read to its end before the client's cap was checked, so an
  // endless answer was held in memory until the call's deadline.
  it('stops reading an endless body at the agent client’s cap and drops the connection, before the deadline', async () => {
    let endless: EndlessBody | undefined;
    const url = await listen(
      http.createServer((req, res) => {
        req.resume();
        endless = sendEndlessBody(res);
      }),
    );
    const peer = createAgentClient({ baseUrl: url, timeoutMs: 2_000, fetch: client.fetch });
    const answer = await peer.status();
    expect(answer).toMatchObject({ ok: false, error: { kind: 'invalid-response', status: 200 } });
    expect(answer.ok ? '' : answer.error.message).toContain(`larger than ${AGENT_RESPONSE_BODY_LIMIT} bytes`);
    expect(await endless?.closed).toBeGreaterThan(AGENT_RESPONSE_BODY_LIMIT);
  });

  it('reads a body of many chunks in full, through the protocol’s capped read and as text, over one kept-alive connection', async () => {
    const big = 'x'.repeat(1_000_000);
    let connections = 0;
    const server = http.createServer((req, res) => res.end(big));
    server.on('connection', () => connections++);
    const url = await listen(server);
    const streamed = (await readCappedText(await client.fetch(url), 2_000_000)) ?? '';
    const read = await (await client.fetch(url)).text();
    expect([streamed.length, read.length, connections]).toEqual([1_000_000, 1_000_000, 1]);
  });

  it('never loads undici, which the global fetch would', async () => {
    // A fresh process: Node's list of loaded internal modules tells whether undici was loaded.
    const script = `
const http = require('node:http');
const { createHttpFetch } = require(${JSON.stringify(path.join(__dirname, '../src/internal/http-fetch.ts'))});
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', async () => {
  const client = createHttpFetch();
  const text = await (await client.fetch('http://127.0.0.1:' + server.address().port)).text();
  client.close();
  server.close();
  console.log(JSON.stringify({ text, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));
});
`;
    const { stdout } = await run(process.execPath, [require.resolve('tsx/cli'), '-e', script], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ text: 'ok', undici: false });
  }, 40_000);
});
