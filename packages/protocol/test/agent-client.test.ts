import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedClock } from '@failover/core/testing';
import { Value } from '@sinclair/typebox/value';
import {
  AGENT_RESPONSE_BODY_LIMIT,
  AUTH_HEADER,
  NODE_HEADER,
  RESPONSE_AUTH_HEADER,
  TowerStaleDetailsSchema,
  createAgentClient,
  createReplayCache,
  errorEnvelope,
  signResponse,
  verifyRequest,
} from '@failover/protocol';
import type { StatusResponse } from '@failover/protocol';
import { sendEndlessBody, type EndlessBody } from '@failover/testkit';

const secret = Buffer.from('client-test-secret-0123456789');
const NODE = 'fra-1';
const fence = () => ({ term: 7, sender: 'manager-0123456789abcdef' });
const status: StatusResponse = {
  process_running: true,
  process_uptime: 600,
  process_healthy: true,
  validator_slot: 1000,
  network_slot: 0,
  slot_diff: 0,
  is_healthy: true,
  is_active: true,
  last_tower_backup: -62135596800,
  timestamp: 1_700_000_000,
};

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function startServer(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Answers as an agent named `node` does: its name in a header, and the answer signed for the request's nonce. */
function signedJson(
  request: IncomingMessage,
  response: ServerResponse,
  code: number,
  body: unknown,
  node = NODE,
): void {
  const text = JSON.stringify(body);
  const nonce = /,n=([^,]+),/.exec(String(request.headers[AUTH_HEADER]))?.[1] ?? '';
  response
    .writeHead(code, {
      'content-type': 'application/json',
      [NODE_HEADER]: node,
      [RESPONSE_AUTH_HEADER]: signResponse({ secret, status: code, nonce, node, body: text }),
    })
    .end(text);
}

describe('createAgentClient against a real HTTP server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('signs the request so that the server can verify it, and returns the validated status', async () => {
    const seen: { method?: string; body?: string; verdict?: unknown } = {};
    const started = await startServer((request, body, response) => {
      seen.method = request.method;
      seen.body = body;
      seen.verdict = verifyRequest({
        secret,
        method: request.method ?? '',
        path: request.url ?? '',
        node: request.headers[NODE_HEADER] as string,
        body,
        header: request.headers[AUTH_HEADER] as string | undefined,
        now: Date.now(),
        replayCache: createReplayCache(),
      });
      signedJson(request, response, 200, status);
    });
    server = started.server;
    const client = createAgentClient({ baseUrl: `${started.url}/`, secret, timeoutMs: 2000, node: NODE });
    const result = await client.status({ lastReceivedTimestamp: 1_699_999_995 });
    expect(result).toEqual({ ok: true, value: status });
    expect(seen.verdict).toMatchObject({ ok: true });
    expect(seen.method).toBe('POST');
    expect(JSON.parse(seen.body ?? '')).toEqual({
      timestamp: expect.any(Number),
      last_received_timestamp: 1_699_999_995,
    });
  });

  it('sends the Go field names and the term for a failover, and returns success: false as a value', async () => {
    let received: unknown;
    const started = await startServer((request, body, response) => {
      received = JSON.parse(body);
      signedJson(request, response, 200, {
        success: false,
        message: 'identity_remove_command failed',
        dry_run: false,
        timestamp: 1,
      });
    });
    server = started.server;
    const client = createAgentClient({
      baseUrl: started.url,
      secret,
      timeoutMs: 2000,
      clock: new SimulatedClock(1_700_000_000_000),
      node: NODE,
      fence,
    });
    const result = await client.failover({ action: 'become_active', reason: 'active unhealthy', skipIdentity: true });
    expect(received).toEqual({
      action: 'become_active',
      reason: 'active unhealthy',
      skip_identity: true,
      timestamp: 1_700_000_000,
      term: 7,
      sender: 'manager-0123456789abcdef',
    });
    expect(result).toEqual({
      ok: true,
      value: { success: false, message: 'identity_remove_command failed', dry_run: false, timestamp: 1 },
    });
  });

  it('sends min_tower_slot with become_active and hands a FAILOVER_TOWER_STALE refusal back with its slots', async () => {
    let received: unknown;
    const details = { min_tower_slot: 5000, tower_last_vote_slot: 4980 };
    const started = await startServer((request, body, response) => {
      received = JSON.parse(body);
      signedJson(
        request,
        response,
        422,
        errorEnvelope('FAILOVER_TOWER_STALE', 'tower ends at slot 4980, below 5000', Date.now(), details),
      );
    });
    server = started.server;
    const client = createAgentClient({
      baseUrl: started.url,
      secret,
      timeoutMs: 2000,
      clock: new SimulatedClock(1_700_000_000_000),
      node: NODE,
      fence,
    });
    const result = await client.failover({ action: 'become_active', reason: 'active unreachable', minTowerSlot: 5000 });
    expect(received).toEqual({
      action: 'become_active',
      reason: 'active unreachable',
      min_tower_slot: 5000,
      timestamp: 1_700_000_000,
      term: 7,
      sender: 'manager-0123456789abcdef',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 422, code: 'FAILOVER_TOWER_STALE', details },
    });
    expect(
      Value.Check(
        TowerStaleDetailsSchema,
        result.ok ? undefined : 'details' in result.error ? result.error.details : undefined,
      ),
    ).toBe(true);
  });

  it('reports unreachable when nothing listens', async () => {
    const started = await startServer(() => undefined);
    await new Promise((resolve) => started.server.close(resolve));
    const client = createAgentClient({ baseUrl: started.url, timeoutMs: 2000 });
    const result = await client.status();
    expect(result).toMatchObject({ ok: false, error: { kind: 'unreachable', code: 'ECONNREFUSED' } });
  });

  it('reports unreachable for a name that does not resolve', async () => {
    const client = createAgentClient({ baseUrl: 'http://failover-agent.invalid:8080', timeoutMs: 5000 });
    const result = await client.health();
    expect(result).toMatchObject({ ok: false, error: { kind: 'unreachable' } });
  });

  it('reports a timeout when the agent accepts the connection but never answers', async () => {
    const started = await startServer(() => undefined);
    server = started.server;
    const client = createAgentClient({ baseUrl: started.url, timeoutMs: 5000 });
    const result = await client.status({}, { timeoutMs: 150 });
    expect(result).toMatchObject({ ok: false, error: { kind: 'timeout', timeoutMs: 150 } });
  });

  it('stops reading an answer past its body limit and reports it, naming the agent, long before the deadline', async () => {
    let endless: EndlessBody | undefined;
    const started = await startServer((_request, _body, response) => {
      endless = sendEndlessBody(response);
    });
    server = started.server;
    const client = createAgentClient({ baseUrl: started.url, timeoutMs: 20_000, node: NODE });
    const began = performance.now();
    const result = await client.status();
    expect(performance.now() - began).toBeLessThan(10_000);
    expect(result).toEqual({
      ok: false,
      error: {
        kind: 'invalid-response',
        url: `${started.url}/status`,
        status: 200,
        message: `the HTTP 200 answer from ${started.url}/status (node ${NODE}) is larger than ${AGENT_RESPONSE_BODY_LIMIT} bytes; stopped reading it there`,
      },
    });
    // The connection was dropped: the agent's side saw it close.
    expect(await endless?.closed).toBeGreaterThan(AGENT_RESPONSE_BODY_LIMIT);
  });

  it('reports rejected with the envelope code, message and HTTP status, also for a refusal the agent could not sign', async () => {
    const started = await startServer((_request, _body, response) =>
      json(response, 401, errorEnvelope('FAILOVER_AUTH_REPLAYED', 'nonce already used', Date.now())),
    );
    server = started.server;
    const result = await createAgentClient({ baseUrl: started.url, secret, timeoutMs: 2000, node: NODE }).shutdown({
      reason: 'maintenance',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 401, code: 'FAILOVER_AUTH_REPLAYED', message: 'nonce already used' },
    });
  });

  it("reports rejected for a Go agent's plain-text error", async () => {
    const started = await startServer((_request, _body, response) =>
      response.writeHead(405).end('Method not allowed\n'),
    );
    server = started.server;
    const result = await createAgentClient({ baseUrl: started.url, timeoutMs: 2000 }).identity();
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 405, code: 'FAILOVER_HTTP_ERROR', message: 'HTTP 405: Method not allowed' },
    });
  });

  it.each([
    [
      'a status without process_running',
      (response: ServerResponse) => json(response, 200, { ...status, process_running: undefined }),
      'process_running',
    ],
    [
      'a body that is not JSON',
      (response: ServerResponse) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
      'not JSON',
    ],
  ])('reports invalid-response for %s', async (_name, answer, mentions) => {
    const started = await startServer((_request, _body, response) => answer(response));
    server = started.server;
    const result = await createAgentClient({ baseUrl: started.url, timeoutMs: 2000 }).status();
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid-response', status: 200 } });
    expect(result.ok ? '' : result.error.message).toContain(mentions);
  });

  it("accepts the Go agent's plain-text OK from /health, unsigned", async () => {
    let header: unknown = 'unset';
    const started = await startServer((request, _body, response) => {
      header = request.headers[AUTH_HEADER];
      response.writeHead(200).end('OK');
    });
    server = started.server;
    const result = await createAgentClient({ baseUrl: started.url, secret, timeoutMs: 2000 }).health();
    expect(result).toEqual({ ok: true, value: { status: 'ok' } });
    expect(header).toBeUndefined();
  });

  it('learns the node from the signed 412 to a request that names none, sends again, and names it from then on', async () => {
    const named: (string | undefined)[] = [];
    const started = await startServer((request, _body, response) => {
      const node = request.headers[NODE_HEADER] as string | undefined;
      named.push(node);
      if (node === NODE) signedJson(request, response, 200, status);
      else
        signedJson(
          request,
          response,
          412,
          errorEnvelope('FAILOVER_WRONG_NODE', 'names no node', Date.now(), {
            node_name: NODE,
            requested_node: null,
          }),
        );
    });
    server = started.server;
    const client = createAgentClient({ baseUrl: started.url, secret, timeoutMs: 2000 });
    expect(client.node()).toBeUndefined();
    await expect(client.status()).resolves.toEqual({ ok: true, value: status });
    await expect(client.status()).resolves.toEqual({ ok: true, value: status });
    expect(named).toEqual([undefined, NODE, NODE]);
    expect(client.node()).toBe(NODE);
  });

  it('keeps the node it learned: a later answer from another node is a refusal, not a new name', async () => {
    let node = NODE;
    const started = await startServer((request, _body, response) => {
      const asked = request.headers[NODE_HEADER] as string | undefined;
      if (asked === node) signedJson(request, response, 200, status, node);
      else
        signedJson(
          request,
          response,
          412,
          errorEnvelope('FAILOVER_WRONG_NODE', `this is ${node}`, Date.now(), {
            node_name: node,
            requested_node: asked ?? null,
          }),
          node,
        );
    });
    server = started.server;
    const client = createAgentClient({ baseUrl: started.url, secret, timeoutMs: 2000 });
    await expect(client.status()).resolves.toMatchObject({ ok: true });
    node = 'fra-2';
    await expect(client.status()).resolves.toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 412, code: 'FAILOVER_WRONG_NODE' },
    });
    expect(client.node()).toBe(NODE);
  });

  it.each<[string, (request: IncomingMessage, response: ServerResponse) => void]>([
    ['an answer without a signature', (_request, response) => json(response, 200, status)],
    [
      'a forged body under a genuine signature',
      (request, response) => {
        const text = JSON.stringify(status);
        const nonce = /,n=([^,]+),/.exec(String(request.headers[AUTH_HEADER]))?.[1] ?? '';
        response
          .writeHead(200, {
            'content-type': 'application/json',
            [NODE_HEADER]: NODE,
            [RESPONSE_AUTH_HEADER]: signResponse({ secret, status: 200, nonce, node: NODE, body: text }),
          })
          .end(JSON.stringify({ ...status, process_running: false }));
      },
    ],
    [
      'the signed answer to another request',
      (_request, response) => {
        const text = JSON.stringify(status);
        const nonce = 'a-nonce-the-client-never-sent';
        response
          .writeHead(200, {
            'content-type': 'application/json',
            [NODE_HEADER]: NODE,
            [RESPONSE_AUTH_HEADER]: signResponse({ secret, status: 200, nonce, node: NODE, body: text }),
          })
          .end(text);
      },
    ],
    [
      'an unsigned stale-term refusal',
      (_request, response) => json(response, 409, errorEnvelope('FAILOVER_STALE_TERM', 'stale', Date.now())),
    ],
  ])('reports forged-response for %s', async (_case, answer) => {
    const started = await startServer((request, _body, response) => answer(request, response));
    server = started.server;
    const result = await createAgentClient({ baseUrl: started.url, secret, timeoutMs: 2000, node: NODE }).status();
    expect(result).toMatchObject({ ok: false, error: { kind: 'forged-response' } });
  });

  it('with insecure_no_auth names the node in its header and learns it from the answer', async () => {
    const named: (string | undefined)[] = [];
    const started = await startServer((request, _body, response) => {
      const node = request.headers[NODE_HEADER] as string | undefined;
      named.push(node);
      const body =
        node === NODE
          ? status
          : errorEnvelope('FAILOVER_WRONG_NODE', 'names no node', Date.now(), {
              node_name: NODE,
              requested_node: null,
            });
      response
        .writeHead(node === NODE ? 200 : 412, { 'content-type': 'application/json', [NODE_HEADER]: NODE })
        .end(JSON.stringify(body));
    });
    server = started.server;
    const client = createAgentClient({ baseUrl: started.url, timeoutMs: 2000, fence });
    await expect(client.status()).resolves.toEqual({ ok: true, value: status });
    expect(named).toEqual([undefined, NODE]);
  });

  it.each([
    [
      'a base URL that is not a URL',
      { baseUrl: 'not a url', timeoutMs: 1000 },
      'FAILOVER_AGENT_CLIENT_OPTIONS: createAgentClient: baseUrl "not a url" is not a URL',
    ],
    ['a non-HTTP base URL', { baseUrl: 'ftp://x', timeoutMs: 1000 }, 'must be http or https'],
    ['a zero timeout', { baseUrl: 'http://x', timeoutMs: 0 }, 'timeoutMs must be a positive'],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createAgentClient(options)).toThrow(message);
  });
});
