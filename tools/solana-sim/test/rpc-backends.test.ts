import type { SimCluster } from '../src';
import { startCluster } from '../src';

// Named RPC backends on /backend/<name>: readers that must not trust one endpoint are tested
// against a backend whose view of the vote accounts stopped while its slot goes on.
const SLOT_MS = 50;
let cluster: SimCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

async function lastVote(url: string, votePubkey: string): Promise<number> {
  const accounts = (await rpc(url, 'getVoteAccounts', [{ votePubkey }])) as {
    current: { lastVote: number }[];
    delinquent: { lastVote: number }[];
  };
  const account = [...accounts.current, ...accounts.delinquent][0];
  if (account === undefined) throw new Error(`no vote account ${votePubkey}`);
  return account.lastVote;
}

describe('RPC backends', () => {
  it('answer like the cluster RPC until their votes are frozen, then report old votes beside an advancing slot', async () => {
    cluster = await startCluster({ validators: [{ name: 'active' }], slotMs: SLOT_MS });
    const c = cluster;
    const backend = c.backendUrl('stale');
    await c.waitFor('the active validator voting', async () => (await c.judge.gaps()).votes >= 3);
    // Read after the cluster RPC, so it can only be as new or newer.
    const live = await lastVote(c.rpcUrl, c.votePubkey);
    expect(await lastVote(backend, c.votePubkey)).toBeGreaterThanOrEqual(live);

    await c.freezeBackendVotes('stale', true);
    const frozen = await lastVote(backend, c.votePubkey);
    const slot = (await rpc(backend, 'getSlot', [{ commitment: 'processed' }])) as number;
    await c.waitFor('the cluster moving 10 slots on', async () => (await c.slot()) >= slot + 10);
    expect(await lastVote(backend, c.votePubkey)).toBe(frozen);
    expect((await rpc(backend, 'getSlot', [{ commitment: 'processed' }])) as number).toBeGreaterThanOrEqual(slot + 10);
    expect(await lastVote(c.rpcUrl, c.votePubkey)).toBeGreaterThan(frozen);

    await c.freezeBackendVotes('stale', false);
    expect(await lastVote(backend, c.votePubkey)).toBeGreaterThan(frozen);
  });
});
