import { AGENT_BODY_LIMIT, AUTH_HEADER, CARRIED_FILE_MAX_BYTES, NODE_HEADER, signRequest } from '@failover/protocol';
import { waitFor } from '@failover/testkit';
import {
  gate,
  NODE,
  now,
  RPC,
  SAMPLE_DEADLINE_MS,
  SECRET,
  STAKED,
  startHarness,
  TERM,
  type Harness,
} from './support/app-harness';
import { AGENT_VERSION } from '../src/version';
import { createLogger } from '@failover/notifier';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import path from 'node:path';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const become = (action: 'become_active' | 'become_passive', extra: Record<string, unknown> = {}) => ({
  action,
  reason: 'test',
  timestamp: now(),
  ...TERM,
  ...extra,
});

describe('authentication', () => {
  it('answers GET /health without authentication', async () => {
    h = await startHarness();
    const res = await h.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', agent_version: AGENT_VERSION });
  });

  it('answers the role checks without authentication: /active only on a holder, /passive only on a settled passive', async () => {
    h = await startHarness({ initialRole: 'passive' });
    const codes = async (): Promise<[number, number]> => {
      const [active, passive] = await Promise.all(
        ['/active', '/passive'].map((url) => h!.app.inject({ method: 'GET', url })),
      );
      return [active!.statusCode, passive!.statusCode];
    };
    expect(await codes()).toEqual([503, 200]);
    expect((await h.app.inject({ method: 'GET', url: '/passive' })).json()).toEqual({
      role_check: 'passive',
      ok: true,
    });
    await h.signed('POST', '/failover', become('become_active'));
    expect(await codes()).toEqual([200, 503]);
    expect((await h.app.inject({ method: 'GET', url: '/passive' })).json()).toEqual({
      role_check: 'passive',
      ok: false,
    });
  });

  it('serves Prometheus metrics without authentication, read from the same sources as /status', async () => {
    h = await startHarness({ initialRole: 'passive' });
    const scrape = async (): Promise<Map<string, number>> => {
      const res = await h!.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = new Map<string, number>();
      for (const line of res.body.split('\n')) {
        const match = /^(failover_agent_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
        if (match) samples.set(match[1]!, Number(match[2]));
      }
      return samples;
    };
    // A probe that is overdue (a loaded host) reads as "slot unknown": wait for a fresh one.
    await waitFor(async () => (await scrape()).get('failover_agent_validator_slot') === 1234, {
      description: 'a fresh probe to reach the metrics',
    });
    const before = await scrape();
    expect(before.get(`failover_agent_build_info{version="${AGENT_VERSION}"}`)).toBe(1);
    expect(before.get('failover_agent_role{role="passive"}')).toBe(1);
    expect(before.get('failover_agent_role{role="active"}')).toBe(0);
    expect(before.get('failover_agent_holds_identity')).toBe(0);
    expect(before.get('failover_agent_highest_term')).toBe(0);
    expect(before.get('failover_agent_tower_backup_timestamp_seconds')).toBe(0);

    await h.signed('POST', '/failover', become('become_active'));
    h.rpc.slot = { ok: true, value: 1300, endpoint: RPC };
    await h.signed('GET', '/status');
    await waitFor(async () => (await scrape()).get('failover_agent_validator_slot') === 1300, {
      description: 'the next probe to reach the metrics',
    });
    const after = await scrape();
    expect(after.get('failover_agent_role{role="active"}')).toBe(1);
    expect(after.get('failover_agent_role{role="passive"}')).toBe(0);
    expect(after.get('failover_agent_holds_identity')).toBe(1);
    expect(after.get('failover_agent_highest_term')).toBe(TERM.term);
  });

  const refusals: Array<[string, (body: string) => Record<string, string>, string]> = [
    ['no header', () => ({}), 'FAILOVER_AUTH_MISSING'],
    ['a malformed header', () => ({ [AUTH_HEADER]: 'Bearer abc' }), 'FAILOVER_AUTH_MALFORMED'],
    [
      'a signature made with another secret',
      (body) => ({
        [AUTH_HEADER]: signRequest({
          secret: Buffer.from('another-secret-of-enough-length'),
          method: 'POST',
          path: '/failover',
          node: NODE,
          body,
          now: Date.now(),
        }),
      }),
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a signature over another path',
      (body) => ({
        [AUTH_HEADER]: signRequest({
          secret: SECRET,
          method: 'POST',
          path: '/status',
          node: NODE,
          body,
          now: Date.now(),
        }),
        [NODE_HEADER]: NODE,
      }),
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a timestamp outside the skew window',
      (body) => ({
        [AUTH_HEADER]: signRequest({
          secret: SECRET,
          method: 'POST',
          path: '/failover',
          node: NODE,
          body,
          now: Date.now() - 120_000,
        }),
      }),
      'FAILOVER_AUTH_SKEW',
    ],
  ];
  it.each(refusals)('refuses a request with %s, before looking at its body', async (_case, headers, code) => {
    h = await startHarness();
    const body = JSON.stringify(become('become_active'));
    const res = await h.app.inject({
      method: 'POST',
      url: '/failover',
      payload: body,
      headers: { 'content-type': 'application/json', [NODE_HEADER]: NODE, ...headers(body) },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code } });
    expect(h.steps).toEqual([]);
    expect(h.role.role()).toBe('passive');
  });

  it('answers /watch only to a signed request for this node, and refuses a wait_ms over the limit', async () => {
    h = await startHarness();
    const body = { timestamp: Math.floor(Date.now() / 1000), process_running: true, wait_ms: 60_001 };
    const unsigned = await h.app.inject({
      method: 'POST',
      url: '/watch',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', [NODE_HEADER]: NODE },
    });
    expect(unsigned.statusCode).toBe(401);
    const tooLong = await h.signed('POST', '/watch', body);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: { code: 'FAILOVER_BAD_REQUEST' } });
    // Its validator runs, so a manager that believes it stopped is answered at once.
    const answered = await h.signed('POST', '/watch', { ...body, process_running: false, wait_ms: 0 });
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ process_running: true });
  });

  it('refuses a replayed request', async () => {
    h = await startHarness();
    const payload = JSON.stringify({ timestamp: now() });
    const headers = {
      'content-type': 'application/json',
      [NODE_HEADER]: NODE,
      [AUTH_HEADER]: signRequest({
        secret: SECRET,
        method: 'POST',
        path: '/status',
        node: NODE,
        body: payload,
        now: Date.now(),
      }),
    };
    expect((await h.app.inject({ method: 'POST', url: '/status', payload, headers })).statusCode).toBe(200);
    const replay = await h.app.inject({ method: 'POST', url: '/status', payload, headers });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_REPLAYED' } });
  });

  it('refuses a client outside allowed_ips even with a valid signature', async () => {
    h = await startHarness({ allowedIps: ['10.9.9.9'] });
    const res = await h.signed('POST', '/status', { timestamp: now() });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_IP_NOT_ALLOWED', message: 'client 127.0.0.1 is not in allowed_ips' },
    });
    const allowed = await startHarness({ allowedIps: ['::ffff:127.0.0.1'] });
    try {
      expect((await allowed.signed('POST', '/status', { timestamp: now() })).statusCode).toBe(200);
    } finally {
      await allowed.close();
    }
  });

  it('counts only authenticated manager requests as heartbeats', async () => {
    h = await startHarness();
    await h.app.inject({ method: 'POST', url: '/status', payload: { timestamp: now() } });
    expect(h.role.lastHeartbeatAt()).toBeNull();
    await h.signed('POST', '/status', { timestamp: now() });
    expect(h.role.lastHeartbeatAt()).not.toBeNull();
  });

  it('serves without a signature when insecure_no_auth is set, still only for its own node', async () => {
    h = await startHarness({ auth: { mode: 'insecure' }, initialRole: 'active' });
    const res = await h.app.inject({
      method: 'POST',
      url: '/status',
      payload: { timestamp: now() },
      headers: { [NODE_HEADER]: NODE },
    });
    expect(res.statusCode).toBe(200);
    for (const headers of [{ [NODE_HEADER]: 'the-other-node' }, {}]) {
      const refused = await h.app.inject({
        method: 'POST',
        url: '/failover',
        payload: become('become_passive'),
        headers,
      });
      expect(refused.statusCode).toBe(412);
      expect(refused.json()).toMatchObject({ error: { code: 'FAILOVER_WRONG_NODE' } });
    }
    expect(h.role.role()).toBe('active');
  });
});

