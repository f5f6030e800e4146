import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { startEtcd } from '@failover/testkit';
import type { EtcdCluster } from '@failover/testkit';

// Every call gets a deadline: etcd3 has none by default and hangs through a partition.
function client(endpoints: string[], deadlineMs = 1500): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 1000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadlineMs }),
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEtcd with one member', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcd();
    etcd = client(cluster.endpoints);
  });

  afterAll(async () => {
    etcd.close();
    await cluster.stop();
  });

  it('serves reads and writes on a loopback client URL', async () => {
    expect(cluster.endpoints).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    await etcd.put('/test/key').value('value');
    await expect(etcd.get('/test/key').string()).resolves.toBe('value');
  });

  it('hangs while paused and answers again after resume', async () => {
    const member = cluster.members[0]!;
    const probe = client(cluster.endpoints, 300);
    await member.pause();
    try {
      await expect(probe.get('/test/key').string()).rejects.toThrow();
    } finally {
      member.resume();
      probe.close();
    }
    // A fresh client: the first one's circuit breaker is open after the failed calls.
    const after = client(cluster.endpoints);
    try {
      await expect(after.get('/test/key').string()).resolves.toBe('value');
    } finally {
      after.close();
    }
  });
});

describe('startEtcd with three members', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcd({ members: 3 });
    etcd = client(cluster.endpoints);
  });

  afterAll(async () => {
    etcd.close();
    await cluster.stop();
  });

  it('keeps quorum with one member killed, loses it with two, and recovers after a restart', async () => {
    const [first, second] = cluster.members;
    await etcd.put('/q').value('1');

    await first!.kill();
    expect(isAlive(first!.pid)).toBe(false);
    await etcd.put('/q').value('2');

    await second!.kill();
    await expect(etcd.put('/q').value('3')).rejects.toThrow();

    await first!.restart();
    await cluster.waitHealthy(10000);
    await etcd.put('/q').value('4');
    await expect(etcd.get('/q').string()).resolves.toBe('4');
  });
});

it('stop() ends every member process and removes the data directory', async () => {
  const cluster = await startEtcd({ members: 3 });
  const pids = cluster.members.map((m) => m.pid);
  const dataDirs = (await Promise.all(pids.map((pid) => dataDirOf(pid)))).filter((d): d is string => d !== undefined);
  await cluster.stop();
  expect(pids.filter(isAlive)).toEqual([]);
  expect(dataDirs).toHaveLength(3);
  expect(dataDirs.filter((d) => existsSync(d))).toEqual([]);
});

async function dataDirOf(pid: number): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  return cmdline.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
}
