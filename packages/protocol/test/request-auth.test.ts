import fc from 'fast-check';
import {
  AUTH_HEADER,
  NODE_HEADER,
  RESPONSE_AUTH_HEADER,
  createReplayCache,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
} from '@failover/protocol';

const secretText = 'a-shared-secret-of-enough-length';
const secret = Buffer.from(secretText);
const now = 1_700_000_000_000;
const request = { secret, method: 'POST', path: '/failover', node: 'fra-1', body: '{"action":"become_passive"}' };
const accepted = { ok: true, nonce: expect.any(String), timestamp: expect.any(Number) };

describe('signRequest and verifyRequest', () => {
  it('names the headers x-failover-auth and x-failover-node, and writes v2 t=,n=,s=', () => {
    expect(AUTH_HEADER).toBe('x-failover-auth');
    expect(NODE_HEADER).toBe('x-failover-node');
    expect(signRequest({ ...request, now, nonce: 'nonce-0123456789ab' })).toMatch(
      /^v2 t=1700000000000,n=nonce-0123456789ab,s=[0-9a-f]{64}$/,
    );
  });

  const header = signRequest({ ...request, now, nonce: 'nonce-0123456789ab' });
  it.each([
    ['an untouched request', {}, { ok: true, nonce: 'nonce-0123456789ab', timestamp: now }],
    ['a request 29 s late', { now: now + 29_000 }, { ok: true, nonce: 'nonce-0123456789ab', timestamp: now }],
    ['a request 31 s late', { now: now + 31_000 }, { ok: false, reason: 'skew' }],
    ['a request from 31 s in the future', { now: now - 31_000 }, { ok: false, reason: 'skew' }],
    ['no header', { header: undefined }, { ok: false, reason: 'missing' }],
    ['an empty header', { header: '' }, { ok: false, reason: 'missing' }],
    ['a header of another scheme', { header: 'Bearer abc' }, { ok: false, reason: 'malformed' }],
    ['a truncated signature', { header: header.slice(0, -2) }, { ok: false, reason: 'malformed' }],
    ['a tampered body', { body: '{"action":"become_active"}' }, { ok: false, reason: 'bad-signature' }],
    ['a tampered path', { path: '/shutdown' }, { ok: false, reason: 'bad-signature' }],
    // Regression: the MAC did not cover the node, so a request signed for one agent was valid at the other.
    ['another node', { node: 'fra-2' }, { ok: false, reason: 'bad-signature' }],
    ['no node where one was signed', { node: '' }, { ok: false, reason: 'bad-signature' }],
    [
      'a v1 header, which did not cover the node',
      { header: header.replace(/^v2/, 'v1') },
      { ok: false, reason: 'old-version' },
    ],
    ['a tampered method', { method: 'GET' }, { ok: false, reason: 'bad-signature' }],
    [
      'another secret',
      { secret: Buffer.from('another-shared-secret-of-length') },
      { ok: false, reason: 'bad-signature' },
    ],
    [
      'a moved timestamp',
      { header: header.replace('t=1700000000000', 't=1700000000001') },
      { ok: false, reason: 'bad-signature' },
    ],
  ])('judges %s', (_name, change, expected) => {
    const input = { ...request, header, now, skewMs: 30_000, replayCache: createReplayCache(), ...change };
    expect(verifyRequest(input)).toEqual(expected);
  });

  it('accepts a method in any case', () => {
    const signed = signRequest({ ...request, method: 'post', now });
    expect(verifyRequest({ ...request, header: signed, now, replayCache: createReplayCache() })).toEqual(accepted);
  });

  it('refuses the same request a second time', () => {
    const replayCache = createReplayCache();
    const signed = signRequest({ ...request, now });
    expect(verifyRequest({ ...request, header: signed, now, replayCache })).toEqual(accepted);
    expect(verifyRequest({ ...request, header: signed, now: now + 1000, replayCache })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  it('does not remember nonces of requests with a bad signature', () => {
    const replayCache = createReplayCache();
    const signed = signRequest({ ...request, now });
    verifyRequest({ ...request, body: 'tampered', header: signed, now, replayCache });
    expect(replayCache.size).toBe(0);
    expect(verifyRequest({ ...request, header: signed, now, replayCache })).toEqual(accepted);
  });

  it('verifies every request it signs, and no request with a changed part (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom('GET', 'POST'),
          path: fc.webPath(),
          node: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
          body: fc.string(),
          secret: fc.uint8Array({ minLength: 1 }),
        }),
        fc.string({ minLength: 1 }),
        (parts, otherBody) => {
          const signed = signRequest({ ...parts, now });
          expect(verifyRequest({ ...parts, header: signed, now, replayCache: createReplayCache() })).toEqual(accepted);
          if (otherBody !== parts.body) {
            expect(
              verifyRequest({ ...parts, body: otherBody, header: signed, now, replayCache: createReplayCache() }),
            ).toEqual({ ok: false, reason: 'bad-signature' });
          }
        },
      ),
    );
  });

  it('never puts the secret in the header', () => {
    expect(signRequest({ ...request, now })).not.toContain(secretText);
  });
});