describe('node names and terms', () => {
  it('refuses 412 a request signed for another node, and changes nothing', async () => {
    h = await startHarness({ initialRole: 'active' });
    const payload = JSON.stringify(become('become_passive'));
    const res = await h.app.inject({
      method: 'POST',
      url: '/failover',
      payload,
      headers: {
        'content-type': 'application/json',
        [NODE_HEADER]: 'the-other-node',
        [AUTH_HEADER]: signRequest({
          secret: SECRET,
          method: 'POST',
          path: '/failover',
          node: 'the-other-node',
          body: payload,
          now: Date.now(),
        }),
      },
    });
    expect(res.statusCode).toBe(412);
    expect(res.json()).toMatchObject({
      error: { code: 'FAILOVER_WRONG_NODE', details: { node_name: NODE, requested_node: 'the-other-node' } },
    });
    expect(h.steps).toEqual([]);
    expect(h.role.role()).toBe('active');
  });

  it.each([
    ['/failover', become('become_passive', { term: undefined, sender: undefined })],
    ['/shutdown', { reason: 'maintenance', timestamp: now() }],
  ])('refuses %s without a term 400, and changes nothing', async (url, body) => {
    h = await startHarness({ initialRole: 'active' });
    const res = await h.signed('POST', url, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'FAILOVER_BAD_REQUEST', message: /term/ } });
    expect(h.steps).toEqual([]);
    expect(h.exits).toEqual([]);
  });

  it('refuses 409 FAILOVER_STALE_TERM a term below the highest obeyed, and changes nothing', async () => {
    h = await startHarness({ initialRole: 'active' });
    expect((await h.signed('POST', '/failover', become('become_active'))).json()).toMatchObject({ success: true });
    const res = await h.signed('POST', '/failover', become('become_passive', { term: TERM.term - 1 }));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: {
        code: 'FAILOVER_STALE_TERM',
        details: {
          term: TERM.term - 1,
          sender: TERM.sender,
          highest_term: TERM.term,
          highest_term_sender: TERM.sender,
        },
      },
    });
    expect(h.steps).toEqual([]);
    expect(h.role.role()).toBe('active');
  });

  it('refuses the same term from a second sender, and obeys a higher one', async () => {
    h = await startHarness({ initialRole: 'active' });
    await h.signed('POST', '/failover', become('become_active'));
    const second = await h.signed(
      'POST',
      '/failover',
      become('become_passive', { sender: 'manager-ffffffffffffffff' }),
    );
    expect(second.json()).toMatchObject({ error: { code: 'FAILOVER_STALE_TERM' } });
    const higher = await h.signed('POST', '/shutdown', {
      reason: 'new leader',
      timestamp: now(),
      term: TERM.term + 1,
      sender: 'manager-ffffffffffffffff',
    });
    expect(higher.json()).toMatchObject({ success: true });
    expect(h.fence.highest()).toEqual({ term: TERM.term + 1, sender: 'manager-ffffffffffffffff' });
  });

  // Regression: a new leader's term reached an agent only with its first command there, so a
  // deposed leader's command sent before that (or delivered late) was still obeyed by it.
  it('takes a higher term from a signed heartbeat: the lower term is refused before the new one commands', async () => {
    h = await startHarness({ initialRole: 'active' });
    const newLeader = { term: TERM.term + 4, sender: 'manager-ffffffffffffffff' };
    await h.signed('POST', '/status', { timestamp: now(), ...newLeader });
    expect(h.fence.highest()).toEqual(newLeader);
    const late = await h.signed('POST', '/failover', become('become_passive'));
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({
      error: { code: 'FAILOVER_STALE_TERM', details: { highest_term: newLeader.term } },
    });
    expect(h.steps).toEqual([]);
    // A lower heartbeat lowers nothing, and the new leader's own command is obeyed.
    await h.signed('POST', '/status', { timestamp: now(), ...TERM });
    expect(h.fence.highest()).toEqual(newLeader);
    expect((await h.signed('POST', '/failover', become('become_passive', newLeader))).json()).toMatchObject({
      success: true,
    });
  });

  it('reports its node name, the highest term and every recent sender in /status', async () => {
    h = await startHarness({ initialRole: 'active' });
    const before = await h.signed('GET', '/status');
    expect(before.json()).toMatchObject({ node_name: NODE, recent_senders: [] });
    expect(before.json()).not.toHaveProperty('highest_term');
    await h.signed('POST', '/failover', become('become_active'));
    await h.signed('POST', '/status', { timestamp: now(), term: 3, sender: 'manager-ffffffffffffffff' });
    const after = (await h.signed('GET', '/status')).json();
    expect(after).toMatchObject({ node_name: NODE, highest_term: TERM.term, highest_term_sender: TERM.sender });
    expect(after.recent_senders).toEqual([
      { sender: TERM.sender, term: TERM.term, last_seen: expect.any(Number) },
      { sender: 'manager-ffffffffffffffff', term: 3, last_seen: expect.any(Number) },
    ]);
  });
});

