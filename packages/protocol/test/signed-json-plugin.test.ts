import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { SimulatedClock } from '@failover/core/testing';
import {
  AUTH_HEADER,
  DEFAULT_SKEW_MS,
  NODE_HEADER,
  RESPONSE_AUTH_HEADER,
  signRequest,
  verifyResponse,
} from '@failover/protocol';
import { SIGNED_JSON_BODY_LIMIT, signedJsonPlugin, type SignedJsonPluginOptions } from '@failover/protocol/server';

const secret = Buffer.from('a-shared-secret-of-enough-length');
const START = 1_700_000_000_000;
const NODE = 'node-a';

let app: FastifyInstance | undefined;
let clock: SimulatedClock;
let handled: unknown[];

beforeEach(() => {
  clock = new SimulatedClock(START);
  handled = [];
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A server with the plugin and three routes: a signed one with a body schema, an open one and one that throws. */
async function build(options: Partial<SignedJsonPluginOptions> = {}): Promise<FastifyInstance> {
  const server = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false } } });
  await server.register(signedJsonPlugin, {
    auth: { mode: 'secret', secret },
    node: NODE,
    clock,
    openRoutes: [{ method: 'GET', path: '/open' }],
    serverName: 'test',
    ...options,
  });
  server.post('/echo', { schema: { body: Type.Object({ n: Type.Integer() }) } }, async (request, reply) => {
    const { n } = request.body as { n: number };
    handled.push(request.body);
    if (n < 0) return reply.sendError('FAILOVER_BUSY', 'negative means busy', { n });
    return { n };
  });
  server.get('/open', async () => ({ open: true }));
  server.get('/boom', async () => {
    throw new Error('the handler broke');
  });
  app = server;
  return server;
}

/** A request for `node` signed at the simulated time. */
function signed(
  method: 'GET' | 'POST',
  url: string,
  payload?: string,
  extra: Record<string, string> = {},
  node = NODE,
): InjectOptions {
  const header = signRequest({ secret, method, path: url, node, body: payload ?? '', now: clock.now(), nonce: NONCE });
  return {
    method,
    url,
    headers: {
      [AUTH_HEADER]: header,
      ...(node === '' ? {} : { [NODE_HEADER]: node }),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra,
    },
    ...(payload === undefined ? {} : { payload }),
  };
}

let nonces = 0;
/** A fresh nonce per request, so a test can check the answer's MAC against it. */
let NONCE = '';
beforeEach(() => {
  NONCE = `nonce-${String(++nonces).padStart(12, '0')}`;
});

