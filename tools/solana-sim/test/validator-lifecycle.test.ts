import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { decodeTower } from '@failover/core';
import type { SimCluster } from '../src';
import { startCluster } from '../src';
import { callJsonRpc, RpcFailure } from '../src/internal/json-rpc';
import { sh } from './shell';

// Process-level behaviour of one cluster: towers on disk, crash and restart, hang, faults, and
// the RPC shapes the agent and manager read.
let cluster: SimCluster;
const PROCESS_NAME = `simval${process.pid % 100000}`;

beforeAll(async () => {
  cluster = await startCluster({
    validators: [
      { name: 'v1', processName: PROCESS_NAME },
      { name: 'v2', processName: PROCESS_NAME },
    ],
    slotMs: 20,
  });
});

afterAll(async () => {
  await cluster?.stop();
});

async function rpcError(url: string, method: string): Promise<RpcFailure> {
  try {
    await callJsonRpc(url, method);
  } catch (err) {
    if (err instanceof RpcFailure) return err;
    throw err;
  }
  throw new Error(`${method} succeeded`);
}

describe('a simulated validator', () => {
  it('writes a tower that decodes with core and is signed by the staked identity', async () => {
    const v1 = cluster.validator('v1');
    const status = await cluster.waitFor('two votes', async () => {
      const s = await v1.status();
      return s.lastVote !== null && s.lastVote > s.slot - 5 ? s : undefined;
    });
    const decoded = decodeTower(fs.readFileSync(v1.towerPath(cluster.stakedPubkey)), cluster.stakedPubkey);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.signer).toBe(cluster.stakedPubkey);
    expect(decoded.lastVotedSlot).toBeGreaterThanOrEqual((status.lastVote ?? 0) - 1);
  });

  it('is found by `pgrep -x` under its process name', () => {
    const pids = execFileSync('pgrep', ['-x', PROCESS_NAME]).toString().trim().split('\n').map(Number);
    expect(pids.sort()).toEqual([cluster.validator('v1').pid, cluster.validator('v2').pid].sort());
  });

  it('comes back after kill -9 on the identity its symlink names', async () => {
    const v2 = cluster.validator('v2');
    fs.rmSync(v2.identitySymlink);
    fs.symlinkSync(v2.stakedKeypairPath, v2.identitySymlink);
    await v2.crash();
    expect(v2.isRunning()).toBe(false);
    fs.rmSync(v2.identitySymlink);
    fs.symlinkSync(v2.unstakedKeypairPath, v2.identitySymlink);
    await v2.restart();
    expect(await v2.identity()).toBe(v2.unstakedPubkey);
    const v1 = cluster.validator('v1');
    const pidBefore = v1.pid;
    await v1.restart();
    expect(v1.pid).not.toBe(pidBefore);
    expect(await v1.identity()).toBe(cluster.stakedPubkey);
    // restored its tower from the ledger: it never votes at or below the last vote before the crash
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('answers nothing while hung and votes again after resume', async () => {
    const v1 = cluster.validator('v1');
    v1.hang();
    try {
      await expect(callJsonRpc(v1.rpcUrl, 'getSlot', [], 300)).rejects.toThrow();
    } finally {
      v1.resume();
    }
    const slot = await cluster.slot();
    await cluster.waitFor('a vote after resume', async () => ((await v1.status()).lastVote ?? 0) > slot);
  });

  it('reports getHealth errors with the real shapes when behind or unhealthy', async () => {
    const v2 = cluster.validator('v2');
    await v2.fallBehind(140);
    const behind = await cluster.waitFor('v2 behind', async () => {
      const err = await callJsonRpc(v2.rpcUrl, 'getHealth').then(
        () => undefined,
        (e: RpcFailure) => e,
      );
      return err;
    });
    expect(behind).toMatchObject({ rpcCode: -32005, data: { numSlotsBehind: expect.any(Number) } });
    expect(behind.message).toMatch(/^Node is behind by \d+ slots$/);
    await v2.fallBehind(0);
    await cluster.waitFor('v2 healthy', async () => (await callJsonRpc(v2.rpcUrl, 'getHealth')) === 'ok');
    await v2.setRpcUnhealthy(true);
    expect(await rpcError(v2.rpcUrl, 'getHealth')).toMatchObject({
      rpcCode: -32005,
      message: 'Node is unhealthy',
      data: { numSlotsBehind: null },
    });
    await v2.setRpcUnhealthy(false);
  });

  it('fails set-identity on demand and delays it when told', async () => {
    const v2 = cluster.validator('v2');
    await v2.failSetIdentity(true);
    const failed = await sh(`agave-validator -l ${v2.ledgerDir} set-identity ${v2.unstakedKeypairPath}`, cluster.env);
    expect(failed.code).toBe(1);
    await v2.failSetIdentity(false);
    await v2.setIdentityDelay(400);
    const started = Date.now();
    const slow = await sh(`agave-validator -l ${v2.ledgerDir} set-identity ${v2.unstakedKeypairPath}`, cluster.env);
    expect(slow.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await v2.setIdentityDelay(0);
  });

  it('goes delinquent on the cluster when its votes stop landing, and recovers', async () => {
    const v1 = cluster.validator('v1');
    const delinquent = async (): Promise<boolean> => {
      const accounts = (await callJsonRpc(cluster.rpcUrl, 'getVoteAccounts')) as {
        delinquent: { votePubkey: string }[];
      };
      return accounts.delinquent.some((a) => a.votePubkey === cluster.votePubkey);
    };
    await v1.cutVotes(true);
    await cluster.waitFor('delinquent', delinquent, { timeoutMs: 20_000 });
    await v1.cutVotes(false);
    await cluster.waitFor('current again', async () => !(await delinquent()), { timeoutMs: 20_000 });
  });

  it('stops replaying while cut from the cluster', async () => {
    const v2 = cluster.validator('v2');
    await cluster.cut('v2', 'cluster');
    const frozen = (await v2.status()).slot;
    const later = (await cluster.slot()) + 5;
    await cluster.waitFor('the cluster moving on', async () => (await cluster.slot()) > later);
    expect((await v2.status()).slot).toBe(frozen);
    await cluster.heal('v2', 'cluster');
    await cluster.waitFor('v2 catching up', async () => (await v2.status()).slot > later);
    await expect(cluster.cut('v1', 'v2')).rejects.toThrow('FAILOVER_SIM_CONTROL');
  });
});

describe('the cluster RPC', () => {
  it('answers getSlot per commitment, getEpochInfo and getVoteAccounts in the real shapes', async () => {
    // Finalized first: the tip may advance between the two calls, never move back.
    const finalized = (await callJsonRpc(cluster.rpcUrl, 'getSlot')) as number;
    const processed = (await callJsonRpc(cluster.rpcUrl, 'getSlot', [{ commitment: 'processed' }])) as number;
    expect(processed - finalized).toBeGreaterThanOrEqual(32);
    const epoch = (await callJsonRpc(cluster.rpcUrl, 'getEpochInfo')) as Record<string, number>;
    expect(Object.keys(epoch).sort()).toEqual([
      'absoluteSlot',
      'blockHeight',
      'epoch',
      'slotIndex',
      'slotsInEpoch',
      'transactionCount',
    ]);
    const accounts = (await callJsonRpc(cluster.rpcUrl, 'getVoteAccounts')) as { current: Record<string, unknown>[] };
    const ours = accounts.current.find((a) => a['nodePubkey'] === cluster.stakedPubkey);
    expect(ours).toMatchObject({
      votePubkey: cluster.votePubkey,
      epochVoteAccount: true,
      lastVote: expect.any(Number),
      rootSlot: expect.any(Number),
    });
    expect(ours?.['epochCredits']).toEqual(
      expect.arrayContaining([[expect.any(Number), expect.any(Number), expect.any(Number)]]),
    );
  });

  it('gives the staked identity leader slots in groups of 4', async () => {
    const schedule = (await callJsonRpc(cluster.rpcUrl, 'getLeaderSchedule', [
      null,
      { identity: cluster.stakedPubkey },
    ])) as Record<string, number[]>;
    const slots = schedule[cluster.stakedPubkey] ?? [];
    expect(slots.length % 4).toBe(0);
    expect(slots.length).toBeGreaterThan(0);
    for (let i = 0; i < slots.length; i += 4)
      expect(slots.slice(i, i + 4)).toEqual([0, 1, 2, 3].map((k) => (slots[i] as number) + k));
  });

  it('refuses an unknown method as JSON-RPC does', async () => {
    expect(await rpcError(cluster.rpcUrl, 'getNothing')).toMatchObject({
      rpcCode: -32601,
      message: 'Method not found',
    });
  });
});