describe('a promotion carrying the final tower', () => {
  it('is taken with a tower and a vote history of the largest size a promotion may carry', async () => {
    h = await startHarness({ initialRole: 'passive' });
    const largest = Buffer.alloc(CARRIED_FILE_MAX_BYTES, 7).toString('base64');
    const res = await h.signed(
      'POST',
      '/failover',
      become('become_active', { carried_tower: { tower: largest, vote_history: largest, from: 'validator1' } }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true });
  });
});

describe('malformed requests', () => {
  const bad: Array<[string, string, number, string, RegExp]> = [
    [
      'a body that is not JSON',
      '{"action": "become_active",',
      400,
      'FAILOVER_BAD_REQUEST',
      /^body:1:\d+: invalid JSON/,
    ],
    [
      'a missing field',
      JSON.stringify({ action: 'become_active', timestamp: 1 }),
      400,
      'FAILOVER_BAD_REQUEST',
      /required property 'reason'/,
    ],
    [
      'a wrong type',
      JSON.stringify({ action: 'become_active', reason: 'x', timestamp: '1700000000', ...TERM }),
      400,
      'FAILOVER_BAD_REQUEST',
      /timestamp must be integer/,
    ],
    [
      'an unknown action',
      JSON.stringify({ action: 'become_leader', reason: 'x', timestamp: 1, ...TERM }),
      400,
      'FAILOVER_BAD_REQUEST',
      /action/,
    ],
    [
      'an oversize body',
      JSON.stringify({ action: 'become_active', reason: 'x'.repeat(AGENT_BODY_LIMIT), timestamp: 1 }),
      413,
      'FAILOVER_PAYLOAD_TOO_LARGE',
      new RegExp(`exceeds ${AGENT_BODY_LIMIT} bytes`),
    ],
    [
      'a carried tower larger than a promotion may carry',
      JSON.stringify(
        become('become_active', {
          carried_tower: { tower: 'A'.repeat(4 * Math.ceil(CARRIED_FILE_MAX_BYTES / 3) + 4), from: 'validator1' },
        }),
      ),
      400,
      'FAILOVER_BAD_REQUEST',
      /carried_tower\/tower must NOT have more than/,
    ],
    [
      'a carried tower that is not base64',
      JSON.stringify(become('become_active', { carried_tower: { tower: 'not base64!', from: 'validator1' } })),
      400,
      'FAILOVER_BAD_REQUEST',
      /carried_tower\/tower must match pattern/,
    ],
  ];
  it.each(bad)(
    'answers %s with the schema error, and changes nothing',
    async (_case, payload, status, code, message) => {
      h = await startHarness();
      const headers = {
        'content-type': 'application/json',
        [AUTH_HEADER]: signRequest({
          secret: SECRET,
          method: 'POST',
          path: '/failover',
          node: NODE,
          body: payload,
          now: Date.now(),
        }),
        [NODE_HEADER]: NODE,
      };
      const res = await h.app.inject({ method: 'POST', url: '/failover', payload, headers });
      expect(res.statusCode).toBe(status);
      const body = res.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(message);
      expect(h.steps).toEqual([]);
    },
  );

  it('answers an unknown path 404 and a wrong method 405, in the error envelope', async () => {
    h = await startHarness();
    const missing = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'FAILOVER_NOT_FOUND' } });
    const wrong = await h.app.inject({ method: 'DELETE', url: '/failover' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.json()).toMatchObject({ error: { code: 'FAILOVER_METHOD_NOT_ALLOWED' } });
  });
});

