import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentClient, type ControlStatus } from '@failover/protocol';
import { freePort } from '@failover/testkit';
import {
  fetchControlStatus,
  requestPause,
  requestResume,
  requestSwitchover,
  type ControlTarget,
} from '../src/control-client';
import { startRig, type ManagerProcess, type Rig } from './support/failover-rig';

// Real agents, simulator, a 3-member etcd, the fake Bot API and three managers, each a process
// of its own: minutes of budget on a 2-core machine.
jest.setTimeout(240_000);

const TTL_MS = 3_000;
// etcd checks for expired leases every 500 ms; a watch event and a transaction follow.
const TAKEOVER_SLACK_MS = 1_000;

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

interface HaManager {
  readonly name: string;
  readonly process: ManagerProcess;
  readonly control: ControlTarget;
}

/** Starts three managers on one etcd prefix, each with its own state_dir and control port. */
async function startManagers(r: Rig): Promise<HaManager[]> {
  const base = await r.control();
  const managers: HaManager[] = [];
  for (const name of ['m1', 'm2', 'm3']) {
    const port = await freePort('127.0.0.1');
    const process = r.spawnManager({
      state_dir: join(r.dir, `state-${name}`),
      control_listen: `127.0.0.1:${port}`,
      etcd_endpoints: r.etcd.endpoints,
      etcd_prefix: '/failover/ha-test',
      election_lease_ttl: `${TTL_MS / 1000}s`,
      // The rig's 500 ms (below the product's 1 s floor) is for one manager; three managers, three
      // etcd members, two agents and the simulator share this host.
      request_timeout: '1s',
    });
    managers.push({ name, process, control: { ...base, port } });
  }
  return managers;
}

async function statusOf(manager: HaManager): Promise<ControlStatus | undefined> {
  return fetchControlStatus({ ...manager.control, timeoutMs: 500 }).catch(() => undefined);
}