describe('signedJsonPlugin', () => {
  it('serves a signed JSON request', async () => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n":7}'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ n: 7 });
    expect(handled).toEqual([{ n: 7 }]);
  });

  it.each([
    ['no signature', {}, 'FAILOVER_AUTH_MISSING'],
    ['a header of another scheme', { [AUTH_HEADER]: 'Bearer abc' }, 'FAILOVER_AUTH_MALFORMED'],
    [
      'a signature made with another secret',
      {
        [AUTH_HEADER]: signRequest({
          secret: Buffer.from('another-secret-of-enough-length'),
          method: 'POST',
          path: '/echo',
          node: NODE,
          body: '{"n":7}',
          now: START,
        }),
        [NODE_HEADER]: NODE,
      },
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a signature over another body',
      {
        [AUTH_HEADER]: signRequest({ secret, method: 'POST', path: '/echo', node: NODE, body: '{"n":8}', now: START }),
        [NODE_HEADER]: NODE,
      },
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a node header changed after signing',
      {
        [AUTH_HEADER]: signRequest({
          secret,
          method: 'POST',
          path: '/echo',
          node: 'node-b',
          body: '{"n":7}',
          now: START,
        }),
        [NODE_HEADER]: NODE,
      },
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a v1 signature, which does not cover the node',
      {
        [AUTH_HEADER]: signRequest({
          secret,
          method: 'POST',
          path: '/echo',
          node: NODE,
          body: '{"n":7}',
          now: START,
        }).replace(/^v2/, 'v1'),
        [NODE_HEADER]: NODE,
      },
      'FAILOVER_AUTH_OLD_VERSION',
    ],
  ])(
    'refuses a request with %s in the error envelope, without calling the route',
    async (_case, headers: Record<string, string>, code) => {
      const server = await build();
      const res = await server.inject({
        method: 'POST',
        url: '/echo',
        payload: '{"n":7}',
        headers: { 'content-type': 'application/json', ...headers },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code, message: expect.any(String) }, timestamp: START / 1000 });
      expect(handled).toEqual([]);
    },
  );

  // Regression: a request signed for one agent was served by the other, which shares the secret.
  it('refuses 412 a request signed for another node, without calling the route, naming itself in a signed answer', async () => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n":7}', {}, 'node-b'));
    expect(res.statusCode).toBe(412);
    expect(res.json()).toEqual({
      error: {
        code: 'FAILOVER_WRONG_NODE',
        message: 'this is node-a, not node-b',
        details: { node_name: NODE, requested_node: 'node-b' },
      },
      timestamp: START / 1000,
    });
    expect(res.headers[NODE_HEADER]).toBe(NODE);
    const verdict = verifyResponse({
      secret,
      header: res.headers[RESPONSE_AUTH_HEADER] as string,
      status: 412,
      nonce: NONCE,
      node: NODE,
      body: res.body,
    });
    expect(verdict).toEqual({ ok: true });
    expect(handled).toEqual([]);
  });

  it('refuses 412 a request that names no node, with its own name in the details', async () => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n":7}', {}, ''));
    expect(res.statusCode).toBe(412);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_WRONG_NODE', details: { node_name: NODE, requested_node: null } },
    });
    expect(handled).toEqual([]);
  });

  it.each([
    ['a success', '{"n":7}', 200],
    ["a route's refusal", '{"n":-1}', 409],
    ['a schema mismatch', '{"n":"7"}', 400],
  ])('signs its answer to an authenticated request: %s', async (_case, payload, status) => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', payload));
    expect(res.statusCode).toBe(status);
    expect(res.headers[NODE_HEADER]).toBe(NODE);
    const answer = { secret, status, nonce: NONCE, node: NODE, body: res.body };
    const header = res.headers[RESPONSE_AUTH_HEADER] as string;
    expect(verifyResponse({ ...answer, header })).toEqual({ ok: true });
    expect(verifyResponse({ ...answer, header, body: `${res.body} ` })).toMatchObject({ ok: false });
  });

  it('does not sign a refusal of an unauthenticated request, nor an open route', async () => {
    const server = await build();
    const refused = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"n":7}',
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers[RESPONSE_AUTH_HEADER]).toBeUndefined();
    expect((await server.inject({ method: 'GET', url: '/open' })).headers[RESPONSE_AUTH_HEADER]).toBeUndefined();
  });

  it('refuses a replayed request', async () => {
    const server = await build();
    const request = signed('POST', '/echo', '{"n":7}');
    expect((await server.inject(request)).statusCode).toBe(200);
    const replay = await server.inject(request);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_REPLAYED' } });
    expect(handled).toHaveLength(1);
  });

  it('refuses a request signed outside the skew window of the given clock', async () => {
    const server = await build();
    const request = signed('POST', '/echo', '{"n":7}');
    clock.advance(DEFAULT_SKEW_MS + 1);
    const res = await server.inject(request);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_SKEW' } });
  });

  it('takes the skew window from its options', async () => {
    const server = await build({ skewMs: 1_000 });
    const request = signed('POST', '/echo', '{"n":7}');
    clock.advance(1_001);
    expect((await server.inject(request)).json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_SKEW' } });
  });

  it(`answers 413 to a body over ${SIGNED_JSON_BODY_LIMIT} bytes`, async () => {
    const server = await build();
    const res = await server.inject(
      signed('POST', '/echo', JSON.stringify({ n: 1, pad: 'x'.repeat(SIGNED_JSON_BODY_LIMIT) })),
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_PAYLOAD_TOO_LARGE', message: `body exceeds ${SIGNED_JSON_BODY_LIMIT} bytes` },
    });
    expect(handled).toEqual([]);
  });

  it('takes the body limit from its options', async () => {
    const server = await build({ bodyLimit: 100 });
    const res = await server.inject(signed('POST', '/echo', JSON.stringify({ n: 1, pad: 'x'.repeat(100) })));
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_PAYLOAD_TOO_LARGE', message: 'body exceeds 100 bytes' },
    });
  });

  it('answers malformed JSON 400 with where it breaks, once the request is authenticated', async () => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n": 7,'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: {
        code: 'FAILOVER_BAD_REQUEST',
        message: 'body:1:9: invalid JSON: unexpected end of input; expected a double-quoted key',
      },
    });
    const unsigned = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"n": 7,',
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(401);
    expect(handled).toEqual([]);
  });

  it('parses a signed body nested deeper than a recursive walk could go, and judges it by its schema', async () => {
    const server = await build();
    const depth = 7_000;
    const deep = await server.inject(signed('POST', '/echo', `{"n":${'['.repeat(depth)}${']'.repeat(depth)}}`));
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({
      error: { code: 'FAILOVER_BAD_REQUEST', details: [{ path: 'body/n', message: 'must be integer' }] },
    });
    NONCE = `nonce-${String(++nonces).padStart(12, '0')}`;
    const broken = await server.inject(signed('POST', '/echo', `{"n":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`));
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({
      error: {
        code: 'FAILOVER_BAD_REQUEST',
        message: `body:1:${5 + 2 * depth}: invalid JSON: unexpected '}'; expected ',' or ']'`,
      },
    });
    expect(handled).toEqual([]);
  });

  it('refuses an unsigned body 401 without parsing it, however it is nested or broken', async () => {
    const server = await build();
    for (const payload of ['['.repeat(16_000), `{"n":${'['.repeat(7_000)}${']'.repeat(7_000)}}`, '{"n": 7,']) {
      const res = await server.inject({
        method: 'POST',
        url: '/echo',
        payload,
        headers: { 'content-type': 'application/json', [NODE_HEADER]: NODE },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_MISSING' } });
    }
    expect(handled).toEqual([]);
  });

  it('answers a schema mismatch 400 with each problem and its path, taking values as sent', async () => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n":"7"}'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: {
        code: 'FAILOVER_BAD_REQUEST',
        message: 'body/n must be integer',
        details: [{ path: 'body/n', message: 'must be integer' }],
      },
    });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('answers a %s body 415', async (type) => {
    const server = await build();
    const res = await server.inject(signed('POST', '/echo', '{"n":7}', { 'content-type': type }));
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_UNSUPPORTED_MEDIA_TYPE', message: 'body must be application/json' },
    });
    expect(handled).toEqual([]);
  });

  it('answers an unknown route 404 and a known path with another method 405, in the envelope and without a signature', async () => {
    const server = await build();
    const missing = await server.inject({ method: 'GET', url: '/nope?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'FAILOVER_NOT_FOUND', message: 'no endpoint GET /nope' },
      timestamp: START / 1000,
    });
    const wrong = await server.inject({ method: 'DELETE', url: '/echo' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.json()).toMatchObject({
      error: { code: 'FAILOVER_METHOD_NOT_ALLOWED', message: '/echo does not accept DELETE; use POST' },
    });
  });

  it('serves an open route, and its HEAD, without a signature', async () => {
    const server = await build();
    const res = await server.inject({ method: 'GET', url: '/open' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ open: true });
    expect((await server.inject({ method: 'HEAD', url: '/open' })).statusCode).toBe(200);
  });

  it('signs every route not listed as open', async () => {
    const server = await build({ openRoutes: [] });
    expect((await server.inject({ method: 'GET', url: '/open' })).json()).toMatchObject({
      error: { code: 'FAILOVER_AUTH_MISSING' },
    });
    expect((await server.inject(signed('GET', '/open'))).statusCode).toBe(200);
  });

  it('refuses a client outside allowedIps before looking at its signature', async () => {
    const server = await build({ allowedIps: ['10.0.0.7'] });
    const refused = await server.inject({ ...signed('POST', '/echo', '{"n":7}'), remoteAddress: '10.0.0.8' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      error: { code: 'FAILOVER_IP_NOT_ALLOWED', message: 'client 10.0.0.8 is not in allowed_ips' },
    });
    expect(
      (await server.inject({ ...signed('POST', '/echo', '{"n":7}'), remoteAddress: '::ffff:10.0.0.7' })).statusCode,
    ).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/open', remoteAddress: '10.0.0.8' })).statusCode).toBe(200);
  });

  it('serves unsigned requests in insecure mode, still checking the body', async () => {
    const server = await build({ auth: { mode: 'insecure' } });
    const served = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"n":7}',
      headers: { 'content-type': 'application/json', [NODE_HEADER]: NODE },
    });
    expect(served.statusCode).toBe(200);
    expect(served.headers[NODE_HEADER]).toBe(NODE);
    expect(served.headers[RESPONSE_AUTH_HEADER]).toBeUndefined();
    const broken = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '[',
      headers: { 'content-type': 'application/json', [NODE_HEADER]: NODE },
    });
    expect(broken.json()).toMatchObject({
      error: { code: 'FAILOVER_BAD_REQUEST', message: expect.stringMatching(/^body:1:2: invalid JSON/) },
    });
  });

  it.each([
    ['another node', { [NODE_HEADER]: 'node-b' }],
    ['no node', {}],
  ])('still refuses a request for %s in insecure mode', async (_case, headers: Record<string, string>) => {
    const server = await build({ auth: { mode: 'insecure' } });
    const res = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"n":7}',
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(res.statusCode).toBe(412);
    expect(res.json()).toMatchObject({ error: { code: 'FAILOVER_WRONG_NODE', details: { node_name: NODE } } });
    expect(handled).toEqual([]);
  });

  it("lets a route answer in the envelope with reply.sendError, stamped with the clock's time", async () => {
    const server = await build();
    clock.advance(5_000);
    const res = await server.inject(signed('POST', '/echo', '{"n":-1}'));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: { code: 'FAILOVER_BUSY', message: 'negative means busy', details: { n: -1 } },
      timestamp: START / 1000 + 5,
    });
  });

  it('answers an error thrown by a route 500, pointing to the named log without its text', async () => {
    const server = await build();
    const res = await server.inject(signed('GET', '/boom'));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_INTERNAL', message: 'internal error; see the test log' },
    });
  });
});
