import { createAgentClient, NODE_HEADER, type AgentClientOptions } from '@failover/protocol';
import { SECRET, TEST_TERM, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-fencing');

/** One request as it went over the wire, to be sent again as an attacker on the path would. */
interface Captured {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A client of `agent`, as a manager at `term` would have one. */
const clientOf = (agent: RunningAgent, options: Partial<AgentClientOptions> = {}) =>
  createAgentClient({
    baseUrl: agent.url,
    secret: Buffer.from(SECRET),
    timeoutMs: 10_000,
    fence: () => TEST_TERM,
    ...options,
  });

/** A client of `agent` that keeps a copy of every request it sends. */
function capturingClient(agent: RunningAgent): { client: ReturnType<typeof createAgentClient>; sent: Captured[] } {
  const sent: Captured[] = [];
  const client = clientOf(agent, {
    fetch: async (url, init) => {
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      sent.push({
        path: new URL(String(url)).pathname,
        method: init?.method ?? 'GET',
        headers,
        body: String(init?.body),
      });
      return fetch(url, init);
    },
  });
  return { client, sent };
}

const replay = (agent: RunningAgent, request: Captured): Promise<Response> =>
  fetch(`${agent.url}${request.path}`, { method: request.method, headers: request.headers, body: request.body });

describe('a captured request', () => {
  // Regression: the MAC did not cover the node, so a request signed for one agent was obeyed by the other.
  it('signed for one node is refused by the other node, and changes nothing there', async () => {
    const [a, b] = (await bed.startAgents()) as [RunningAgent, RunningAgent];
    const toB = capturingClient(b);
    const demote = await toB.client.failover({ action: 'become_passive', reason: 'captured on its way to b' });
    expect(demote).toMatchObject({ ok: true, value: { success: true } });
    const captured = toB.sent.at(-1)!;

    const answer = await replay(a, captured);
    expect(answer.status).toBe(412);
    expect(await answer.json()).toMatchObject({ error: { code: 'FAILOVER_WRONG_NODE' } });
    await expect(a.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active' } });
    expect(await bed.cluster.validator('a').identity()).toBe(bed.cluster.stakedPubkey);
  });

  // Regression: the replay cache lived in memory only, so a restarted agent obeyed a request it had already obeyed.
  it('replayed to the same node after its restart is refused', async () => {
    const [a] = (await bed.startAgents()) as [RunningAgent, RunningAgent];
    const toA = capturingClient(a);
    const demote = await toA.client.failover({ action: 'become_passive', reason: 'captured on its way to a' });
    expect(demote).toMatchObject({ ok: true, value: { success: true } });
    const captured = toA.sent.at(-1)!;
    const restarted = await a.restart();

    const answer = await replay(restarted, captured);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: { code: 'FAILOVER_AUTH_REPLAYED' } });
  });
});

describe('terms', () => {
  const at = (term: number, sender: string = TEST_TERM.sender) => ({ fence: () => ({ term, sender }) });

  // Regression: /failover carried no term, so a late request of an earlier manager run was obeyed.
  it('refuses a lower term with 409 FAILOVER_STALE_TERM, before and after the agent restarts', async () => {
    const [a] = (await bed.startAgents()) as [RunningAgent, RunningAgent];
    const newer = clientOf(a, at(5));
    await expect(newer.failover({ action: 'become_passive', reason: 'term 5' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });
    const stale = {
      ok: false,
      error: {
        kind: 'rejected',
        status: 409,
        code: 'FAILOVER_STALE_TERM',
        details: { term: 4, highest_term: 5, highest_term_sender: TEST_TERM.sender },
      },
    };
    await expect(clientOf(a, at(4)).failover({ action: 'become_active', reason: 'term 4' })).resolves.toMatchObject(
      stale,
    );

    const restarted = await a.restart();
    await expect(
      clientOf(restarted, at(4)).failover({ action: 'become_active', reason: 'term 4, again' }),
    ).resolves.toMatchObject(stale);
    await expect(clientOf(restarted, at(4)).shutdown({ reason: 'term 4' })).resolves.toMatchObject(stale);
    await expect(restarted.client.status()).resolves.toMatchObject({
      ok: true,
      value: { role: 'passive', highest_term: 5, highest_term_sender: TEST_TERM.sender },
    });
    expect(await bed.cluster.validator('a').identity()).toBe(bed.cluster.validator('a').unstakedPubkey);
  });

  it('reports two senders within a minute in /status, and obeys only the higher term', async () => {
    const [a] = (await bed.startAgents()) as [RunningAgent, RunningAgent];
    const first = clientOf(a, at(3, 'manager-first'));
    const second = clientOf(a, at(2, 'manager-second'));
    await expect(first.status()).resolves.toMatchObject({ ok: true });
    await expect(second.status()).resolves.toMatchObject({ ok: true });
    await expect(first.failover({ action: 'become_passive', reason: 'term 3' })).resolves.toMatchObject({ ok: true });
    await expect(second.failover({ action: 'become_active', reason: 'term 2' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'FAILOVER_STALE_TERM' },
    });
    const status = await first.status();
    expect(status).toMatchObject({ ok: true, value: { highest_term: 3, highest_term_sender: 'manager-first' } });
    const senders = status.ok ? status.value.recent_senders : undefined;
    expect(senders?.map((s) => [s.sender, s.term]).sort()).toEqual([
      ['manager-first', 3],
      ['manager-second', 2],
    ]);
    expect(a.log()).toContain('only the highest term is obeyed');
  });
});

describe('answers', () => {
  it('are signed: a status changed on the way back is detected as forged', async () => {
    const [a] = (await bed.startAgents()) as [RunningAgent, RunningAgent];
    const tampered = clientOf(a, {
      fetch: async (url, init) => {
        const real = await fetch(url, init);
        const text = await real.text();
        const forged = text.replace('"process_running":true', '"process_running":false');
        return new Response(forged, { status: real.status, headers: real.headers });
      },
    });
    const answer = await tampered.status();
    expect(answer).toMatchObject({ ok: false, error: { kind: 'forged-response', status: 200 } });
    await expect(a.client.status()).resolves.toMatchObject({ ok: true, value: { process_running: true } });
  });
});

describe('insecure_no_auth', () => {
  it('still refuses a request for another node, and serves a client that names this one', async () => {
    const [a, b] = (await bed.startAgents({
      configure: ({ auth_secret_file: _secret, ...config }) => ({ ...config, insecure_no_auth: true }),
    })) as [RunningAgent, RunningAgent];
    const plain = (agent: RunningAgent) => clientOf(agent, { secret: undefined });
    const toB = plain(b);
    await expect(toB.status()).resolves.toMatchObject({ ok: true });
    const body = JSON.stringify({
      action: 'become_passive',
      reason: 'meant for b',
      timestamp: Math.floor(Date.now() / 1000),
      ...TEST_TERM,
    });
    const misdirected = await fetch(`${a.url}/failover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [NODE_HEADER]: toB.node() ?? '' },
      body,
    });
    expect(misdirected.status).toBe(412);
    expect(await misdirected.json()).toMatchObject({ error: { code: 'FAILOVER_WRONG_NODE' } });
    await expect(plain(a).status()).resolves.toMatchObject({ ok: true, value: { role: 'active' } });
  });
});
