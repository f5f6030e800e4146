import type { SimCluster } from '../src';
import { startCluster } from '../src';
import { ALPENGLOW_FEATURE_ID, FEATURE_PROGRAM_ID } from '../src/alpenglow';
import { RpcFailure, callJsonRpc } from '../src/internal/json-rpc';

// The Alpenglow RPC contract the manager and agent read: the feature account, getAgGenesisCert
// (cluster and local), finalization, lastVote moved by reward certificates, getHealth against
// finalized, and the standstill and VAT faults.
const SLOT_MS = 40;
const LAG = 8;

interface VoteAccountEntry {
  readonly votePubkey: string;
  readonly nodePubkey: string;
  readonly lastVote: number;
  readonly epochVoteAccount: boolean;
}
interface VoteAccounts {
  readonly current: VoteAccountEntry[];
  readonly delinquent: VoteAccountEntry[];
}
interface GenesisCert {
  readonly block: { readonly slot: number; readonly block_id: number[] };
  readonly signature: { readonly signature: number[]; readonly bitmap: number[] };
}

/** Several calls in one JSON-RPC batch, answered at one instant of the cluster. */
async function batch(url: string, calls: [string, unknown[]][]): Promise<unknown[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))),
  });
  const replies = (await response.json()) as { id: number; result?: unknown; error?: unknown }[];
  return replies.sort((a, b) => a.id - b.id).map((r) => (r.error === undefined ? r.result : r.error));
}

async function rpcError(url: string, method: string, params: unknown[] = []): Promise<RpcFailure> {
  try {
    await callJsonRpc(url, method, params);
  } catch (err) {
    if (err instanceof RpcFailure) return err;
    throw err;
  }
  throw new Error(`${method} succeeded`);
}

/** Processed slot, finalized slot and every vote account, read at one instant. */
async function snapshot(url: string): Promise<{ processed: number; finalized: number; accounts: VoteAccounts }> {
  const [processed, finalized, accounts] = await batch(url, [
    ['getSlot', [{ commitment: 'processed' }]],
    ['getSlot', [{ commitment: 'finalized' }]],
    ['getVoteAccounts', []],
  ]);
  return { processed: processed as number, finalized: finalized as number, accounts: accounts as VoteAccounts };
}

function entry(accounts: VoteAccounts, votePubkey: string): VoteAccountEntry & { bucket: 'current' | 'delinquent' } {
  const current = accounts.current.find((a) => a.votePubkey === votePubkey);
  if (current) return { ...current, bucket: 'current' };
  const delinquent = accounts.delinquent.find((a) => a.votePubkey === votePubkey);
  if (delinquent) return { ...delinquent, bucket: 'delinquent' };
  throw new Error(`no vote account ${votePubkey}`);
}

function decodeFeature(value: { data: [string, string] }): number | null {
  const data = Buffer.from(value.data[0], 'base64');
  expect(data).toHaveLength(9);
  return data[0] === 1 ? Number(data.readBigUInt64LE(1)) : null;
}

