import { ALPENGLOW_FEATURE_ID, featureAccountInfo, genesisCertificate, speaksAlpenglow } from './alpenglow';
import type { AgGenesisCert } from './alpenglow';
import type { ClusterState, RpcBackend } from './cluster-state';
import { finalizedSlot, genesisSlot } from './cluster-state';
import { contactInfo, epochOf, isDelinquent, leaderSchedule, voteAccountInfo } from './cluster-model';
import { commitmentOf, invalidParams, methodNotFound, slotAtCommitment } from './internal/json-rpc';

/**
 * The cluster's Solana JSON-RPC methods, with the response shapes of agave's rpc.rs (checked
 * against the RPC docs: getSlot, getEpochInfo, getClusterNodes, getVoteAccounts,
 * getLeaderSchedule, getHealth, getIdentity, getVersion, getAccountInfo for the Alpenglow feature
 * account, getAgGenesisCert).
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
      return slotAtCommitment(tip, commitmentOf(params, 0), finalizedSlot(state));
    case 'getEpochInfo':
      return epochInfo(state, slotAtCommitment(tip, commitmentOf(params, 0), finalizedSlot(state)));
    case 'getAccountInfo':
      return accountInfo(state, params);
    case 'getAgGenesisCert':
      return clusterGenesisCert(state);
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

/**
 * getAccountInfo: the Alpenglow feature account once the feature is submitted (activated_at
 * None while its slot is ahead, Some(slot) from then); every other account does not exist here.
 */
function accountInfo(state: ClusterState, params: unknown[]): unknown {
  const [pubkey, config] = params;
  if (typeof pubkey !== 'string') throw invalidParams('invalid type: expected a base-58 public key string');
  const options = (config ?? {}) as { encoding?: unknown };
  const tip = state.slot();
  const context = {
    apiVersion: state.config.version,
    slot: slotAtCommitment(tip, commitmentOf(params, 1), finalizedSlot(state)),
  };
  const activation = state.consensus.activationSlot;
  if (pubkey !== ALPENGLOW_FEATURE_ID || activation === null) return { context, value: null };
  const activatedAt = activation <= context.slot ? activation : null;
  switch (options.encoding) {
    case undefined:
    case 'binary':
      return { context, value: featureAccountInfo(activatedAt, 'binary') };
    case 'base58':
      return { context, value: featureAccountInfo(activatedAt, 'base58') };
    case 'base64':
    case 'jsonParsed':
      // agave has no parser for feature accounts; jsonParsed falls back to base64.
      return { context, value: featureAccountInfo(activatedAt, 'base64') };
    default:
      throw invalidParams(
        `unknown variant \`${String(options.encoding)}\`, expected one of \`binary\`, \`base58\`, \`base64\`, \`jsonParsed\``,
      );
  }
}

/** getAgGenesisCert: method not found before agave 4.3; null until the switch, then the certificate. */
function clusterGenesisCert(state: ClusterState): AgGenesisCert | null {
  if (!speaksAlpenglow(state.config.version)) throw methodNotFound();
  const genesis = genesisSlot(state);
  if (genesis === null || state.slot() < genesis) return null;
  return genesisCertificate(genesis, 'cluster', state.accounts.size);
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
    // An account excluded by VAT is not eligible to vote this epoch: agave lists it as delinquent.
    const eligible = !state.consensus.vatExcluded.has(account.votePubkey);
    const bucket = !eligible || isDelinquent(account, tip, options.delinquentSlotDistance) ? delinquent : current;
    bucket.push(voteAccountInfo(account, eligible));
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
