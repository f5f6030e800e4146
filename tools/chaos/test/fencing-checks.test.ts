import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VoteRecord } from '@failover/solana-sim';
import { lowerTermsObeyed, termExchanges, timeToVoter, type TermExchange } from '../src/fencing-checks';
import { jsonBody, replay, startRecordingProxy, type Exchange, type RecordingProxy } from '../src/recording-proxy';
import { classNumbers } from '../src/report';
import type { TrialResult } from '../src/trial';

const exchange = (
  agent: string,
  term: number,
  sentMs: number,
  answeredMs: number,
  status: number,
  sender = `manager-${term}`,
): TermExchange => ({
  agent,
  sender,
  term,
  action: 'become_active',
  sentMs,
  answeredMs,
  status,
  code: status === 409 ? 'FAILOVER_STALE_TERM' : undefined,
});

describe('only the higher term is obeyed, as the wire shows it', () => {
  it.each<[string, TermExchange[], number]>([
    ['terms rising', [exchange('v1', 3, 0, 10, 200), exchange('v1', 4, 20, 30, 200)], 0],
    ['a lower term refused after a higher one', [exchange('v1', 4, 0, 10, 200), exchange('v1', 3, 20, 30, 409)], 0],
    ['a lower term obeyed after a higher one', [exchange('v1', 4, 0, 10, 200), exchange('v1', 3, 20, 30, 200)], 1],
    ['a lower term obeyed at the other agent', [exchange('v1', 4, 0, 10, 200), exchange('v2', 3, 20, 30, 200)], 0],
    [
      'a lower term in flight while the higher was answered',
      [exchange('v1', 4, 0, 25, 200), exchange('v1', 3, 20, 30, 200)],
      0,
    ],
    ['a higher term refused, then a lower obeyed', [exchange('v1', 4, 0, 10, 409), exchange('v1', 3, 20, 30, 200)], 0],
  ])('%s', (_name, exchanges, breaches) => {
    expect(lowerTermsObeyed(exchanges)).toHaveLength(breaches);
  });

  it('reads the term, sender and action of role changes only', () => {
    const raw = (path: string, body: unknown, sentMs: number): Exchange => ({
      agent: 'v2',
      method: 'POST',
      path,
      headers: {},
      body: Buffer.from(JSON.stringify(body)),
      sentMs,
      answeredMs: sentMs + 5,
      status: 200,
      code: undefined,
    });
    expect(
      termExchanges([
        raw('/failover', { action: 'become_passive', term: 2, sender: 'manager-b' }, 20),
        raw('/status', { term: 2, sender: 'manager-b' }, 5),
        raw('/failover', { action: 'become_active', term: 1, sender: 'manager-a' }, 10),
      ]),
    ).toEqual([
      expect.objectContaining({ agent: 'v2', term: 1, sender: 'manager-a', action: 'become_active', sentMs: 10 }),
      expect.objectContaining({ agent: 'v2', term: 2, sender: 'manager-b', action: 'become_passive', sentMs: 20 }),
    ]);
  });
});

describe('time to a voter', () => {
  const vote = (validator: string, tipSlot: number, timeMs: number): VoteRecord => ({
    identity: 'X',
    slot: tipSlot,
    tipSlot,
    validator,
    timeMs,
    landed: true,
  });
  const votes = [
    vote('v1', 1, 100),
    vote('v1', 2, 200),
    vote('v1', 3, 300),
    vote('v2', 30, 3000),
    vote('v2', 31, 3100),
  ];

  it('runs to the end of the gap that the fault reached into', () => {
    expect(timeToVoter(votes, { sinceMs: 1000, now: { slot: 31, timeMs: 3150 } })).toBe(2000);
  });

  it('is the next vote when voting never stopped', () => {
    expect(timeToVoter(votes, { sinceMs: 3050, now: { slot: 31, timeMs: 3150 } })).toBe(50);
  });

  it('is null when nobody votes at the end', () => {
    expect(timeToVoter(votes, { sinceMs: 3050, now: { slot: 60, timeMs: 6000 } })).toBeNull();
  });
});