describe('a cluster started in Alpenglow', () => {
  let cluster: SimCluster;

  beforeAll(async () => {
    cluster = await startCluster({
      consensus: 'alpenglow',
      validators: [{ name: 'active' }, { name: 'passive' }, { name: 'forked', alpenglowGenesis: 'other' }],
      slotMs: SLOT_MS,
      migrationSlots: 100,
    });
    const c = cluster;
    // Vote accounts start at the first slot; from there only reward certificates move them.
    const first = await c.slot();
    await c.waitFor('a landed Alpenglow vote', async () => {
      const { accounts } = await snapshot(c.rpcUrl);
      return entry(accounts, c.votePubkey).lastVote > first + 2;
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('shows the feature account activated migrationSlots before the switch', async () => {
    const status = await cluster.status();
    const info = (await callJsonRpc(cluster.rpcUrl, 'getAccountInfo', [
      ALPENGLOW_FEATURE_ID,
      { encoding: 'base64', commitment: 'finalized' },
    ])) as { context: { slot: number }; value: { data: [string, string]; owner: string; space: number } };
    expect(info.value).toMatchObject({ owner: FEATURE_PROGRAM_ID, space: 9, executable: false });
    expect(info.value.data[1]).toBe('base64');
    expect(decodeFeature(info.value)).toBe(status.consensus.activationSlot);
    expect(status.consensus.genesisSlot).toBe((status.consensus.activationSlot ?? 0) + 100);
    const other = (await callJsonRpc(cluster.rpcUrl, 'getAccountInfo', [
      cluster.votePubkey,
      { encoding: 'base64' },
    ])) as {
      value: unknown;
    };
    expect(other.value).toBeNull();
  });

  it('answers the same genesis certificate on the cluster and a migrated validator, another on another genesis', async () => {
    const status = await cluster.status();
    const ours = (await callJsonRpc(cluster.rpcUrl, 'getAgGenesisCert')) as GenesisCert;
    expect(ours.block.slot).toBe(status.consensus.genesisSlot);
    expect(ours.block.block_id).toHaveLength(32);
    expect(ours.signature.signature).toHaveLength(192);
    expect(ours.signature.bitmap.length).toBeGreaterThan(0);
    expect(await callJsonRpc(cluster.validator('passive').rpcUrl, 'getAgGenesisCert')).toEqual(ours);
    const forked = (await callJsonRpc(cluster.validator('forked').rpcUrl, 'getAgGenesisCert')) as GenesisCert;
    expect(forked.block.block_id).not.toEqual(ours.block.block_id);
  });

  it('finalizes a slot or two behind the tip and moves lastVote about 8 slots behind it', async () => {
    const { processed, finalized, accounts } = await snapshot(cluster.rpcUrl);
    expect(processed - finalized).toBeGreaterThanOrEqual(1);
    expect(processed - finalized).toBeLessThanOrEqual(2);
    for (const account of accounts.current) {
      expect(processed - account.lastVote).toBeGreaterThanOrEqual(LAG);
      expect(processed - account.lastVote).toBeLessThanOrEqual(LAG + 4);
    }
    expect(entry(accounts, cluster.votePubkey).bucket).toBe('current');
  });

  it('answers getHealth ok on a node that has seen finalization, and its own finalized slot', async () => {
    const active = cluster.validator('active');
    expect(await callJsonRpc(active.rpcUrl, 'getHealth')).toBe('ok');
    const [processed, finalized] = (await batch(active.rpcUrl, [
      ['getSlot', [{ commitment: 'processed' }]],
      ['getSlot', [{ commitment: 'finalized' }]],
    ])) as number[];
    expect((processed ?? 0) - (finalized ?? 0)).toBeLessThanOrEqual(2);
  });

  it('stops finalization and every lastVote in a standstill, then the tip, and resumes', async () => {
    const c = cluster;
    await c.standstill(true);
    try {
      const at = await snapshot(c.rpcUrl);
      await c.waitFor('the tip stopping', async () => {
        const a = await c.slot();
        await new Promise((r) => setTimeout(r, 4 * SLOT_MS));
        return (await c.slot()) === a;
      });
      const later = await snapshot(c.rpcUrl);
      expect(later.finalized).toBe(at.finalized);
      expect(later.processed - at.processed).toBeLessThanOrEqual(4);
      for (const account of at.accounts.current) {
        expect(entry(later.accounts, account.votePubkey).lastVote).toBe(account.lastVote);
      }
      expect((await c.status()).consensus.standstill).toBe(true);

      // A node that starts during the standstill has seen no finalization: health unknown.
      const passive = c.validator('passive');
      await passive.restart();
      await c.waitFor('the restarted node replaying', async () => (await passive.status()).slot >= later.processed);
      expect(await rpcError(passive.rpcUrl, 'getHealth')).toMatchObject({
        rpcCode: -32005,
        message: 'Node is unhealthy',
        data: { numSlotsBehind: null },
      });
    } finally {
      await c.standstill(false);
    }
    const stopped = await c.slot();
    await c.waitFor('finalization again', async () => (await snapshot(c.rpcUrl)).finalized > stopped);
    const resumed = await snapshot(c.rpcUrl);
    // The tip resumes where it stopped instead of jumping to the wall clock's slot.
    expect(resumed.processed - stopped).toBeLessThan(50);
    await c.waitFor('the restarted node healthy', async () =>
      callJsonRpc(c.validator('passive').rpcUrl, 'getHealth').then(
        (r) => r === 'ok',
        () => false,
      ),
    );
  });

  it('lists a VAT-excluded vote account as delinquent, not eligible, its lastVote frozen', async () => {
    const c = cluster;
    await c.vatExclude(c.votePubkey, true);
    try {
      const excluded = entry((await snapshot(c.rpcUrl)).accounts, c.votePubkey);
      expect(excluded).toMatchObject({ bucket: 'delinquent', epochVoteAccount: false });
      const tip = await c.slot();
      await c.waitFor('the cluster moving on', async () => (await c.slot()) > tip + LAG + 4);
      const { accounts } = await snapshot(c.rpcUrl);
      expect(entry(accounts, c.votePubkey)).toMatchObject({ bucket: 'delinquent', lastVote: excluded.lastVote });
      expect(accounts.current.some((a) => a.votePubkey === c.votePubkey)).toBe(false);
      // Others go on voting.
      expect(accounts.current.length).toBeGreaterThan(0);
    } finally {
      await c.vatExclude(c.votePubkey, false);
    }
    const after = await c.slot();
    await c.waitFor('its votes counted again', async () => {
      const e = entry((await snapshot(c.rpcUrl)).accounts, c.votePubkey);
      return e.bucket === 'current' && e.epochVoteAccount && e.lastVote > after;
    });
  });

  it('refuses a second activation and an unknown vote account', async () => {
    await expect(cluster.activateAlpenglow()).rejects.toThrow(/already activated at slot \d+/);
    await expect(cluster.vatExclude('NoSuchVoteAccount111111111111111111111111111', true)).rejects.toThrow(
      /no vote account/,
    );
  });
});

describe('a tower cluster', () => {
  it('answers method-not-found for getAgGenesisCert before agave 4.3 and has no feature account', async () => {
    const cluster = await startCluster({ validators: [{ name: 'a' }], slotMs: SLOT_MS });
    try {
      expect(await rpcError(cluster.rpcUrl, 'getAgGenesisCert')).toMatchObject({
        rpcCode: -32601,
        message: 'Method not found',
      });
      expect(await rpcError(cluster.validator('a').rpcUrl, 'getAgGenesisCert')).toMatchObject({ rpcCode: -32601 });
      const info = (await callJsonRpc(cluster.rpcUrl, 'getAccountInfo', [
        ALPENGLOW_FEATURE_ID,
        { encoding: 'base64' },
      ])) as {
        value: unknown;
      };
      expect(info.value).toBeNull();
      await expect(cluster.activateAlpenglow()).rejects.toThrow(/predates Alpenglow/);
    } finally {
      await cluster.stop();
    }
  });

  it('migrates after activation: feature account, null certificate through the window, then the switch', async () => {
    const cluster = await startCluster({
      validators: [{ name: 'a' }, { name: 'b' }],
      slotMs: SLOT_MS,
      version: '4.3.0',
      migrationSlots: 30,
    });
    const c = cluster;
    try {
      expect(await callJsonRpc(c.rpcUrl, 'getAgGenesisCert')).toBeNull();
      const b = c.validator('b');
      await b.fallBehind(200);
      const activation = await c.activateAlpenglow();
      const info = (await callJsonRpc(c.rpcUrl, 'getAccountInfo', [
        ALPENGLOW_FEATURE_ID,
        { encoding: 'base64', commitment: 'processed' },
      ])) as { value: { data: [string, string] } };
      expect(decodeFeature(info.value)).toBe(activation);
      expect((await c.status()).consensus.phase).toBe('migrating');
      expect(await callJsonRpc(c.rpcUrl, 'getAgGenesisCert')).toBeNull();

      const cert = await c.waitFor(
        'the switch',
        async () => ((await callJsonRpc(c.rpcUrl, 'getAgGenesisCert')) as GenesisCert | null) ?? undefined,
      );
      expect(cert.block.slot).toBe(activation + 30);
      expect((await c.status()).consensus.phase).toBe('alpenglow');
      // The node that replays behind has not migrated yet.
      expect(await callJsonRpc(b.rpcUrl, 'getAgGenesisCert')).toBeNull();
      await b.fallBehind(0);
      await c.waitFor('b migrating', async () => (await callJsonRpc(b.rpcUrl, 'getAgGenesisCert')) !== null);
      expect(await callJsonRpc(b.rpcUrl, 'getAgGenesisCert')).toEqual(cert);

      // lastVote stalls for everyone around the switch: nothing lands until certificates reach it.
      await c.waitFor('an Alpenglow vote landing', async () => {
        const { accounts } = await snapshot(c.rpcUrl);
        return entry(accounts, c.votePubkey).lastVote >= cert.block.slot;
      });
      const votes = await c.judge.votes();
      expect(votes.filter((v) => v.slot >= cert.block.slot).every((v) => v.consensus === 'alpenglow')).toBe(true);
      expect(votes.filter((v) => v.slot < cert.block.slot).every((v) => v.consensus === 'tower')).toBe(true);
      expect(await c.judge.violations()).toEqual([]);
    } finally {
      await c.stop();
    }
  });
});
