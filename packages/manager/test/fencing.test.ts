import { createAgentClient, type AgentClient } from '@failover/protocol';
import { readFileSync } from 'node:fs';
import { fetchControlStatus } from '../src/control-client';
import { renderStatusTable } from '../src/status-view';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** One request as it left a client, held back instead of delivered, as a delayed packet would be. */
interface Held {
  readonly url: string;
  readonly init: RequestInit;
}

/** A client of `url` stamping `term`, that delivers its requests until `hold` is set, then only keeps them. */
function holdingClient(
  r: Rig,
  url: string,
  term: { term: number; sender: string },
): { client: AgentClient; held: Held[]; hold: () => void } {
  const held: Held[] = [];
  let holding = false;
  const client = createAgentClient({
    baseUrl: url,
    secret: Buffer.from(readFileSync(r.secretPath, 'utf8').trim()),
    timeoutMs: 5_000,
    fence: () => term,
    fetch: async (input, init) => {
      if (!holding) return fetch(input, init);
      held.push({ url: String(input), init: init ?? {} });
      throw Object.assign(new Error('held back'), { code: 'ETIMEDOUT' });
    },
  });
  return { client, held, hold: () => (holding = true) };
}

describe('manager terms against real agents', () => {
  // Regression: a request of an earlier manager run, delivered late, was obeyed after a newer run had acted.
  it("takes a higher term at each start, and an old run's late request is refused by the agent", async () => {
    rig = await startRig();
    const r = rig;
    const [v1, v2] = r.cluster.validators;
    const first = await r.startManager();
    const firstTerm = first.fence.claim();
    // What the first run sent toward validator1 and the network kept: a become_active signed for it.
    const old = holdingClient(r, r.agents[0].url, firstTerm);
    await expect(old.client.status()).resolves.toMatchObject({ ok: true });
    old.hold();
    await old.client.failover({ action: 'become_active', reason: 'the first run, late' });
    expect(old.held).toHaveLength(1);
    await first.stop('restart');

    const second = await r.startManager();
    expect(second.fence.claim()).toEqual({ term: firstTerm.term + 1, sender: firstTerm.sender });
    await r.cluster.waitFor(
      'the second run to see validator1 active',
      // The journal names the holder at once; the switchover needs a heartbeat's observation too.
      async () => {
        const { state, observation } = second.monitor.snapshot();
        return (state.active === 'validator1' && observation !== null) || undefined;
      },
      { timeoutMs: 15_000 },
    );
    const answer = await second.monitor.requestSwitchover('maintenance', 'validator2');
    expect(answer).toMatchObject({ accepted: true });
    await r.cluster.waitFor(
      'the switchover to complete',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(await v2!.identity()).toBe(r.cluster.stakedPubkey);

    const late = old.held[0]!;
    const delivered = await fetch(late.url, late.init);
    expect(delivered.status).toBe(409);
    expect(await delivered.json()).toMatchObject({
      error: {
        code: 'FAILOVER_STALE_TERM',
        details: { term: firstTerm.term, highest_term: firstTerm.term + 1 },
      },
    });
    expect(await v1!.identity()).not.toBe(r.cluster.stakedPubkey);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });

  it('stands down once an agent obeys a newer manager: says so, sends no command, and status shows it', async () => {
    rig = await startRig();
    const r = rig;
    const [v1] = r.cluster.validators;
    const manager = await r.startManager();
    const own = manager.fence.claim();
    await r.cluster.waitFor(
      'the manager to see validator1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 15_000 },
    );

    // Another manager, at a higher term, confirms validator1 as active: the agent now obeys its term.
    const newer = holdingClient(r, r.agents[0].url, { term: own.term + 1, sender: 'manager-newer' });
    await expect(newer.client.failover({ action: 'become_active', reason: 'a newer manager' })).resolves.toMatchObject({
      ok: true,
      value: { success: true },
    });

    // Both are told from one heartbeat, the stand-down first; Telegram gets them one after the other.
    const told = (text: string): true | undefined =>
      r.telegram.messages.some((m) => m.text.includes(text)) || undefined;
    await r.cluster.waitFor('the manager to stand down', async () => told('This manager stood down'), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    await r.cluster.waitFor('the second manager to be reported', async () => told('Two managers talk to validator1'), {
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    expect(manager.fence.deposed()).toMatchObject({ highest: { term: own.term + 1, sender: 'manager-newer' } });
    const status = await fetchControlStatus({
      ...manager.control,
      secret: Buffer.from(readFileSync(r.secretPath, 'utf8').trim()),
    });
    expect(status).toMatchObject({
      term: own.term,
      sender: own.sender,
      deposed: expect.stringContaining('manager-newer'),
    });
    expect(renderStatusTable(status)).toContain(`STOOD DOWN: validator1 obeys term ${own.term + 1} of manager-newer`);

    await v1!.crash();
    const heard = r.agents[1].output.length;
    // Nothing to wait for but time: long enough for three missed heartbeats (200 ms each) and a
    // failover's first step many times over.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(r.telegram.messages.map((m) => m.text).join('\n')).not.toContain('Failover started');
    expect(r.agents[1].output.slice(heard)).not.toContain('failover requested');
    expect(r.managerLog.join('\n')).not.toMatch(/step demote validator1/);
  });
});