describe('/status', () => {
  it("reports the validator's state with the Go tool's fields", async () => {
    h = await startHarness({ initialRole: 'active' });
    const res = await h.signed('POST', '/status', { timestamp: now() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      process_running: true,
      process_uptime: 600,
      process_healthy: true,
      validator_slot: 1234,
      is_healthy: true,
      is_active: true,
      last_tower_backup: 0,
      identity_pubkey: STAKED,
      role: 'active',
      agent_version: AGENT_VERSION,
      dry_run: false,
    });
  });

  // Regression (F2): /status waited up to 2 s on a frozen validator's RPC, longer than the manager's request_timeout, so a live agent looked unreachable.
  it("answers while the validator's RPC never answers, and calls it unhealthy once the probe is overdue", async () => {
    h = await startHarness({ sampleDeadlineMs: SAMPLE_DEADLINE_MS });
    h.rpc.hang = true;
    const harness = h;
    await waitFor(() => harness.hungCalls() > 0, { description: 'a probe to wait on the hung RPC' });
    // Answered while the RPC's calls are still unanswered: /status never waits on them.
    const first = await h.signed('GET', '/status');
    expect(h.hungCalls()).toBeGreaterThan(0);
    expect(first.json()).toMatchObject({ probe_age_ms: expect.any(Number) });
    const overdue = async (): Promise<boolean> => !(await harness.signed('GET', '/status')).json().is_healthy;
    await waitFor(overdue, { description: 'the probe to be overdue', timeoutMs: 5_000, intervalMs: 50 });
    const res = await h.signed('GET', '/status');
    expect(h.hungCalls()).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({
      is_healthy: false,
      validator_slot: 0,
      process_running: true,
      error: expect.stringMatching(/local RPC did not answer within \d+ ms/),
    });
    expect(res.json().probe_age_ms).toBeGreaterThan(SAMPLE_DEADLINE_MS);
  });

  // Regression: one unhealthy reading was reported until the next probe, 400 ms later, and a
  // manager polling faster counted it as that many misses: at 100 ms heartbeats the instant of
  // Alpenglow's switch (getHealth unhealthy until the validator has seen a finalization) failed
  // over a healthy active.
  it('confirms an unhealthy reading with a fresh probe before it reports it', async () => {
    const unhealthy = {
      ok: false,
      reason: 'rpc_error',
      code: -32005,
      message: `getHealth on ${RPC}: Node is unhealthy`,
      endpoint: RPC,
    } as const;
    // One probe at the start, the next a minute later: only a fresh probe can change the answer.
    h = await startHarness({ health: unhealthy, sampleIntervalMs: 60_000 });
    expect((await h.signed('GET', '/status')).json()).toMatchObject({
      is_healthy: false,
      error: expect.stringContaining('Node is unhealthy'),
    });
    h.rpc.health = { ok: true, value: true, endpoint: RPC };
    expect((await h.signed('GET', '/status')).json()).toMatchObject({ is_healthy: true });
  });

  it('says dry_run: true in every answer in dry-run, also as a header', async () => {
    h = await startHarness({ dryRun: true });
    const status = await h.signed('POST', '/status', { timestamp: now() });
    expect(status.json()).toMatchObject({ dry_run: true });
    const failover = await h.signed('POST', '/failover', become('become_active'));
    expect(failover.json()).toMatchObject({ success: true, dry_run: true });
    for (const res of [status, failover, await h.app.inject({ method: 'GET', url: '/health' })])
      expect(res.headers['x-failover-dry-run']).toBe('true');
  });
});

