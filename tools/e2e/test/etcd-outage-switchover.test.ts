import { startEtcd, type EtcdCluster } from '@failover/testkit';
import { requestSwitchover } from '@failover/manager';
import type { SwitchoverLine } from '@failover/protocol';
import { startStack, type Stack } from '../src/stack';

// A planned switchover whose tower store dies right after the old active's final backup landed
// and its tower file was removed: neither node can read a tower from etcd any more. The final
// tower reaches the new active with the promotion instead; the simulator judges who voted.
jest.setTimeout(120_000);

let stack: Stack | undefined;
let etcd: EtcdCluster | undefined;
afterEach(async () => {
  await stack?.stop();
  await etcd?.stop();
  stack = undefined;
  etcd = undefined;
});

it('completes a planned switchover when etcd dies just after the final tower backup landed', async () => {
  etcd = await startEtcd({ members: 1 });
  const etcdPid = etcd.members[0]!.pid;
  // post_demote runs once v1's demotion is done: identity removed, final backup stored, tower file removed.
  stack = await startStack({
    slotMs: 50,
    towerStore: 'etcd',
    etcd,
    editAgentConfig: (config, v) =>
      v.name === 'v1' ? { ...config, hooks: { post_demote: { command: `kill -KILL ${etcdPid}` } } } : config,
  });
  const s = stack;
  await s.cluster.waitFor(
    'the manager to see v1 active with a tower backup',
    async () => {
      const status = await s.manager.status();
      return (status.active === 'validator1' && status.nodes[0]?.last_tower_backup != null) || undefined;
    },
    { timeoutMs: 20_000 },
  );

  const lines: SwitchoverLine[] = [];
  for await (const line of requestSwitchover(s.manager.control, {
    reason: 'planned switchover',
    wait_for_leader_gap_slots: 0,
  }))
    lines.push(line);

  const steps = lines.filter((l) => l.type === 'step-finished');
  expect(lines.find((l) => l.type === 'done')).toMatchObject({ outcome: 'completed' });
  expect(steps).toContainEqual(expect.objectContaining({ step: 'final tower backup validator1', ok: true }));
  await s.cluster.waitFor('v2 to vote', async () => (await s.cluster.validator('v2').status()).voting || undefined, {
    timeoutMs: 15_000,
  });
  // etcd stayed dead throughout: the tower v2 votes from did not come from the store.
  await expect(fetch(`${etcd.endpoints[0]!}/health`)).rejects.toThrow();
  expect(await s.agent('v2').client.status()).toMatchObject({ ok: true, value: { role: 'active' } });

  // etcd back: v2's backups land over v1's final one, and v2 is not taken for a second holder.
  const promotedAt = Math.floor(Date.now() / 1000);
  await etcd.members[0]!.restart();
  await s.cluster.waitFor(
    "v2's tower backed up to etcd once it is back",
    async () => {
      const status = await s.agent('v2').client.status();
      return (status.ok && (status.value.last_tower_backup ?? 0) > promotedAt) || undefined;
    },
    { timeoutMs: 20_000 },
  );
  const v2 = await s.agent('v2').client.status();
  expect(v2).toMatchObject({ ok: true, value: { role: 'active' } });
  await s.cluster.waitFor('v2 to vote on', async () => (await s.cluster.validator('v2').status()).voting || undefined, {
    timeoutMs: 5_000,
  });
  expect(await s.cluster.judge.violations()).toEqual([]);
});