/** The one manager that says it leads, once every other running one names it as the leader too. */
async function oneLeader(r: Rig, managers: readonly HaManager[], description: string): Promise<HaManager> {
  return r.cluster.waitFor(
    `${description}\n${managers.map((m) => `--- ${m.name}\n${m.process.output().slice(-3000)}`).join('\n')}`,
    async () => {
      const statuses = await Promise.all(managers.map(statusOf));
      const leaders = managers.filter((_m, i) => statuses[i]?.election?.role === 'leader');
      if (leaders.length !== 1) return undefined;
      const sender = statuses[managers.indexOf(leaders[0]!)]?.sender;
      const agree = statuses.every((s) => s === undefined || s.election?.leader?.sender === sender);
      return agree ? leaders[0] : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
}

/** Waits until the leader sees `active` (validator1 unless said) as the active, and both nodes reachable and healthy. */
async function leaderWatching(r: Rig, leader: HaManager, active = 'validator1'): Promise<void> {
  await r.cluster.waitFor(
    `the leader to see ${active} active\n${leader.process.output()}`,
    async () => {
      const status = await statusOf(leader);
      return (status?.active === active && status.nodes.every((n) => n.reachable && n.healthy)) || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

function switchover(control: ControlTarget, to: 'validator1' | 'validator2'): Promise<string[]> {
  return (async () => {
    const lines: string[] = [];
    for await (const line of requestSwitchover(control, { reason: 'ha test', to })) lines.push(JSON.stringify(line));
    return lines;
  })().catch((error: unknown) => [String(error)]);
}

describe('three managers on a 3-member etcd', () => {
  it('elect one leader, and another leads within the lease TTL once it is killed; the new leader commands', async () => {
    rig = await startRig({ etcdMembers: 3 });
    const r = rig;
    const [v1, v2] = r.cluster.validators;
    await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
    const managers = await startManagers(r);
    const leader = await oneLeader(r, managers, 'one leader');
    await leaderWatching(r, leader);
    const before = await r.cluster.waitFor(
      'the leader to list both followers',
      async () => {
        const status = await statusOf(leader);
        return status?.election?.followers.length === 2 ? status : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );

    leader.process.process.kill('SIGKILL');
    const killedAt = Date.now();
    const rest = managers.filter((m) => m !== leader);
    const next = await oneLeader(r, rest, 'a new leader');
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(TTL_MS + TAKEOVER_SLACK_MS);
    await leaderWatching(r, next);
    const after = (await statusOf(next))!;
    expect(after.term).toBeGreaterThan(before.term!);
    expect(after.election?.leader).toMatchObject({ sender: after.sender, term: after.term });

    // The new leader commands: a switchover with its term, judged by the simulator.
    const lines = await switchover(next.control, 'validator2');
    expect(lines.at(-1)).toContain('"outcome":"completed"');
    await r.cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 15_000 });
    expect(await r.cluster.judge.violations()).toEqual([]);
    // A follower does not command: it refuses a switchover and names the leader.
    const follower = rest.find((m) => m !== next)!;
    const refused = await switchover(follower.control, 'validator1');
    expect(refused.join('\n')).toContain('"refusal":"not-leader"');
    expect(refused.join('\n')).toContain(after.sender!);
  });

  it('a pause made at the leader holds at the next leader, which reads it from the etcd journal, until resumed there', async () => {
    rig = await startRig({ etcdMembers: 3 });
    const r = rig;
    const [v1, v2] = r.cluster.validators;
    await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
    const managers = await startManagers(r);
    const leader = await oneLeader(r, managers, 'one leader');
    await leaderWatching(r, leader);

    const rest = managers.filter((m) => m !== leader);
    expect(await requestPause(rest[0]!.control, { reason: 'ha maintenance' })).toMatchObject({
      outcome: 'refused',
      refusal: 'not-leader',
    });
    expect(await requestPause(leader.control, { reason: 'ha maintenance' })).toMatchObject({ outcome: 'paused' });

    leader.process.process.kill('SIGKILL');
    const next = await oneLeader(r, rest, 'a new leader');
    await leaderWatching(r, next);
    expect((await statusOf(next))?.paused).toMatchObject({ reason: 'ha maintenance' });

    await v1!.crash();
    await r.cluster.waitFor(
      `the new leader to hold for the pause\n${next.process.output().slice(-3000)}`,
      async () => (await statusOf(next))?.hold?.startsWith('paused for maintenance (ha maintenance)') || undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(r.telegram.messages.filter((m) => m.text.includes('Failover started'))).toEqual([]);
    expect(await v2!.identity()).not.toBe(r.cluster.stakedPubkey);

    expect(await requestResume(next.control, {})).toMatchObject({ outcome: 'resumed' });
    await r.cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 60_000 });
    expect(await v2!.identity()).toBe(r.cluster.stakedPubkey);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });

  it('a leader frozen past its lease during a promotion: the next leader finishes the failover, and the continued one is obeyed by no agent', async () => {
    rig = await startRig({ etcdMembers: 3 });
    const r = rig;
    const [v1, v2] = r.cluster.validators;
    await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
    const managers = await startManagers(r);
    const leader = await oneLeader(r, managers, 'one leader');
    await leaderWatching(r, leader);
    const old = (await statusOf(leader))!;

    // validator2 takes its time to switch, so the freeze lands while its agent promotes it.
    await v2!.setIdentityDelay(2_000);
    const answer = switchover(leader.control, 'validator2');
    await r.cluster.waitFor(
      'the promotion to start',
      async () => /step promote validator2/.test(leader.process.output()) || undefined,
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    leader.process.process.kill('SIGSTOP');
    const frozenAt = Date.now();
    let next: HaManager;
    try {
      next = await oneLeader(
        r,
        managers.filter((m) => m !== leader),
        'a leader after the freeze',
      );
      // It takes up the run the frozen leader journaled in etcd, and finishes it.
      await r.cluster.waitFor(
        `the new leader to take the failover up\n${next.process.output()}`,
        async () => /resuming switchover validator1 → validator2/.test(next.process.output()) || undefined,
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      await r.cluster.waitFor(
        'a failover complete message',
        async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
        { timeoutMs: 90_000, intervalMs: 100 },
      );
      await r.cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, {
        timeoutMs: 15_000,
      });
      // And commands both agents with its term: back to validator1.
      await v2!.setIdentityDelay(0);
      await leaderWatching(r, next, 'validator2');
      expect((await statusOf(next))!.term).toBeGreaterThan(old.term!);
      const back = await switchover(next.control, 'validator1');
      expect(back.at(-1)).toContain('"outcome":"completed"');
      const frozenFor = Date.now() - frozenAt;
      if (frozenFor < 2 * TTL_MS) await new Promise((resolve) => setTimeout(resolve, 2 * TTL_MS - frozenFor));
    } finally {
      leader.process.process.kill('SIGCONT');
    }
    await answer;

    // The continued leader notices that it no longer leads, and follows.
    await r.cluster.waitFor(
      `the continued leader to follow ${next.name}\n${leader.process.output().slice(-3000)}`,
      async () => {
        const status = await statusOf(leader);
        return (
          (status?.election?.role === 'follower' &&
            status.election.leader?.control === `127.0.0.1:${next.control.port}`) ||
          undefined
        );
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    // Whatever it would send with its term is refused by both agents: they obey the new leader's, higher.
    const secret = Buffer.from(readFileSync(r.secretPath, 'utf8').trim());
    const nextSender = (await statusOf(next))!.sender;
    for (const [agent, action] of [
      [r.agents[0], 'become_passive'],
      [r.agents[1], 'become_active'],
    ] as const) {
      const client = createAgentClient({
        baseUrl: agent.url,
        secret,
        timeoutMs: 5_000,
        fence: () => ({ term: old.term!, sender: old.sender! }),
      });
      expect(await client.status()).toMatchObject({ ok: true, value: { highest_term_sender: nextSender } });
      expect(await client.failover({ action, reason: 'the frozen leader, continued' })).toMatchObject({
        ok: false,
        error: { kind: 'rejected', status: 409, code: 'FAILOVER_STALE_TERM' },
      });
    }
    await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
    expect(await v1!.identity()).toBe(r.cluster.stakedPubkey);
    expect(await v2!.identity()).not.toBe(r.cluster.stakedPubkey);
    expect(await r.cluster.judge.violations()).toEqual([]);
  });
});
