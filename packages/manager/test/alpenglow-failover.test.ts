import { readFileSync } from 'node:fs';
import { decodeVoteHistory } from '@failover/core';
import { etcdKeys } from '@failover/testkit';
import { fetchControlStatus } from '../src/control-client';
import type { ManagerHandle } from '../src/start-manager';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** The manager's view of a node's status, when it could read one. */
function statusOf(manager: ManagerHandle, node: 'validator1' | 'validator2') {
  const observed = manager.monitor.snapshot().observation?.nodes[node];
  return observed?.reachable === true ? observed.status : undefined;
}

/**
 * Takes the cluster through the switch as mainnet does: v1 votes with a tower that is backed
 * up, the feature activates, and after the migration window v1 votes Alpenglow and backs up
 * its vote history, which the vote account has landed votes of.
 */
async function switchToAlpenglow(r: Rig, manager: ManagerHandle): Promise<void> {
  const { cluster } = r;
  await cluster.waitFor(
    'v1 active, its tower backed up',
    async () =>
      (manager.monitor.snapshot().state.active === 'validator1' && statusOf(manager, 'validator1')?.tower) || undefined,
    { timeoutMs: 20_000 },
  );
  await cluster.activateAlpenglow();
  await cluster.waitFor(
    'the manager to read the phase alpenglow',
    async () => manager.monitor.snapshot().observation?.consensus?.phase === 'alpenglow' || undefined,
    { timeoutMs: 20_000 },
  );
  const backedUp = await cluster.waitFor(
    'v1 to back up its vote history',
    async () => statusOf(manager, 'validator1')?.voteHistory?.newestSlot,
    { timeoutMs: 20_000 },
  );
  await cluster.waitFor(
    'an Alpenglow vote of v1 to land',
    async () => (manager.monitor.snapshot().observation?.vote?.lastVote ?? 0) >= backedUp || undefined,
    { timeoutMs: 20_000 },
  );
}

