// Measures how far the newest etcd tower backup trails the active validator's last vote while
// the manager is silent (only file-change backups run). A measurement, printed, not a timed
// assertion; it asserts only that backups follow the votes at all.
// Regression: backups followed only the manager's pings, so after a host loss the newest trailed the last vote by a heartbeat.
import { startCluster, type SimCluster } from '@failover/solana-sim';
import { startEtcd, tempDir, type EtcdCluster, type TempDir } from '@failover/testkit';
import { Etcd3 } from 'etcd3';
import { startAgents, statusUntil, type RunningAgent } from '../support/sim-agents';

jest.setTimeout(120_000);

let cluster: SimCluster | undefined;
let etcd: EtcdCluster | undefined;
let dir: TempDir | undefined;
let agents: RunningAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
  await cluster?.stop();
  await etcd?.stop();
  dir?.remove();
});

describe.each([400, 50])('tower backup lag at %i ms slots (etcd store)', (slotMs) => {
  it('keeps the newest backup within a few slots of the last vote', async () => {
    dir = tempDir('agent-lag');
    etcd = await startEtcd();
    cluster = await startCluster({ validators: [{ name: 'a', processName: 'sim-validat-a' }], slotMs });
    const c = cluster;
    agents = await startAgents({
      cluster: c,
      dir: dir.path,
      configure: (config) => {
        const { tower_backup_command: _b, tower_restore_command: _r, ...rest } = config;
        return {
          ...rest,
          tower_store: 'etcd',
          etcd_endpoints: etcd!.endpoints,
          etcd_prefix: '/lag',
          manager_timeout: '10m',
          isolation_timeout: '0',
        };
      },
    });
    const [a] = agents as [RunningAgent];
    await statusUntil(a, 'first backup', (s) => s.ok && s.value.last_tower_backup > 0);
    const client = new Etcd3({ hosts: etcd.endpoints });
    const lags: number[] = [];
    try {
      const until = Date.now() + 8_000;
      while (Date.now() < until) {
        const [status, slot] = await Promise.all([
          c.validator('a').status(),
          client.get(`/lag/${c.stakedPubkey}/slot`).string(),
        ]);
        const backed = slot === null ? null : Number.parseInt(slot, 10);
        if (status.lastVote !== null && backed !== null && Number.isFinite(backed))
          lags.push(Math.max(0, status.lastVote - backed));
        await new Promise((resolve) => setTimeout(resolve, 37));
      }
    } finally {
      client.close();
    }
    lags.sort((x, y) => x - y);
    const pick = (q: number): number => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? NaN;
    process.stdout.write(
      `backup lag at ${slotMs} ms slots: ${lags.length} samples, p50 ${pick(0.5)} p95 ${pick(0.95)} max ${lags.at(-1)} slots\n`,
    );
    expect(lags.length).toBeGreaterThan(20);
    expect(pick(0.5)).toBeLessThan(20);
  });
});
