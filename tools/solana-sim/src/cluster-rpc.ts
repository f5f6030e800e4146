import type { ClusterState, RpcBackend } from './cluster-state';
import { contactInfo, epochOf, isDelinquent, leaderSchedule, voteAccountInfo } from './cluster-model';
import { commitmentOf, methodNotFound, slotAtCommitment } from './internal/json-rpc';

/**
 * The cluster's Solana JSON-RPC methods, with the response shapes of agave's rpc.rs (checked
 * against the RPC docs: getSlot, getEpochInfo, getClusterNodes, getVoteAccounts,
 * getLeaderSchedule, getHealth, getIdentity, getVersion).
 */
export function handleClusterRpc(
  state: ClusterState,
  method: string,
  params: unknown[],
  backend: RpcBackend | undefined = undefined,
): unknown {
  const tip = state.slot();
  switch (method) {
    case 'getSlot':
      return slotAtCommitment(tip, commitmentOf(params, 0));
    case 'getEpochInfo':
      return epochInfo(state, slotAtCommitment(tip, commitmentOf(params, 0)));
    case 'getHealth':
      return 'ok';
    case 'getIdentity':
      return { identity: state.config.rpcIdentity };
    case 'getVersion':
      return { 'solana-core': state.config.version, 'feature-set': state.config.featureSet };
    case 'getClusterNodes':
      return clusterNodes(state);
    case 'getVoteAccounts':
      return voteAccounts(state, tip, params[0], backend);
    case 'getLeaderSchedule':
      return schedule(state, tip, params);
    case 'getHighestSnapshotSlot':
      return { full: tip - (tip % 25_000), incremental: tip - (tip % 100) };
    default:
      throw methodNotFound();
  }
}

/** getEpochInfo's shape at a slot. */
export function epochInfo(state: ClusterState, slot: number): Record<string, number> {
  const { epoch, slotIndex } = epochOf(state.config, slot);
  return {
    absoluteSlot: slot,
    // Skipped leader slots make block height trail the slot; a fixed 3 % is close enough.
    blockHeight: Math.floor(slot * 0.97),
    epoch,
    slotIndex,
    slotsInEpoch: state.config.slotsPerEpoch,
    transactionCount: slot * 1_200,
  };
}

function clusterNodes(state: ClusterState): Record<string, unknown>[] {
  const nodes = [...state.gossip.values()].map((node) => contactInfo(state.config, node));
  for (const [i, peer] of state.config.peers.entries()) {
    nodes.push(
      contactInfo(state.config, {
        name: `peer-${i}`,
        ip: peer.ip,
        identity: peer.identity,
        rpcPort: null,
        gossipPort: 8001,
        tpuPort: 8003,
        version: state.config.version,
      }),
    );
  }
  return nodes;
}

function voteAccounts(
  state: ClusterState,
  tip: number,
  config: unknown,
  backend: RpcBackend | undefined,
): { current: unknown[]; delinquent: unknown[] } {
  const options = (config ?? {}) as { votePubkey?: string; delinquentSlotDistance?: number };
  const current: unknown[] = [];
  const delinquent: unknown[] = [];
  for (const live of state.accounts.values()) {
    const frozen = backend?.frozenVotes?.get(live.nodePubkey);
    const account = frozen === undefined ? live : { ...live, ...frozen };
    if (options.votePubkey !== undefined && options.votePubkey !== account.votePubkey) continue;
    const bucket = isDelinquent(account, tip, options.delinquentSlotDistance) ? delinquent : current;
    bucket.push(voteAccountInfo(account));
  }
  return { current, delinquent };
}

function schedule(state: ClusterState, tip: number, params: unknown[]): Record<string, number[]> | null {
  const [first, second] = params;
  const slotParam = typeof first === 'number' ? first : tip;
  const options = (typeof first === 'object' && first !== null ? first : (second ?? {})) as { identity?: string };
  // Only the current epoch's schedule is known, as on a node that has not seen the next one.
  if (epochOf(state.config, slotParam).epoch !== epochOf(state.config, tip).epoch) return null;
  const full = leaderSchedule(state.config);
  if (options.identity === undefined) return full;
  const mine = full[options.identity];
  return mine ? { [options.identity]: mine } : {};
}
