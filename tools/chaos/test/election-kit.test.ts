import { startEtcd, waitFor, type EtcdCluster } from '@failover/testkit';
import { ELECTION_PREFIX, etcdLeaderMember, revokeLeaderLease, withElection } from '../src/election-kit';

// Three etcd processes on a shared 2-core machine.
jest.setTimeout(60_000);

let etcd: EtcdCluster;
beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
});
afterAll(async () => {
  await etcd.stop();
});

async function gateway(what: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${etcd.endpoints[0]!}/v3/${what}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe("the election classes' view of etcd", () => {
  it('turns the election on with the prefix and the TTL of the classes', () => {
    expect(withElection({ dry_run: false }, ['http://127.0.0.1:1'])).toEqual({
      dry_run: false,
      etcd_endpoints: ['http://127.0.0.1:1'],
      etcd_prefix: ELECTION_PREFIX,
      election_lease_ttl: '3s',
    });
  });

  it('names the member that leads etcd: once it is killed another one leads', async () => {
    const leader = await etcdLeaderMember(etcd);
    expect(leader).toBeDefined();
    await leader!.kill();
    try {
      const next = await waitFor(
        async () => {
          const member = await etcdLeaderMember(etcd);
          return member !== undefined && member !== leader ? member : undefined;
        },
        { description: 'another etcd member to lead', timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(etcd.members).toContain(next);
    } finally {
      await leader!.restart();
      await etcd.waitHealthy();
    }
  });

  it('revokes the lease of the leader key, which takes the key with it; with no leader key there is nothing to revoke', async () => {
    const grant = await gateway('lease/grant', { TTL: 60 });
    const lease = String(grant['ID']);
    const key = b64(`${ELECTION_PREFIX}/leader`);
    await gateway('kv/put', { key, value: b64('a manager'), lease });

    expect(await revokeLeaderLease(etcd)).toBe(lease);
    expect((await gateway('kv/range', { key }))['kvs']).toBeUndefined();
    expect(await revokeLeaderLease(etcd)).toBeUndefined();
  });
});