/** Waits for a Telegram message containing `text`; a failure says everything the operator was told. */
async function told(r: Rig, text: string, timeoutMs = 60_000): Promise<string> {
  const message = await r.cluster
    .waitFor(`a message containing "${text}"`, async () => r.telegram.messages.find((m) => m.text.includes(text)), {
      timeoutMs,
      intervalMs: 100,
    })
    .catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; told: ${r.telegram.messages.map((m) => m.text).join(' | ')}`);
    });
  return message.text;
}

/**
 * With a veto on, waits until the status shows it (`vetoText`), crashes the active, and checks
 * that the manager says why (`blockedText`) and starts no failover while it counts the active
 * down for twice the misses that would start one: validator2 never takes the identity.
 */
async function crashUnderVeto(rig: Rig, manager: ManagerHandle, vetoText: string, blockedText: string): Promise<void> {
  const { cluster } = rig;
  const [v1, v2] = cluster.validators;
  await cluster.waitFor(
    `the ${vetoText} veto in the status`,
    async () => (await fetchControlStatus(await rig.control())).consensus?.veto?.includes(vetoText) || undefined,
    { timeoutMs: 20_000 },
  );
  await v1!.crash();
  const blocked = await told(rig, 'Failover blocked', 20_000);
  expect(blocked).toContain(blockedText);
  await cluster.waitFor(
    'the manager to count v1 down for twice the misses that start a failover',
    async () => manager.monitor.snapshot().state.nodes.validator1.misses >= 6 || undefined,
    { timeoutMs: 15_000 },
  );
  expect(rig.telegram.messages.filter((m) => m.text.includes('Failover started'))).toEqual([]);
  expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
}

describe('the manager on an Alpenglow cluster', () => {
  it('fails over when the active crashes, the vote history carried against the vote account as its floor, and the judge finds no double vote', async () => {
    rig = await startRig({ alpenglow: true });
    const { cluster } = rig;
    const manager = await rig.startManager();
    await switchToAlpenglow(rig, manager);
    const [v1, v2] = cluster.validators;

    await v1!.crash();

    const complete = await told(rig, 'Failover complete');
    expect(complete).toMatch(/demote validator1/);
    expect(complete).toMatch(/verify voting validator2/);
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 10_000 });
    expect(await v2!.identity()).toBe(cluster.stakedPubkey);
    // Under Alpenglow the floor is the vote history's: the tower stopped recording votes at the switch.
    const request = rig.agents[1].output
      .split('\n')
      .find((line) => line.includes('failover requested') && line.includes('action=become_active'));
    expect(request).toMatch(/ min_vote_history_slot=\d+/);
    expect(request).not.toContain('min_tower_slot');
    const floor = Number(/ min_vote_history_slot=(\d+)/.exec(request!)![1]);
    const history = decodeVoteHistory(readFileSync(v2!.voteHistoryPath(cluster.stakedPubkey)), cluster.stakedPubkey);
    expect(history.ok && history.newestSlot > floor).toBe(true);
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('fails over when the active host is lost, the vote history restored from etcd and verified against the vote account, and the judge finds no double vote', async () => {
    rig = await startRig({ alpenglow: true, proxyActive: true });
    const { cluster, etcd, proxy } = rig;
    const manager = await rig.startManager();
    await switchToAlpenglow(rig, manager);
    const [v1, v2] = cluster.validators;
    const backups = etcdKeys(etcd.endpoints[0]!, `/failover/tower/vote-history/${cluster.stakedPubkey}/`);

    // The host goes: the manager loses it, its validator dies, and its agent, once it has backed
    // up the validator's last vote history (as it does each change), dies too.
    await proxy!.cut('blackhole');
    await v1!.crash();
    const onDisk = decodeVoteHistory(readFileSync(v1!.voteHistoryPath(cluster.stakedPubkey)), cluster.stakedPubkey);
    if (!onDisk.ok) throw new Error(`v1's vote history does not decode: ${onDisk.error.message}`);
    await cluster.waitFor(
      "v1's agent to back up its validator's last vote history",
      async () => {
        const slot = (await backups.read()).find((kv) => Buffer.from(kv.key, 'base64').toString().endsWith('/slot'));
        // The slot key holds the newest slot + 1.
        return (
          (slot !== undefined && Number(Buffer.from(slot.value, 'base64').toString()) - 1 >= onDisk.newestSlot) ||
          undefined
        );
      },
      { timeoutMs: 5_000 },
    );
    rig.agents[0].process.kill('SIGKILL');

    const complete = await told(rig, 'Failover complete');
    expect(complete).toMatch(/prove stopped voting validator1/);
    expect(complete).toMatch(/verify voting validator2/);
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 10_000 });
    expect(await v2!.identity()).toBe(cluster.stakedPubkey);
    const output = rig.agents[1].output.split('\n');
    const request = output.find((line) => line.includes('failover requested') && line.includes('action=become_active'));
    const floor = Number(/ min_vote_history_slot=(\d+)/.exec(request ?? '')?.[1]);
    expect(floor).toBeGreaterThan(0);
    // What v2 installed came from the store, not from a final backup of the lost host.
    expect(output.some((line) => line.includes(`restored ${v2!.voteHistoryPath(cluster.stakedPubkey)} from`))).toBe(
      true,
    );
    const history = decodeVoteHistory(readFileSync(v2!.voteHistoryPath(cluster.stakedPubkey)), cluster.stakedPubkey);
    expect(history.ok && history.newestSlot > Math.max(floor, onDisk.newestSlot)).toBe(true);
    expect(await cluster.judge.violations()).toEqual([]);
  });

  // Regression: the promotion carried no vote-history floor, so an older vote history would have been installed.
  it('holds a promotion whose newest vote history ends below the vote account, says so with both slots, and promotes nobody', async () => {
    rig = await startRig({ alpenglow: true });
    const { cluster } = rig;
    const manager = await rig.startManager();
    await switchToAlpenglow(rig, manager);
    const [v1, v2] = cluster.validators;

    // v1's agent dies: its validator votes on, and no backup records those votes.
    const lastBackup = statusOf(manager, 'validator1')!.voteHistory!.newestSlot;
    rig.agents[0].process.kill('SIGKILL');
    await told(rig, 'still votes', 20_000);
    await cluster.waitFor(
      'the vote account to land votes past every backup',
      async () => (manager.monitor.snapshot().observation?.vote?.lastVote ?? 0) > lastBackup + 10 || undefined,
      { timeoutMs: 20_000 },
    );
    await v1!.crash();

    const held = await told(rig, 'the newest vote history backup ends at slot');
    expect(held).toMatch(/ends at slot \d+ but the vote account voted at slot \d+; refusing to promote validator2/);
    expect(rig.agents[1].output).toContain('FAILOVER_VOTE_HISTORY_STALE');
    const status = await fetchControlStatus(await rig.control());
    expect(status.hold).toContain('the newest vote history backup ends at slot');
    expect(await v2!.identity()).not.toBe(cluster.stakedPubkey);
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('does not fail over a crashed active during a standstill, says why, and fails over once the cluster finalizes again', async () => {
    rig = await startRig({ alpenglow: true });
    const { cluster } = rig;
    const manager = await rig.startManager();
    await switchToAlpenglow(rig, manager);
    const v2 = cluster.validators[1];

    await cluster.standstill(true);
    await crashUnderVeto(rig, manager, 'standstill', 'Alpenglow standstill');
    await cluster.standstill(false);
    await told(rig, 'Failover complete');
    await cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 10_000 });
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('does not fail over a crashed active whose vote account is excluded (VAT), and says why', async () => {
    rig = await startRig({ alpenglow: true });
    const { cluster } = rig;
    const manager = await rig.startManager();
    await switchToAlpenglow(rig, manager);

    await cluster.vatExclude(cluster.votePubkey, true);
    await crashUnderVeto(rig, manager, 'may not vote this epoch', 'the vote account may not vote this epoch');
    expect(await cluster.judge.violations()).toEqual([]);
  });
});
