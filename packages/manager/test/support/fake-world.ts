/**
 * A small in-memory world for the monitor's unit tests: two agents and a cluster that
 * react to failover calls the way the real ones do, on a simulated clock. The monitor under
 * test is real; only the machines around it are simulated. Cross-process behaviour is
 * covered by the integration tests with real agents and the simulator.
 */
import type { NodeId, NodeObservation } from '@failover/core';
import type { SimulatedClock } from '@failover/core/testing';
import type { ClusterRpc, RpcResult } from '../../src/cluster-rpc';
import type { AgentPort, FailoverCallResult } from '../../src/failover-executor';

export const STAKED = 'Stake11111111111111111111111111111111111111';
export const VOTE = 'Vote111111111111111111111111111111111111111';
export const SLOT_MS = 400;

export interface FakeNode {
  reachable: boolean;
  processRunning: boolean;
  healthy: boolean;
  /** Holds the staked identity and votes while running. */
  active: boolean;
  lastTowerBackup: number | null;
  /** Failover calls of this kind answer `success: false` with this message until cleared. */
  failing: Partial<Record<'become_active' | 'become_passive', string>>;
  calls: { action: string; skipIdentity: boolean; at: number }[];
}

export interface FakeWorld {
  readonly nodes: Record<NodeId, FakeNode>;
  readonly agents: Record<NodeId, AgentPort>;
  readonly rpc: ClusterRpc;
  /** Votes land while an active node runs; `votesFrozenAt` pins lastVote (a node voting unseen). */
  lastVote: number;
  clusterDown: boolean;
  slot(): number;
  /** Advances time and lets the active validator vote each slot. */
  advance(ms: number): void;
}

export function createFakeWorld(clock: SimulatedClock): FakeWorld {
  const node = (active: boolean): FakeNode => ({ reachable: true, processRunning: true, healthy: true, active, lastTowerBackup: null, failing: {}, calls: [] });
  const nodes: Record<NodeId, FakeNode> = { validator1: node(true), validator2: node(false) };
  const slot = (): number => Math.floor(clock.now() / SLOT_MS);

  const world: FakeWorld = {
    nodes,
    agents: { validator1: agent('validator1'), validator2: agent('validator2') },
    rpc: cluster(),
    lastVote: slot(),
    clusterDown: false,
    slot,
    advance(ms) {
      const step = 50;
      for (let done = 0; done < ms; done += step) {
        clock.advance(Math.min(step, ms - done));
        vote();
      }
    },
  };
  // A vote lands each slot from every running holder of the staked identity.
  function vote(): void {
    if (Object.values(nodes).some((n) => n.active && n.processRunning)) world.lastVote = slot();
  }

  function agent(id: NodeId): AgentPort {
    const n = nodes[id];
    return {
      async status(): Promise<NodeObservation> {
        if (!n.reachable) return { reachable: false, reason: 'timeout', detail: `no answer from ${id}` };
        return {
          reachable: true,
          latencyMs: 1,
          status: {
            processRunning: n.processRunning,
            processUptimeSec: n.processRunning ? 1000 : 0,
            processHealthy: n.processRunning,
            validatorSlot: n.processRunning ? slot() : 0,
            networkSlot: 0,
            slotDiff: 0,
            rpcHealthy: n.processRunning && n.healthy,
            isActive: n.active,
            lastTowerBackup: n.lastTowerBackup,
            identityPubkey: n.active ? STAKED : `Unstaked${id}`,
            role: n.active ? 'active' : 'passive',
            timestamp: clock.now(),
          },
        };
      },
      async failover(action, _reason, skipIdentity): Promise<FailoverCallResult> {
        n.calls.push({ action, skipIdentity, at: clock.now() });
        if (!n.reachable) return { ok: false, detail: 'timeout' };
        const failure = n.failing[action];
        if (failure !== undefined) {
          return { ok: true, success: false, message: failure, dryRun: false };
        }
        if (action === 'become_passive') {
          n.active = false;
          n.lastTowerBackup = clock.now();
        } else if (!skipIdentity) {
          n.active = true;
        }
        return { ok: true, success: true, message: 'done', dryRun: false };
      },
    };
  }

  function cluster(): ClusterRpc {
    const down = { ok: false, reason: 'unreachable', message: 'cluster RPC down' } as const;
    return {
      getSlot: async (): Promise<RpcResult<number>> => (world.clusterDown ? down : { ok: true, value: slot() }),
      getVoteAccount: async () =>
        world.clusterDown
          ? down
          : { ok: true, value: { votePubkey: VOTE, nodePubkey: STAKED, lastVote: world.lastVote, rootSlot: 0, delinquent: slot() - world.lastVote > 128, activatedStake: 1 } },
      getClusterNodes: async () => down,
      getEpochInfo: async () => down,
      getLeaderSlots: async () => ({ ok: true, value: [] }),
    };
  }
  return world;
}