describe('the recording proxy', () => {
  let agent: Server;
  let seen: Array<{ path: string; node: string | undefined; body: string }>;
  let recorder: RecordingProxy;

  beforeEach(async () => {
    seen = [];
    agent = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', node: req.headers['x-failover-node'] as string | undefined, body });
        const refused = seen.length > 1;
        res.writeHead(refused ? 401 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(refused ? { error: { code: 'FAILOVER_AUTH_REPLAYED', message: 'seen' }, timestamp: 0 } : {}),
        );
      });
    });
    await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
    recorder = await startRecordingProxy('v2');
    recorder.target = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await recorder.stop();
    await new Promise<void>((resolve) => agent.close(() => resolve()));
  });

  it('forwards a request unchanged, keeps it with the answer, and replays it byte for byte', async () => {
    const body = JSON.stringify({ action: 'become_active', term: 3, sender: 'manager-a' });
    const answer = await fetch(`${recorder.url}/failover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-failover-node': 'node-b' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(recorder.exchanges).toHaveLength(1);
    const captured = recorder.exchanges[0]!;
    expect(captured).toMatchObject({ agent: 'v2', method: 'POST', path: '/failover', status: 200, code: undefined });
    expect(jsonBody(captured)).toEqual({ action: 'become_active', term: 3, sender: 'manager-a' });

    expect(await replay(captured, recorder.target!)).toEqual({ status: 401, code: 'FAILOVER_AUTH_REPLAYED' });
    expect(seen).toEqual([
      { path: '/failover', node: 'node-b', body },
      { path: '/failover', node: 'node-b', body },
    ]);
  });

  it('holds back the request a hold accepts until it is released, and forwards the others meanwhile', async () => {
    const held = recorder.holdNext((e) => jsonBody(e)?.['action'] === 'become_active');
    const post = (action: string): Promise<Response> =>
      fetch(`${recorder.url}/failover`, { method: 'POST', body: JSON.stringify({ action, term: 3 }) });
    const late = post('become_active');
    const request = await held.arrived;
    expect(request).toMatchObject({ path: '/failover', answeredMs: undefined });
    expect((await post('become_passive')).status).toBe(200);
    expect(seen.map((s) => JSON.parse(s.body) as unknown)).toEqual([{ action: 'become_passive', term: 3 }]);

    held.release();
    expect((await late).status).toBe(401);
    expect(request).toMatchObject({ status: 401, code: 'FAILOVER_AUTH_REPLAYED' });
    expect(seen.map((s) => JSON.parse(s.body) as unknown)).toEqual([
      { action: 'become_passive', term: 3 },
      { action: 'become_active', term: 3 },
    ]);
    // A hold is for one request: the next one goes through.
    expect((await post('become_active')).status).toBe(401);
    expect(seen).toHaveLength(3);
  });

  it('holds nothing once released before a request came', async () => {
    recorder.holdNext(() => true).release();
    expect((await fetch(`${recorder.url}/failover`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(seen.map((s) => s.path)).toEqual(['/failover']);
  });
});

describe('the numbers of each class', () => {
  const trial = (
    cls: string,
    outcome: TrialResult['outcome'],
    timeToVoterMs: number | null,
    control = false,
  ): TrialResult => ({
    seed: 1,
    class: cls,
    control,
    schedule: [],
    injected: [],
    pass: control ? outcome === 'double-vote' : outcome === 'restored',
    outcome,
    gapSlots: 0,
    gapMs: 0,
    timeToVoterMs,
    failovers: 0,
    notes: [],
    durationMs: 0,
    logs: undefined,
  });

  it('counts trials, passes, violations and the time to a voter per class', () => {
    expect(
      classNumbers([
        trial('manager-frozen', 'restored', 3000),
        trial('manager-frozen', 'restored', 1000),
        trial('manager-frozen', 'double-vote', 2000),
        trial('replay-other-node', 'not-restored', null),
        trial('zombie-unguarded', 'double-vote', 9000, true),
      ]),
    ).toEqual([
      {
        class: 'manager-frozen',
        control: false,
        trials: 3,
        passed: 2,
        doubleVotes: 1,
        lockoutViolations: 0,
        voterMedianMs: 2000,
        voterMaxMs: 3000,
        noVoter: 0,
      },
      {
        class: 'replay-other-node',
        control: false,
        trials: 1,
        passed: 0,
        doubleVotes: 0,
        lockoutViolations: 0,
        voterMedianMs: null,
        voterMaxMs: null,
        noVoter: 1,
      },
      {
        class: 'zombie-unguarded',
        control: true,
        trials: 1,
        passed: 1,
        doubleVotes: 1,
        lockoutViolations: 0,
        voterMedianMs: 9000,
        voterMaxMs: 9000,
        noVoter: 0,
      },
    ]);
  });
});
