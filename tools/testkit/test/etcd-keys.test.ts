import { Etcd3 } from 'etcd3';
import { etcdKeys, startEtcd } from '@failover/testkit';
import type { EtcdCluster } from '@failover/testkit';

let cluster: EtcdCluster;
let etcd: Etcd3;

beforeAll(async () => {
  cluster = await startEtcd();
  etcd = new Etcd3({ hosts: cluster.endpoints });
});

afterAll(async () => {
  etcd.close();
  await cluster.stop();
});

describe('the keys under a prefix, through the JSON gateway', () => {
  it('reads only the keys under the prefix, writes them back together and deletes them', async () => {
    await etcd.put('/app/tower/a').value('1');
    await etcd.put('/app/tower/b').value('2');
    await etcd.put('/app/towerz').value('outside');
    const keys = etcdKeys(cluster.endpoints[0]!, '/app/tower/');

    const saved = await keys.read();
    expect(saved.map((kv) => Buffer.from(kv.key, 'base64').toString())).toEqual(['/app/tower/a', '/app/tower/b']);

    await etcd.put('/app/tower/a').value('changed');
    await keys.write(saved);
    await expect(etcd.get('/app/tower/a').string()).resolves.toBe('1');

    await keys.remove();
    await expect(keys.read()).resolves.toEqual([]);
    await expect(etcd.get('/app/towerz').string()).resolves.toBe('outside');
  });

  it('names the prefix and the endpoint when etcd refuses', async () => {
    await expect(etcdKeys(`${cluster.endpoints[0]!}/nowhere`, '/app/').read()).rejects.toThrow(
      /etcd range under \/app\/ on .*: HTTP 404/,
    );
  });
});
