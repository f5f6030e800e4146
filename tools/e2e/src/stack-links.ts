/**
 * Every network link of a stack routed through a cuttable TCP proxy, so a fault campaign can
 * cut and heal one link, or isolate one host from everything, while the programs keep running:
 * manager → each agent, each agent → its peer, each agent → each etcd member, and each agent's
 * cluster RPC (the `solana gossip` its gossip check runs). A validator's own link to the
 * cluster is the simulator's (`cluster.cut(name, 'cluster')`), not a proxy.
 */
import { startCuttableProxy, type CutMode, type CuttableProxy } from '@failover/testkit';

/** The proxies of one agent's links; see {@link StackLinks}. */
export interface AgentLinks {
  /** The manager's way to this agent (its `endpoint` in `manager-config.json`). */
  readonly fromManager: CuttableProxy;
  /** This agent's way to its peer (its `peer_endpoint`). */
  readonly toPeer: CuttableProxy;
  /** This agent's way to each etcd member, in member order (its `etcd_endpoints`). */
  readonly toEtcd: readonly CuttableProxy[];
  /** This agent's way to the cluster RPC (`SOLANA_SIM_RPC_URL` of its commands). */
  readonly toCluster: CuttableProxy;
}

/** What the links are built from: the addresses the proxies forward to. */
export interface StackLinksInput {
  /** Agent name → `host:port` it listens on, for both agents. */
  readonly agents: ReadonlyArray<{ readonly name: string; readonly listen: string }>;
  /** etcd client URLs (`http://host:port`), empty without etcd. */
  readonly etcdEndpoints: readonly string[];
  /** The cluster RPC URL. */
  readonly clusterRpcUrl: string;
}

/** The proxies of a stack, per agent. */
export interface StackLinks {
  /** Links of the agent named `name`. */
  of(name: string): AgentLinks;
  /** Every proxy, for reports. */
  all(): readonly CuttableProxy[];
  /**
   * Cuts every link that reaches the agent `name` or leaves it: manager → it, peer → it, it →
   * peer, it → etcd, it → cluster RPC. With `cluster.cut(name, 'cluster')` this is the host
   * losing its network.
   */
  isolate(name: string, mode?: CutMode): Promise<void>;
  /** Heals every cut link. */
  healAll(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts one proxy per link; on any failure the ones already started are stopped. */
export async function startStackLinks(input: StackLinksInput): Promise<StackLinks> {
  const started: CuttableProxy[] = [];
  const proxy = async (target: string): Promise<CuttableProxy> => {
    const p = await startCuttableProxy({ target });
    started.push(p);
    return p;
  };
  const byName = new Map<string, AgentLinks>();
  try {
    for (const agent of input.agents) {
      const peer = input.agents.find((other) => other.name !== agent.name);
      if (peer === undefined) throw new Error(`agent ${agent.name} has no peer to link to`);
      byName.set(agent.name, {
        fromManager: await proxy(agent.listen),
        toPeer: await proxy(peer.listen),
        toEtcd: await Promise.all(input.etcdEndpoints.map((url) => proxy(hostPort(url)))),
        toCluster: await proxy(hostPort(input.clusterRpcUrl)),
      });
    }
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    throw error;
  }
  const of = (name: string): AgentLinks => {
    const links = byName.get(name);
    if (links === undefined) throw new Error(`no links for agent '${name}' (have ${[...byName.keys()].join(', ')})`);
    return links;
  };
  return {
    of,
    all: () => started,
    async isolate(name, mode = 'blackhole') {
      const own = of(name);
      const peerInbound = [...byName.entries()].filter(([other]) => other !== name).map(([, links]) => links.toPeer);
      await Promise.all(
        [own.fromManager, own.toPeer, ...own.toEtcd, own.toCluster, ...peerInbound].map((p) => p.cut(mode)),
      );
    },
    async healAll() {
      await Promise.all(started.filter((p) => p.mode !== undefined).map((p) => p.heal()));
    },
    async stop() {
      await Promise.all(started.map((p) => p.stop()));
    },
  };
}

function hostPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}`;
}
