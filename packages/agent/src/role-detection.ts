import { findNodeByPubkey, parseGossipTable, type GossipNode, type Logger } from '@failover/core';
import type { RpcResult } from '@failover/protocol';
import type { CommandResult } from './command-runner';

/** The role to start in, and what decided it (logged at start-up). */
export interface StartRole {
  readonly role: 'active' | 'passive';
  readonly decidedBy: 'local-identity' | 'gossip-command' | 'cluster-rpc' | 'is_active_on_start';
  readonly detail: string;
}

/** What {@link detectStartRole} can consult; every source is optional. */
export interface RoleSources {
  readonly stakedIdentity: string;
  /** `is_active_on_start`, the last resort. */
  readonly isActiveOnStart: boolean;
  /** The validator's identity from its local RPC. */
  readonly localIdentity?: () => Promise<RpcResult<string>>;
  /** Runs `gossip_check_command`. */
  readonly gossipCheck?: () => Promise<CommandResult>;
  /** The cluster RPC's `getClusterNodes`. */
  readonly clusterNodes?: () => Promise<RpcResult<readonly GossipNode[]>>;
  /** `local_ip`, or detected from the interfaces. */
  readonly localIp?: string;
  readonly logger: Logger;
}

/**
 * Decides the role at start-up. The validator's own identity, when its RPC answers, decides
 * over everything else: it is what the validator votes with right now, while gossip keeps the
 * previous holder's entry for a while after a switch. Otherwise the gossip command or the
 * cluster RPC is compared with the local IP; otherwise `is_active_on_start`. A check that fails
 * never makes a voting validator claim passive (the manager would then promote its peer: two
 * voters).
 */
export async function detectStartRole(sources: RoleSources): Promise<StartRole> {
  const { stakedIdentity, logger } = sources;
  const local = sources.localIdentity ? await sources.localIdentity() : undefined;
  const fromGossip = await gossipRole(sources);
  if (local?.ok) {
    const role = local.value === stakedIdentity ? 'active' : 'passive';
    if (fromGossip && fromGossip.role !== role) {
      logger.warn(
        { gossip: fromGossip.detail },
        `gossip says ${fromGossip.role}, but the validator runs ${local.value}; trusting the validator`,
      );
    }
    return {
      role,
      decidedBy: 'local-identity',
      detail: `the validator runs ${role === 'active' ? 'the staked identity' : `${local.value}, not the staked identity`}`,
    };
  }
  if (local && !local.ok) logger.warn({ error: local.message }, 'cannot read the validator identity at start-up');
  if (fromGossip) return fromGossip;
  const role = sources.isActiveOnStart ? 'active' : 'passive';
  return {
    role,
    decidedBy: 'is_active_on_start',
    detail: `no working check; is_active_on_start is ${sources.isActiveOnStart}`,
  };
}

async function gossipRole(sources: RoleSources): Promise<StartRole | undefined> {
  const { stakedIdentity, localIp, logger } = sources;
  if (localIp === undefined) return undefined;
  if (sources.gossipCheck) {
    const result = await sources.gossipCheck();
    const ip = result.ok ? findNodeByPubkey(parseGossipTable(result.stdout), stakedIdentity)?.ip : undefined;
    if (ip !== undefined) {
      const role = ip === localIp ? 'active' : 'passive';
      return {
        role,
        decidedBy: 'gossip-command',
        detail: `gossip shows the staked identity at ${ip}; local IP ${localIp}`,
      };
    }
    logger.warn({ exit_code: result.exitCode }, `gossip_check_command gave no line for ${stakedIdentity}`);
  }
  if (sources.clusterNodes) {
    const nodes = await sources.clusterNodes();
    if (!nodes.ok) {
      logger.warn({ error: nodes.message }, 'cannot read getClusterNodes at start-up');
      return undefined;
    }
    const ip = findNodeByPubkey(nodes.value, stakedIdentity)?.ip;
    if (ip === undefined)
      return { role: 'passive', decidedBy: 'cluster-rpc', detail: `the staked identity is not in gossip` };
    const role = ip === localIp ? 'active' : 'passive';
    return {
      role,
      decidedBy: 'cluster-rpc',
      detail: `getClusterNodes shows the staked identity at ${ip}; local IP ${localIp}`,
    };
  }
  return undefined;
}
