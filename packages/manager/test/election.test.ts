import { StateFileError, systemClock } from '@failover/protocol';
import { silentLogger } from '@failover/core/testing';
import { startEtcd, waitFor, type EtcdCluster } from '@failover/testkit';
import { createElection, type Election, type LeaderGuard } from '../src/election';
import { createEtcdJournal, fetchEtcdJournal, journalKey } from '../src/etcd-journal';

// A real etcd; each election renews its own 2 s lease.
jest.setTimeout(60_000);

let etcd: EtcdCluster;
const elections: Election[] = [];
let prefixCount = 0;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterEach(async () => {
  for (const election of elections.splice(0)) await election.stop();
});
afterAll(async () => {
  await etcd.stop();
});

interface Candidate {
  readonly election: Election;
  readonly led: { term: number; guard: LeaderGuard }[];
  readonly steppedDown: string[];
}

function candidate(prefix: string, sender: string, localTerm = 1): Candidate {
  const led: Candidate['led'] = [];
  const steppedDown: string[] = [];
  const election = createElection({
    config: { endpoints: etcd.endpoints, prefix, leaseTtlMs: 2_000 },
    self: () => ({ sender, host: 'test-host', control: `127.0.0.1:${sender.length}` }),
    localTerm,
    clock: systemClock,
    log: silentLogger,
    onLead: (term, guard) => led.push({ term, guard }),
    onStepDown: (_term, reason) => steppedDown.push(reason),
  });
  elections.push(election);
  return { election, led, steppedDown };
}

const nextPrefix = (): string => `/failover/election-test-${++prefixCount}`;

describe('the election in etcd', () => {
  it('elects exactly one of two managers, and both name the same leader and follower', async () => {
    const prefix = nextPrefix();
    const a = candidate(prefix, 'manager-aaaa');
    const b = candidate(prefix, 'manager-bbbb');
    a.election.start();
    b.election.start();
    await waitFor(async () => a.led.length + b.led.length === 1 || undefined, {
      timeoutMs: 10_000,
      description: 'one leader',
    });
    const [leader, follower] = a.led.length === 1 ? [a, b] : [b, a];
    expect(leader.election.mayCommand()).toBe(true);
    expect(follower.election.mayCommand()).toBe(false);
    expect(follower.election.guard()).toBeNull();
    // The leader key and the term are two writes: a follower may read the key before the term.
    await waitFor(
      async () =>
        (follower.election.view().leader?.sender === leader.election.view().leader?.sender &&
          follower.election.view().leader?.term === leader.led[0]!.term &&
          leader.election.view().followers.length === 1) ||
        undefined,
      { timeoutMs: 5_000, description: 'both views to agree, the term included' },
    );
    expect(follower.election.view()).toMatchObject({ role: 'follower', leader: { term: leader.led[0]!.term } });
  });

  it('hands over at once when the leader stops, to a higher term', async () => {
    const prefix = nextPrefix();
    const a = candidate(prefix, 'manager-aaaa');
    a.election.start();
    await waitFor(async () => a.led.length === 1 || undefined, { timeoutMs: 10_000, description: 'a to lead' });
    const b = candidate(prefix, 'manager-bbbb');
    b.election.start();
    await waitFor(async () => b.election.view().leader !== null || undefined, {
      timeoutMs: 5_000,
      description: 'b to see a',
    });
    expect(b.led).toEqual([]);
    const stoppedAt = Date.now();
    await a.election.stop();
    expect(a.election.mayCommand()).toBe(false);
    expect(a.steppedDown).toEqual(['the manager is stopping']);
    await waitFor(async () => b.led.length === 1 || undefined, { timeoutMs: 5_000, description: 'b to lead' });
    // A revoked lease deletes the key at once: no TTL to wait out.
    expect(Date.now() - stoppedAt).toBeLessThan(1_500);
    expect(b.led[0]!.term).toBeGreaterThan(a.led[0]!.term);
  });

  it('takes a term above the local counter a manager commanded with before the election was turned on', async () => {
    const a = candidate(nextPrefix(), 'manager-aaaa', 5_000);
    a.election.start();
    await waitFor(async () => a.led.length === 1 || undefined, { timeoutMs: 10_000, description: 'a to lead' });
    expect(a.led[0]!.term).toBe(5_000);
  });

  it('records the term an agent obeys when the leader yields to it, so the next leader is above it', async () => {
    const prefix = nextPrefix();
    const a = candidate(prefix, 'manager-aaaa');
    a.election.start();
    await waitFor(async () => a.led.length === 1 || undefined, { timeoutMs: 10_000, description: 'a to lead' });
    await a.election.yieldTo(90_000, 'an agent obeys term 90000');
    expect(a.election.mayCommand()).toBe(false);
    expect(a.steppedDown).toEqual(['an agent obeys term 90000']);
    await waitFor(async () => a.led.length === 2 || undefined, { timeoutMs: 10_000, description: 'a to lead again' });
    expect(a.led[1]!.term).toBe(90_001);
  });
});