describe('signResponse and verifyResponse', () => {
  const answer = { secret, status: 200, nonce: 'nonce-0123456789ab', node: 'fra-1', body: '{"is_active":true}' };
  const header = signResponse(answer);

  it('names the header x-failover-response-auth and writes v2 s=', () => {
    expect(RESPONSE_AUTH_HEADER).toBe('x-failover-response-auth');
    expect(header).toMatch(/^v2 s=[0-9a-f]{64}$/);
  });

  it.each([
    ['an untouched answer', {}, { ok: true }],
    ['no header', { header: undefined }, { ok: false, reason: 'missing' }],
    ['a header of another form', { header: 'v2 t=1,s=00' }, { ok: false, reason: 'malformed' }],
    ['a forged body', { body: '{"is_active":false}' }, { ok: false, reason: 'bad-signature' }],
    ['another status', { status: 409 }, { ok: false, reason: 'bad-signature' }],
    ['the answer to another request', { nonce: 'nonce-ba9876543210' }, { ok: false, reason: 'bad-signature' }],
    ["the other node's answer", { node: 'fra-2' }, { ok: false, reason: 'bad-signature' }],
    [
      'another secret',
      { secret: Buffer.from('another-shared-secret-of-length') },
      { ok: false, reason: 'bad-signature' },
    ],
  ])('judges %s', (_name, change, expected) => {
    expect(verifyResponse({ ...answer, header, ...change })).toEqual(expected);
  });

  it('never verifies a request signature as an answer', () => {
    const signed = signRequest({ ...request, now, nonce: answer.nonce });
    expect(verifyResponse({ ...answer, header: `v2 s=${signed.slice(-64)}` })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });
});

describe('createReplayCache', () => {
  it('forgets a nonce once its timestamp can no longer be accepted', () => {
    const cache = createReplayCache();
    expect(cache.remember('n1', 1000, 0)).toBe(true);
    expect(cache.remember('n1', 1000, 999)).toBe(false);
    expect(cache.remember('n1', 2000, 1000)).toBe(true);
  });

  it('refuses new nonces when full of live ones instead of forgetting one', () => {
    const cache = createReplayCache({ maxEntries: 2 });
    expect(cache.remember('a', 100, 0)).toBe(true);
    expect(cache.remember('b', 100, 0)).toBe(true);
    expect(cache.remember('c', 100, 0)).toBe(false);
    expect(cache.remember('a', 100, 50)).toBe(false);
    expect(cache.remember('c', 200, 100)).toBe(true);
  });

  it('never holds more than its cap and never accepts a live nonce twice (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(100)), { maxLength: 60 }),
        (events) => {
          const cache = createReplayCache({ maxEntries: 3 });
          const live = new Map<string, number>();
          let time = 0;
          for (const [nonce, step] of events) {
            time += step;
            const accepted = cache.remember(nonce, time + 50, time);
            if ((live.get(nonce) ?? -1) > time) expect(accepted).toBe(false);
            if (accepted) live.set(nonce, time + 50);
            expect(cache.size).toBeLessThanOrEqual(3);
          }
        },
      ),
    );
  });
});