describe('/failover', () => {
  it('runs become_active through the role machine and reports the new role', async () => {
    h = await startHarness();
    const res = await h.signed('POST', '/failover', become('become_active'));
    expect(res.json()).toMatchObject({ success: true, message: 'now active', dry_run: false });
    expect(h.steps).toEqual(['restore-tower', 'set-identity', 'active-symlink', 'confirm-identity']);
    expect(h.role.role()).toBe('active');
  });

  it('with skip_identity only restores the tower', async () => {
    h = await startHarness();
    await h.signed('POST', '/failover', become('become_active', { skip_identity: true }));
    expect(h.steps).toEqual(['restore-tower']);
  });

  it('answers a repeated request as already done, without running anything', async () => {
    h = await startHarness({ initialRole: 'active' });
    const res = await h.signed('POST', '/failover', become('become_active'));
    expect(res.json()).toMatchObject({ success: true, message: 'already active' });
    expect(h.steps).toEqual([]);
  });

  it('answers a concurrent request 409 while a role change runs', async () => {
    h = await startHarness({ initialRole: 'active' });
    h.stepGate = gate();
    const first = h.signed('POST', '/failover', become('become_passive'));
    await waitFor(() => h?.role.role() === 'deactivating', { description: 'the first request to start the demotion' });
    const second = await h.signed('POST', '/failover', become('become_active'));
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: 'FAILOVER_BUSY' } });
    h.stepGate.open();
    expect((await first).json()).toMatchObject({ success: true, message: 'now passive' });
    expect(h.role.role()).toBe('passive');
  });

  // The manager reads /status right after the answer: it must show the switched identity.
  describe.each([
    ['confirm through a sample of their own', true, 1],
    ['confirm without the sampler', false, 1],
  ])('when the steps %s', (_how, confirmBySample, samplesAfterConfirm) => {
    it('answers a demotion with a sample taken after the switch, and takes no second one', async () => {
      const unstaked = 'Unstaked111111111111111111111111111111111111';
      h = await startHarness({
        initialRole: 'active',
        confirmBySample,
        switches: { 'remove-identity': unstaked },
        // No loop sample during the request: only the change's and the answer's own.
        sampleIntervalMs: 60_000,
      });
      const before = h.identityCalls();
      const res = await h.signed('POST', '/failover', become('become_passive'));
      expect(res.json()).toMatchObject({ success: true, message: 'now passive' });
      expect(h.identityCalls() - before).toBe(samplesAfterConfirm);
      expect((await h.signed('GET', '/status')).json()).toMatchObject({
        identity_pubkey: unstaked,
      });
    });
  });

  it('takes a fresh sample before answering a change that ran no step, however recent the latest', async () => {
    h = await startHarness({ initialRole: 'active', confirmBySample: true, sampleIntervalMs: 60_000 });
    const before = h.identityCalls();
    expect((await h.signed('POST', '/failover', become('become_active'))).json()).toMatchObject({
      message: 'already active',
    });
    expect(h.identityCalls() - before).toBe(1);
  });

  it('reports a failed step and does not claim the new role', async () => {
    h = await startHarness({ failStep: 'restore-tower' });
    const res = await h.signed('POST', '/failover', become('become_active'));
    expect(res.json()).toMatchObject({ success: false, message: expect.stringContaining('restore-tower broke') });
    expect(h.role.role()).toBe('passive');
  });
});

