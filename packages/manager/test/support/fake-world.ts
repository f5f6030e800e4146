/**
 * A small in-memory world for the monitor's unit tests: two agents and a cluster that
 * react to failover calls the way the real ones do, on a simulated clock. The monitor under
 * test is real; only the machines around it are simulated. Cross-process behaviour is
 * covered by the integration tests with real agents and the simulator.
 */
import type { NodeId, NodeObservation } from '@failover/core';
import type { SimulatedClock } from '@failover/core/testing';
import type { ClusterRpc, RpcResult, VoteAccountInfo } from '@failover/protocol';
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
  /** A role change of the agent's own still running: `409 busy` until `until`, then `active` becomes `thenActive`. */
  busy: { until: number; role: 'activating' | 'deactivating'; thenActive: boolean } | null;
  /** Last voted slot of the newest tower this agent can restore; a `min_tower_slot` above it is refused. Undefined: no check (an agent before S2). */
  towerSlot?: number | null;
  /** become_active answers success but the validator never takes the identity; the agent then reports `unconfirmed` (chaos finding F3's agent). */
  claimsWithoutIdentity: boolean;
  /** Reports the role `unconfirmed` (is_active, never seen running the staked identity). */
  unconfirmed: boolean;
  /** Holds the staked identity but its votes never land (cut off from the cluster). */
  mute: boolean;
  /** What `check_promote` answers: its `pre_promote` passed, or failed without having to succeed (warnings), or the agent predates the check (HTTP 400). @default passed */
  checkPromote: 'passed' | { readonly warnings: readonly string[] } | 'unsupported';
  calls: { action: string; reason: string; skipIdentity: boolean; minTowerSlot?: number; at: number }[];
  /** When the agent saw its validator exit (`processExitedAt` while not running); null: it did not see one. */
  exitedAt: number | null;
  /** What `/watch` does: answers as an agent does, or as one without the route (404). @default 'answers' */
  watch: 'answers' | 'unsupported';
  /** `/watch` requests received. */
  watches: number;
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
  const node = (active: boolean): FakeNode => ({
    reachable: true,
    processRunning: true,
    healthy: true,
    active,
    lastTowerBackup: null,
    failing: {},
    busy: null,
    claimsWithoutIdentity: false,
    unconfirmed: false,
    mute: false,
    checkPromote: 'passed',
    calls: [],
    exitedAt: null,
    watch: 'answers',
    watches: 0,
  });
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
    if (Object.values(nodes).some((n) => n.active && n.processRunning && !n.mute)) world.lastVote = slot();
  }

  function agent(id: NodeId): AgentPort {
    const n = nodes[id];
    const settle = (): void => {
      if (n.busy !== null && clock.now() >= n.busy.until) {
        n.active = n.busy.thenActive;
        n.busy = null;
      }
    };
    return {
      async status(): Promise<NodeObservation> {
        if (!n.reachable) return { reachable: false, reason: 'timeout', detail: `no answer from ${id}` };
        settle();
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
            isActive: n.active || n.unconfirmed,
            lastTowerBackup: n.lastTowerBackup,
            identityPubkey: n.active ? STAKED : `Unstaked${id}`,
            role: n.busy?.role ?? (n.active ? 'active' : n.unconfirmed ? 'unconfirmed' : 'passive'),
            timestamp: clock.now(),
            ...(!n.processRunning && n.exitedAt !== null ? { processExitedAt: n.exitedAt } : {}),
          },
        };
      },
      // Held as the agent holds it: checked every 10 ms of simulated time until the process is
      // otherwise than the manager believes, `waitMs` passes or the manager gives up.
      watch(processRunning, waitMs, signal) {
        n.watches += 1;
        if (n.watch === 'unsupported')
          return Promise.resolve({ ok: false, unsupported: true, detail: 'HTTP 404: Route POST:/watch not found' });
        const deadline = clock.now() + waitMs;
        return new Promise((resolve) => {
          let timer = clock.setTimeout(check, 0);
          const abort = (): void => {
            clock.clearTimeout(timer);
            resolve({ ok: false, unsupported: false, detail: 'aborted' });
          };
          signal.addEventListener('abort', abort, { once: true });
          function check(): void {
            if (!n.reachable) {
              signal.removeEventListener('abort', abort);
              return resolve({ ok: false, unsupported: false, detail: `no answer from ${id}` });
            }
            if (n.processRunning === processRunning && clock.now() < deadline) {
              timer = clock.setTimeout(check, 10);
              return;
            }
            signal.removeEventListener('abort', abort);
            resolve({ ok: true, running: n.processRunning, exitedAt: n.processRunning ? null : n.exitedAt });
          }
        });
      },
      async failover({ action, reason, skipIdentity, minTowerSlot }): Promise<FailoverCallResult> {
        if (action === 'check_promote') {
          if (!n.reachable) return { ok: false, detail: 'timeout', refusal: null };
          if (n.checkPromote === 'unsupported')
            return {
              ok: false,
              detail: 'HTTP 400: body/action must be equal to one of the allowed values',
              refusal: { kind: 'unsupported' },
            };
          if (n.checkPromote === 'passed')
            return { ok: true, success: true, message: 'no pre_promote hook configured', dryRun: false };
          return {
            ok: true,
            success: true,
            message: 'pre_promote ran',
            warnings: n.checkPromote.warnings,
            dryRun: false,
          };
        }
        n.calls.push({
          action,
          reason,
          skipIdentity,
          at: clock.now(),
          ...(minTowerSlot === undefined ? {} : { minTowerSlot }),
        });
        if (!n.reachable) return { ok: false, detail: 'timeout', refusal: null };
        settle();
        if (n.busy !== null)
          return {
            ok: false,
            detail: 'FAILOVER_BUSY (HTTP 409): a failover request is being executed',
            refusal: { kind: 'busy' },
          };
        if (
          action === 'become_active' &&
          minTowerSlot !== undefined &&
          n.towerSlot !== undefined &&
          (n.towerSlot === null || n.towerSlot < minTowerSlot)
        ) {
          return {
            ok: false,
            detail: 'FAILOVER_TOWER_STALE (HTTP 422): tower too old',
            refusal: { kind: 'stale-tower', towerSlot: n.towerSlot, lastVote: minTowerSlot },
          };
        }
        const failure = n.failing[action];
        if (failure !== undefined) {
          return { ok: true, success: false, message: failure, dryRun: false };
        }
        if (action === 'become_active' && !skipIdentity && n.claimsWithoutIdentity) {
          n.unconfirmed = true;
        } else if (action === 'become_passive') {
          n.active = false;
          n.unconfirmed = false;
          n.lastTowerBackup = clock.now();
        } else if (!skipIdentity) {
          n.active = true;
        }
        return { ok: true, success: true, message: 'done', dryRun: false };
      },
    };
  }

  function cluster(): ClusterRpc {
    const endpoint = 'http://cluster.invalid';
    const down = { ok: false, reason: 'unreachable', message: 'cluster RPC down', endpoint } as const;
    const account = (): VoteAccountInfo => ({
      votePubkey: VOTE,
      nodePubkey: STAKED,
      lastVote: world.lastVote,
      rootSlot: 0,
      delinquent: slot() - world.lastVote > 128,
      activatedStake: 1,
    });
    return {
      getSlot: async (): Promise<RpcResult<number>> =>
        world.clusterDown ? down : { ok: true, value: slot(), endpoint },
      getVoteAccount: async () => (world.clusterDown ? down : { ok: true, value: account(), endpoint }),
      getSlotAndVoteAccount: async () =>
        world.clusterDown ? down : { ok: true, value: { slot: slot(), vote: account() }, endpoint },
      getClusterNodes: async () => down,
      getEpochInfo: async () => down,
      getLeaderSlots: async () => ({ ok: true, value: [], endpoint }),
    };
  }
  return world;
}