describe('the journal in etcd', () => {
  it('is written by the leader only: a leader that lost its key cannot write, and the next one reads what it wrote', async () => {
    const prefix = nextPrefix();
    const a = candidate(prefix, 'manager-aaaa');
    a.election.start();
    await waitFor(async () => a.led.length === 1 || undefined, { timeoutMs: 10_000, description: 'a to lead' });
    const fenced: string[] = [];
    const b = candidate(prefix, 'manager-bbbb');
    // a's writes go through a client that outlives a's election: a leader frozen before it noticed.
    const aJournal = createEtcdJournal({
      client: b.election.client,
      prefix,
      guard: () => a.led[0]!.guard,
      onFenced: (detail) => fenced.push(detail),
    });
    expect(await aJournal.load()).toEqual({ holder: null, lastHolder: null, runs: [], pause: null });
    await aJournal.append([{ kind: 'holder', at: 1, term: a.led[0]!.term, node: 'validator1' }]);

    b.election.start();
    await a.election.stop();
    await waitFor(async () => b.led.length === 1 || undefined, { timeoutMs: 5_000, description: 'b to lead' });
    // a still holds its guard: etcd refuses the write.
    await expect(
      aJournal.append([{ kind: 'holder', at: 2, term: a.led[0]!.term, node: 'validator2' }]),
    ).rejects.toThrow('the leader key is no longer this manager’s');
    expect(fenced).toHaveLength(1);

    const bJournal = createEtcdJournal({ client: b.election.client, prefix, guard: () => b.election.guard() });
    expect((await bJournal.load()).holder).toMatchObject({ node: 'validator1', term: a.led[0]!.term });
    await bJournal.append([{ kind: 'holder', at: 3, term: b.led[0]!.term, node: 'validator2' }]);
    expect((await bJournal.load()).holder).toMatchObject({ node: 'validator2', term: b.led[0]!.term });
    // What `failover-manager history` reads, with a client of its own.
    const fetched = await fetchEtcdJournal({ endpoints: etcd.endpoints, prefix, leaseTtlMs: 2_000 });
    expect(fetched.location).toBe(`etcd key ${prefix}/journal`);
    expect(fetched.journal?.holder).toMatchObject({ node: 'validator2', term: b.led[0]!.term });
  });

  it('refuses to read a journal key that does not hold a journal, instead of starting from nothing', async () => {
    const prefix = nextPrefix();
    const a = candidate(prefix, 'manager-aaaa');
    await (await a.election.client()).put(journalKey(prefix)).value('{"version":1,');
    const journal = createEtcdJournal({ client: a.election.client, prefix, guard: () => null });
    await expect(journal.load()).rejects.toThrow(StateFileError);
    await expect(journal.load()).rejects.toThrow(`state file etcd key ${prefix}/journal is not valid JSON`);
  });
});
