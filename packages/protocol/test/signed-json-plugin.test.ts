import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { SimulatedClock } from '@failover/core/testing';
import { AUTH_HEADER, DEFAULT_SKEW_MS, signRequest } from '@failover/protocol';
import { SIGNED_JSON_BODY_LIMIT, signedJsonPlugin, type SignedJsonPluginOptions } from '@failover/protocol/server';

const secret = Buffer.from('a-shared-secret-of-enough-length');
const START = 1_700_000_000_000;

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

/** A request signed at the simulated time. */
function signed(
  method: 'GET' | 'POST',
  url: string,
  payload?: string,
  extra: Record<string, string> = {},
): InjectOptions {
  const header = signRequest({ secret, method, path: url, body: payload ?? '', now: clock.now() });
  return {
    method,
    url,
    headers: {
      [AUTH_HEADER]: header,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra,
    },
    ...(payload === undefined ? {} : { payload }),
  };
}

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
          body: '{"n":7}',
          now: START,
        }),
      },
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a signature over another body',
      { [AUTH_HEADER]: signRequest({ secret, method: 'POST', path: '/echo', body: '{"n":8}', now: START }) },
      'FAILOVER_AUTH_BAD_SIGNATURE',
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
    expect(
      (
        await server.inject({
          method: 'POST',
          url: '/echo',
          payload: '{"n":7}',
          headers: { 'content-type': 'application/json' },
        })
      ).statusCode,
    ).toBe(200);
    const broken = await server.inject({
      method: 'POST',
      url: '/echo',
      payload: '[',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.json()).toMatchObject({
      error: { code: 'FAILOVER_BAD_REQUEST', message: expect.stringMatching(/^body:1:2: invalid JSON/) },
    });
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
