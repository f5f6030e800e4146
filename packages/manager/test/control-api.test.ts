import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { EMPTY_JOURNAL } from '@failover/core';
import { SimulatedClock, silentLogger } from '@failover/core/testing';
import { AUTH_HEADER, CONTROL_API_NODE, NODE_HEADER, signRequest, type SwitchoverLine } from '@failover/protocol';
import { fetchControlStatus, requestPause, requestResume, requestSwitchover } from '../src/control-client';
import { buildControlServer } from '../src/control-server';
import { ControlApiError } from '../src/errors';
import { createManagerMetrics, type ManagerMetrics } from '../src/metrics';
import { createMonitor, type Monitor } from '../src/monitor';
import { renderStatusTable } from '../src/status-view';
import { createMemoryJournal, type MemoryJournal } from './support/memory-journal';
import { createFakeWorld, SLOT_MS, STAKED, VOTE, type FakeWorld } from './support/fake-world';

const secret = new TextEncoder().encode('a-control-secret-of-enough-length');
let server: FastifyInstance | undefined;
let pump: NodeJS.Timeout | undefined;

afterEach(async () => {
  if (pump !== undefined) clearInterval(pump);
  pump = undefined;
  await server?.close();
  server = undefined;
});

async function start(
  dryRun = false,
  pumped = false,
  metrics?: ManagerMetrics,
  following?: () => string | null,
): Promise<{ world: FakeWorld; monitor: Monitor; port: number; journal: MemoryJournal }> {
  const clock = new SimulatedClock(Date.now());
  const world = createFakeWorld(clock);
  const journal = createMemoryJournal();
  const monitor = createMonitor({
    machine: { dryRun, startupGracePeriodMs: 0, stakedIdentityPubkey: STAKED },
    clock,
    agents: world.agents,
    rpc: world.rpc,
    gossip: undefined,
    voteAccountPubkey: VOTE,
    heartbeatIntervalMs: 1000,
    slotCheckIntervalMs: 1000,
    executor: { stakedIdentityPubkey: STAKED, pusher: undefined, pushTargets: undefined, pollMs: 50 },
    journal,
    restore: { term: 1, journal: EMPTY_JOURNAL },
    notify: (event) => metrics?.observeEvent(event),
    log: silentLogger,
    ...(metrics === undefined ? {} : { onObservation: (observation) => metrics.observeTick(observation) }),
  });
  metrics?.readStateFrom({
    snapshot: () => monitor.snapshot(),
    fence: () => ({ term: 7, deposed: null }),
    dryRun,
  });
  await monitor.tick();
  server = await buildControlServer({
    monitor,
    secret,
    clock,
    endpoints: { validator1: 'http://127.0.0.2:8080', validator2: 'http://127.0.0.3:8080' },
    dryRun,
    rpc: world.rpc,
    stakedIdentityPubkey: STAKED,
    defaultLeaderGapSlots: 0,
    ...(metrics === undefined ? {} : { metrics: metrics.registry }),
    ...(following === undefined ? {} : { following }),
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  // For switchovers, simulated time runs ~25x faster than real time so slot boundaries come
  // quickly; the other tests keep it still so signatures stay within the allowed skew.
  if (pumped) pump = setInterval(() => world.advance(SLOT_MS / 8), 2);
  return { world, monitor, port: (server.server.address() as AddressInfo).port, journal };
}

async function collect(lines: AsyncIterable<SwitchoverLine>): Promise<SwitchoverLine[]> {
  const all: SwitchoverLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe('the control API', () => {
  it('serves Prometheus metrics without a signature, from the monitor it commands', async () => {
    const { port } = await start(false, false, createManagerMetrics());
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    for (const line of [
      'failover_manager_term 7',
      'failover_manager_commanding 1',
      'failover_manager_state{state="monitoring"} 1',
      'failover_manager_node_active{node="validator1"} 1',
      'failover_manager_node_active{node="validator2"} 0',
      'failover_manager_node_reachable{node="validator2"} 1',
      'failover_manager_heartbeat_seconds_count{node="validator1"} 1',
    ])
      expect(body.split('\n')).toContain(line);
    // Only /metrics is open: the status still needs a signature.
    expect((await fetch(`http://127.0.0.1:${port}/v1/status`, { method: 'POST' })).status).toBe(401);
  });

  it('answers status with both nodes, which the CLI prints as a table', async () => {
    const { port } = await start();
    const status = await fetchControlStatus({ host: '127.0.0.1', port, secret });
    expect(status).toMatchObject({ dry_run: false, state: 'monitoring', active: 'validator1', hold: null });
    expect(status.nodes.map((n) => [n.node, n.role, n.identity, n.healthy])).toEqual([
      ['validator1', 'active', STAKED, true],
      ['validator2', 'passive', 'Unstakedvalidator2', true],
    ]);
    const table = renderStatusTable(status);
    expect(table).toMatch(/^NODE\s+ROLE\s+IDENTITY\s+SLOT\s+LAG\s+HEALTH\s+LAST TOWER BACKUP/);
    expect(table).toMatch(/validator1\s+active\s+Stake…1111/);
  });

  it.each([
    ['no signature', {}, 'application/json', 401, 'FAILOVER_AUTH_MISSING'],
    [
      'a signature made with another secret',
      { [AUTH_HEADER]: 'other' },
      'application/json',
      401,
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a form post',
      { [AUTH_HEADER]: 'valid' },
      'application/x-www-form-urlencoded',
      415,
      'FAILOVER_UNSUPPORTED_MEDIA_TYPE',
    ],
    ['plain text', { [AUTH_HEADER]: 'valid' }, 'text/plain', 415, 'FAILOVER_UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses a request with %s', async (_name, headers: Record<string, string>, type, status, code) => {
    const { port } = await start();
    const body = '{}';
    const sign = (key: Uint8Array): string =>
      signRequest({ secret: key, method: 'POST', path: '/v1/status', node: CONTROL_API_NODE, body, now: Date.now() });
    const auth: Record<string, string> =
      headers[AUTH_HEADER] === 'valid'
        ? { [AUTH_HEADER]: sign(secret) }
        : headers[AUTH_HEADER] === 'other'
          ? { [AUTH_HEADER]: sign(new TextEncoder().encode('another-secret-entirely-000')) }
          : {};
    const response = await fetch(`http://127.0.0.1:${port}/v1/status`, {
      method: 'POST',
      headers: { 'content-type': type, [NODE_HEADER]: CONTROL_API_NODE, ...auth },
      body,
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: { code } });
  });

  it.each([
    ['a body that is not JSON', '/v1/status', '{"a":', 400, 'FAILOVER_BAD_REQUEST', /^body:1:6: invalid JSON/],
    ['an unknown path', '/v1/nope', '{}', 404, 'FAILOVER_NOT_FOUND', /^no endpoint POST \/v1\/nope$/],
  ])('answers %s in the error envelope', async (_name, path, body, status, code, message) => {
    const { port } = await start();
    const auth = signRequest({ secret, method: 'POST', path, node: CONTROL_API_NODE, body, now: Date.now() });
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [NODE_HEADER]: CONTROL_API_NODE, [AUTH_HEADER]: auth },
      body,
    });
    expect(response.status).toBe(status);
    const envelope = (await response.json()) as { error: { code: string; message: string } };
    expect(envelope.error.code).toBe(code);
    expect(envelope.error.message).toMatch(message);
  });

  it('tells the CLI when the manager is not running', async () => {
    const { port } = await start();
    await server?.close();
    server = undefined;
    await expect(fetchControlStatus({ host: '127.0.0.1', port, secret })).rejects.toThrow(ControlApiError);
  });

  it('runs a planned switchover from a slot boundary and streams every step with its time', async () => {
    const { world, port } = await start(false, true);
    const lines = await collect(requestSwitchover({ host: '127.0.0.1', port, secret }, { reason: 'kernel upgrade' }));
    const kinds = lines.map((l) => l.type);
    expect(kinds.slice(0, 3)).toEqual(['waiting', 'window', 'accepted']);
    expect(lines.at(-1)).toMatchObject({ type: 'done', outcome: 'completed' });
    const window = lines[1] as Extract<SwitchoverLine, { type: 'window' }>;
    expect(lines[2]).toMatchObject({ type: 'accepted', from: 'validator1', to: 'validator2' });
    expect(lines.filter((l) => l.type === 'step-finished').map((l) => (l as { step: string }).step)).toEqual([
      'check promote validator2',
      'demote validator1',
      'verify demotion validator1',
      'final tower backup validator1',
      'promote validator2 (via agent)',
      'verify voting validator2',
    ]);
    // The demotion was sent in the slot the window opened at.
    expect(Math.floor(world.nodes.validator1.calls[0]!.at / SLOT_MS)).toBe(window.slot);
    expect(world.nodes.validator2.active).toBe(true);
  });

  it('refuses a switchover in dry run without touching any agent', async () => {
    const { world, port } = await start(true, true);
    const lines = await collect(requestSwitchover({ host: '127.0.0.1', port, secret }, { reason: 'test' }));
    expect(lines.at(-1)).toMatchObject({ type: 'refused', refusal: 'dry-run' });
    expect(world.nodes.validator1.calls).toEqual([]);
    expect(world.nodes.validator2.calls).toEqual([]);
  });

  it('pauses and resumes: journaled, shown in status and the metrics, and a switchover must name its node meanwhile', async () => {
    const metrics = createManagerMetrics();
    const { port, journal, world } = await start(false, true, metrics);
    const target = { host: '127.0.0.1', port, secret };
    const paused = await requestPause(target, { reason: 'kernel upgrade', for_ms: 3_600_000 });
    expect(paused).toMatchObject({ outcome: 'paused', pause: { reason: 'kernel upgrade', term: 1 }, replaced: null });
    if (paused.outcome !== 'paused') throw new Error('not paused');
    expect(paused.pause.until).toBe(paused.pause.since + 3_600_000);
    expect(journal.state.pause).toMatchObject({ reason: 'kernel upgrade' });

    const status = await fetchControlStatus(target);
    expect(status.paused).toEqual(paused.pause);
    expect(renderStatusTable(status)).toMatch(/^PAUSED: kernel upgrade \(since .*, until .*\); no automatic failover/m);
    const scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(scraped.split('\n')).toContain('failover_manager_paused 1');

    const refused = await collect(requestSwitchover(target, { reason: 'habit' }));
    expect(refused.at(-1)).toMatchObject({ type: 'refused', refusal: 'paused-needs-to' });
    expect(world.nodes.validator1.calls).toEqual([]);

    expect(await requestResume(target, { reason: 'done' })).toMatchObject({
      outcome: 'resumed',
      ended: { reason: 'kernel upgrade' },
    });
    expect(journal.state.pause).toBeNull();
    expect((await fetchControlStatus(target)).paused).toBeNull();
    expect(await requestResume(target, {})).toEqual({
      outcome: 'refused',
      refusal: 'not-paused',
      detail: 'the manager is not paused',
    });
  });

  it('refuses a pause it cannot journal, and a follower refuses pause and resume as not the leader', async () => {
    const { port, journal, monitor } = await start();
    journal.failWith = 'EROFS: read-only file system';
    const refused = await requestPause({ host: '127.0.0.1', port, secret }, { reason: 'upgrade' });
    expect(refused).toMatchObject({ outcome: 'refused', refusal: 'journal-unwritable' });
    expect(refused.outcome === 'refused' ? refused.detail : '').toContain('EROFS');
    expect(journal.state.pause).toBeNull();
    await monitor.idle();
    await server?.close();

    const follower = await start(false, false, undefined, () => 'this manager follows; the leader is m2');
    const target = { host: '127.0.0.1', port: follower.port, secret };
    for (const answer of [await requestPause(target, { reason: 'upgrade' }), await requestResume(target, {})])
      expect(answer).toEqual({
        outcome: 'refused',
        refusal: 'not-leader',
        detail: 'this manager follows; the leader is m2; ask the leader',
      });
    expect(follower.journal.state.pause).toBeNull();
  });

  it('refuses a pause without a reason or with a duration under a second, naming the field', async () => {
    const { port } = await start();
    const target = { host: '127.0.0.1', port, secret };
    await expect(requestPause(target, { reason: '' })).rejects.toThrow(/reason/);
    await expect(requestPause(target, { reason: 'x', for_ms: 10 })).rejects.toThrow(/for_ms/);
  });
});