describe('the request log', () => {
  it('logs the polled routes only when it refuses them, and every role change', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = createLogger({ format: 'json', level: 'info', stream });
    h = await startHarness({ initialRole: 'active', logger });
    await h.signed('GET', '/status');
    await h.signed('POST', '/status', { timestamp: now() });
    await h.signed('POST', '/peer-status', { from_validator: ':8080', timestamp: now() });
    await h.signed('POST', '/watch', { timestamp: now(), process_running: false, wait_ms: 1 });
    await h.app.inject({ method: 'GET', url: '/health' });
    await h.app.inject({ method: 'GET', url: '/active' });
    await h.app.inject({ method: 'GET', url: '/metrics' });
    expect((await h.app.inject({ method: 'GET', url: '/status' })).statusCode).toBe(401);
    await h.signed('POST', '/failover', become('become_passive'));
    await logger.close();
    const records = chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: string; msg: string; req?: { url: string }; path?: string });
    const requests = records.filter((r) => r.msg === 'incoming request').map((r) => r.req?.url);
    expect(requests).toEqual(['/failover']);
    expect(records).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'refused an unauthenticated request', path: '/status' }),
    );
  });
});

describe('/peer-status and /identity', () => {
  it('tells the peer whether this node is active', async () => {
    h = await startHarness({ initialRole: 'active' });
    const res = await h.signed('POST', '/peer-status', { from_validator: ':8080', timestamp: now() });
    expect(res.json()).toMatchObject({ is_alive: true, is_active: true, process_running: true });
  });

  it('reports the identity, or why it is unknown', async () => {
    h = await startHarness();
    expect((await h.signed('GET', '/identity')).json()).toMatchObject({ identity_pubkey: STAKED });
    h.rpc.identity = { ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC };
    expect((await h.signed('GET', '/identity')).json()).toMatchObject({ identity_pubkey: '', error: 'ECONNREFUSED' });
  });
});

describe('/shutdown', () => {
  it('answers first, then exits gracefully when no agent_stop_command is configured', async () => {
    h = await startHarness();
    const res = await h.signed('POST', '/shutdown', { reason: 'maintenance', timestamp: now(), ...TERM });
    expect(res.json()).toMatchObject({ success: true, message: 'stopping' });
    await waitFor(() => h?.exits.length === 1, { description: 'exit to be called' });
    expect(h.exits).toEqual(['shutdown requested: maintenance']);
  });

  it('runs agent_stop_command instead of exiting when configured', async () => {
    h = await startHarness({ stopCommand: true });
    await h.signed('POST', '/shutdown', { reason: 'maintenance', timestamp: now(), ...TERM });
    await waitFor(() => h?.stopCommands === 1, { description: 'the stop command to run' });
    expect(h.exits).toEqual([]);
  });
});

it('keeps AGENT_VERSION equal to the package version', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  expect(AGENT_VERSION).toBe(pkg.version);
});
