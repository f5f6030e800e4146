import { startCluster, type SimCluster } from '@failover/solana-sim';
import { startEtcd, tempDir, type EtcdCluster, type TempDir } from '@failover/testkit';
import { randomBytes } from 'node:crypto';
import { startAgents, type RunningAgent, type StartAgentsOptions } from './sim-agents';

/** A fresh simulated pair, a real etcd and a temp dir per test, all stopped after it. */
export interface SimBed {
  readonly cluster: SimCluster;
  readonly etcd: EtcdCluster;
  readonly dir: TempDir;
  /** Starts one agent per validator (etcd reachable for the etcdctl shim); stopped after the test. */
  startAgents(options?: Omit<StartAgentsOptions, 'cluster' | 'dir'>): Promise<RunningAgent[]>;
}

/**
 * Registers the hooks of a test file's bed: before each test a simulated cluster of two
 * validators at 50 ms slots, a one-member etcd and a temp dir; after each, even a failed one,
 * the agents, the cluster and etcd stopped and the dir removed. Process names are drawn per bed:
 * suites run side by side on one host, and an agent matching another suite's validator by name
 * would take its crash for a live process.
 */
export function useSimBed(name: string): SimBed {
  let current: { cluster: SimCluster; etcd: EtcdCluster; dir: TempDir } | undefined;
  let agents: RunningAgent[] = [];
  // A restarted agent is a new one; it is stopped after the test like the first.
  const track = (agent: RunningAgent): RunningAgent => {
    agents.push(agent);
    return { ...agent, restart: async () => track(await agent.restart()) };
  };
  const now = (): NonNullable<typeof current> => {
    if (current === undefined) throw new Error(`the ${name} bed is used outside a test`);
    return current;
  };

  beforeEach(async () => {
    const tag = randomBytes(3).toString('hex');
    const dir = tempDir(name);
    const etcd = await startEtcd().catch((error: unknown) => {
      dir.remove();
      throw error;
    });
    const cluster = await startCluster({
      validators: [
        { name: 'a', processName: `sim-${tag}-a` },
        { name: 'b', processName: `sim-${tag}-b` },
      ],
      slotMs: 50,
    }).catch(async (error: unknown) => {
      // afterEach sees no bed when this one did not start: what did start is stopped here.
      await etcd.stop();
      dir.remove();
      throw error;
    });
    current = { cluster, etcd, dir };
  });

  afterEach(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    agents = [];
    await current?.cluster.stop();
    await current?.etcd.stop();
    current?.dir.remove();
    current = undefined;
  });

  return {
    get cluster() {
      return now().cluster;
    },
    get etcd() {
      return now().etcd;
    },
    get dir() {
      return now().dir;
    },
    async startAgents(options = {}) {
      const { cluster, etcd, dir } = now();
      const started = await startAgents({
        ...options,
        cluster,
        dir: dir.path,
        env: { ETCDCTL_ENDPOINTS: etcd.endpoints.join(','), ...options.env },
      });
      return started.map(track);
    },
  };
}
