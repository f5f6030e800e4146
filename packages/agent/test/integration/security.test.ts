import { AGENT_BODY_LIMIT, AUTH_HEADER, NODE_HEADER, signRequest } from '@failover/protocol';
import { startCluster, type SimCluster } from '@failover/solana-sim';
import { tempDir, type TempDir } from '@failover/testkit';
import { SECRET, startAgents, type RunningAgent } from '../support/sim-agents';

jest.setTimeout(60_000);

let cluster: SimCluster | undefined;
let dir: TempDir | undefined;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  dir = tempDir('agent-security');
  cluster = await startCluster({ validators: [{ name: 'a', processName: 'sim-validat-a' }], slotMs: 50 });
  [agent] = await startAgents({ cluster, dir: dir.path });
  // The test client learns the agent's node name from its first signed answer.
  await agent!.client.status();
});

afterAll(async () => {
  await agent?.stop();
  await cluster?.stop();
  dir?.remove();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${agent!.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const signed = (path: string, body: string, now = Date.now()) => {
  const node = agent!.client.node() ?? '';
  return {
    [NODE_HEADER]: node,
    [AUTH_HEADER]: signRequest({ secret: Buffer.from(SECRET), method: 'POST', path, node, body, now }),
  };
};
const failoverBody = JSON.stringify({
  action: 'become_passive',
  reason: 'attack',
  timestamp: Math.floor(Date.now() / 1000),
  term: 1,
  sender: 'manager-attacker',
});

describe('a running agent on a real socket', () => {
  it.each([
    ['an unauthenticated request', () => post('/failover', failoverBody), 401, 'FAILOVER_AUTH_MISSING'],
    [
      'a request signed with another secret',
      () =>
        post('/failover', failoverBody, {
          [NODE_HEADER]: agent!.client.node() ?? '',
          [AUTH_HEADER]: signRequest({
            secret: Buffer.from('not-the-secret-0123456789'),
            method: 'POST',
            path: '/failover',
            node: agent!.client.node() ?? '',
            body: failoverBody,
            now: Date.now(),
          }),
        }),
      401,
      'FAILOVER_AUTH_BAD_SIGNATURE',
    ],
    [
      'a body that is not JSON',
      () => post('/failover', '{"action":', signed('/failover', '{"action":')),
      400,
      'FAILOVER_BAD_REQUEST',
    ],
    [
      'an oversize body',
      () => {
        const big = JSON.stringify({ action: 'become_passive', reason: 'x'.repeat(AGENT_BODY_LIMIT), timestamp: 1 });
        return post('/failover', big, signed('/failover', big));
      },
      413,
      'FAILOVER_PAYLOAD_TOO_LARGE',
    ],
  ])('refuses %s with a clear error and keeps the role', async (_case, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    await expect(agent!.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active' } });
  });

  it('refuses a replayed request', async () => {
    const body = JSON.stringify({ timestamp: Math.floor(Date.now() / 1000) });
    const headers = signed('/status', body);
    expect((await post('/status', body, headers)).status).toBe(200);
    const replay = await post('/status', body, headers);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('FAILOVER_AUTH_REPLAYED');
  });

  it('never writes the shared secret to its log', () => {
    expect(agent!.log()).not.toContain(SECRET);
  });
});
