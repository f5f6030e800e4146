/**
 * Executes one action of core's failover plan against the real world and reports a
 * `StepResult`. Which step runs next, retries and rollbacks are decided by core; this file
 * only does the I/O and judges the evidence, each action within its time limit.
 */
import { mayHoldIdentity, proveStoppedVoting } from '@failover/core';
import type { Clock, FailoverAction, NodeId, NodeObservation, Observation, StepResult, VoteProofRules } from '@failover/core';
import type { ClusterRpc } from './cluster-rpc';
import type { GossipReader } from './gossip-source';
import { sleep } from './internal/system-clock';
import type { IdentityPusher, PushTarget } from './ssh-identity-pusher';

/** The answer of an agent to `POST /failover`. */
export type FailoverCallResult =
  | { readonly ok: true; readonly success: boolean; readonly message: string; readonly dryRun: boolean }
  | { readonly ok: false; readonly detail: string };

/** What the manager needs from one agent; built over protocol's typed client. */
export interface AgentPort {
  /** `POST /status`, already mapped to a domain observation (unreachable is a value). */
  status(): Promise<NodeObservation>;
  /** `POST /failover`; `timeoutMs` is the plan step's limit, since a demotion may restart the validator. */
  failover(action: 'become_active' | 'become_passive', reason: string, skipIdentity: boolean, timeoutMs: number): Promise<FailoverCallResult>;
}

/** Everything the executor acts on. */
export interface ExecutorContext {
  readonly agents: Readonly<Record<NodeId, AgentPort>>;
  readonly rpc: ClusterRpc;
  readonly clock: Clock;
  /** Where gossip places the staked identity; undefined when neither gossip source is available. */
  readonly gossip: GossipReader | undefined;
  readonly stakedIdentityPubkey: string | undefined;
  readonly voteAccountPubkey: string | undefined;
  /** The limits of the "stopped voting" proof (core decides with them). */
  readonly voteProof: VoteProofRules;
  /** The monitor's latest observation, the base a fresh proof reading is laid over. */
  readonly lastObservation: () => Observation | null;
  /** Secure identity mode: the pusher and where each node is reached over SSH. */
  readonly pusher: IdentityPusher | undefined;
  readonly pushTargets: Readonly<Record<NodeId, PushTarget>> | undefined;
  /** Between two polls of a verify step. @default 250 */
  readonly pollMs?: number;
}

/** What the executor remembers across the steps of one run. */
export interface RunMemory {
  /** Why the failover happens; sent to the agents. */
  readonly reason: string;
  /** When each node's demotion was sent, by the manager's clock. */
  readonly demotedAt: Partial<Record<NodeId, number>>;
  /** The vote account's `lastVote` before the promotion, to see it advance. */
  lastVoteBeforePromotion?: number;
}

/** Runs one action; never throws, and returns within `timeoutMs` (plus one request's deadline). */
export async function executeAction(ctx: ExecutorContext, memory: RunMemory, action: FailoverAction, timeoutMs: number): Promise<StepResult> {
  const deadline = ctx.clock.now() + timeoutMs;
  try {
    switch (action.kind) {
      case 'demote':
        return await demote(ctx, memory, action.node, timeoutMs);
      case 'verify-demotion':
        return await pollUntil(ctx, deadline, () => checkDemoted(ctx, action.node));
      case 'prove-stopped-voting':
        return await proveStopped(ctx, action.node);
      case 'final-tower-backup':
        return await pollUntil(ctx, deadline, () => checkFinalBackup(ctx, memory, action.node));
      case 'restore-tower':
        return await callFailover(ctx, memory, action.node, 'become_active', true, timeoutMs);
      case 'promote':
        return await promote(ctx, memory, action.node, action.via, timeoutMs);
      case 'verify-voting':
        return await pollUntil(ctx, deadline, () => checkVoting(ctx, memory, action.node));
    }
  } catch (error) {
    return { ok: false, detail: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function demote(ctx: ExecutorContext, memory: RunMemory, node: NodeId, timeoutMs: number): Promise<StepResult> {
  memory.demotedAt[node] = ctx.clock.now();
  return callFailover(ctx, memory, node, 'become_passive', false, timeoutMs);
}

async function callFailover(
  ctx: ExecutorContext,
  memory: RunMemory,
  node: NodeId,
  action: 'become_active' | 'become_passive',
  skipIdentity: boolean,
  timeoutMs: number,
): Promise<StepResult> {
  const answer = await ctx.agents[node].failover(action, memory.reason, skipIdentity, timeoutMs);
  if (!answer.ok) return { ok: false, detail: `${action} to ${node}: ${answer.detail}` };
  if (!answer.success) return { ok: false, detail: `${action} on ${node} failed: ${answer.message}` };
  return { ok: true };
}

async function promote(ctx: ExecutorContext, memory: RunMemory, node: NodeId, via: 'agent' | 'ssh', timeoutMs: number): Promise<StepResult> {
  memory.lastVoteBeforePromotion = await currentLastVote(ctx);
  if (via === 'agent') return callFailover(ctx, memory, node, 'become_active', false, timeoutMs);
  const target = ctx.pushTargets?.[node];
  if (ctx.pusher === undefined || target === undefined) {
    return { ok: false, detail: `secure identity mode is not configured for ${node}` };
  }
  const pushed = await ctx.pusher.pushIdentity(target);
  return pushed.ok ? { ok: true } : { ok: false, detail: `identity push to ${node} failed at ${pushed.stage}: ${pushed.message}` };
}

/** The agent and gossip both agree the node no longer holds the staked identity. */
async function checkDemoted(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  if (mayHoldIdentity(status, ctx.stakedIdentityPubkey ?? null)) {
    return { ok: false, detail: `${node} may still hold the staked identity (role ${status.role ?? (status.isActive ? 'active' : 'passive')}, identity ${status.identityPubkey ?? 'not reported'})` };
  }
  if (ctx.gossip !== undefined) {
    const gossip = await ctx.gossip.read();
    // Gossip keeps the old entry for a while after set-identity; the step polls until it moves.
    if (gossip.ok && gossip.value.holder === node) return { ok: false, detail: `gossip still places the staked identity at ${node} (${gossip.value.ip})` };
  }
  return { ok: true };
}

/**
 * The old active cannot be asked, so the cluster must show it stopped. The vote account and
 * the slot are read afresh, together, and core's proof rule judges them: no vote account
 * configured, or no answer, is no proof and no promotion (S1 over L1).
 */
async function proveStopped(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  const base = ctx.lastObservation();
  if (ctx.voteAccountPubkey === undefined) {
    return { ok: false, detail: 'vote_account_pubkey is not configured, so nothing can prove the old active stopped voting' };
  }
  if (base === null) return { ok: false, detail: 'nothing observed yet' };
  const [slot, vote] = await Promise.all([ctx.rpc.getSlot(), ctx.rpc.getVoteAccount(ctx.voteAccountPubkey)]);
  const at = ctx.clock.now();
  const observation: Observation = {
    ...base,
    at,
    clusterSlot: slot.ok ? { slot: slot.value, observedAt: at } : null,
    vote: vote.ok && vote.value !== undefined ? { lastVote: vote.value.lastVote, delinquent: vote.value.delinquent, observedAt: at } : null,
  };
  const proof = proveStoppedVoting(observation, node, ctx.voteProof);
  if (proof.proven) return { ok: true };
  const cause = proof.cause;
  return cause.kind === 'old-active-still-voting'
    ? { ok: false, detail: `vote account last voted at slot ${cause.lastVote}, ${cause.clusterSlot - cause.lastVote} slots behind ${cause.clusterSlot}; ${node} may still vote` }
    : { ok: false, detail: `no proof that ${node} stopped voting: ${cause.detail}${slot.ok ? '' : ` (${slot.message})`}${vote.ok ? '' : ` (${vote.message})`}` };
}

/**
 * The tower store holds the node's last vote. The agent backs the tower up after the
 * identity is removed and skips the upload when the file is unchanged (the store already
 * has it), so the backup's time says little; what matters is that the backed-up tower
 * reaches at least the vote account's last landed vote, read now. Without a vote account or
 * tower details (a Go agent), the backup must at least be from after the demotion; agent
 * timestamps have one-second resolution, hence the allowance.
 */
async function checkFinalBackup(ctx: ExecutorContext, memory: RunMemory, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  const landed = await currentLastVote(ctx);
  if (status.tower !== undefined && landed !== undefined) {
    return status.tower.lastVoteSlot >= landed
      ? { ok: true }
      : { ok: false, detail: `${node}'s backed-up tower ends at slot ${status.tower.lastVoteSlot}, before the last landed vote ${landed}${status.error ? ` (${status.error})` : ''}` };
  }
  const since = (memory.demotedAt[node] ?? ctx.clock.now()) - BACKUP_TIME_ALLOWANCE_MS;
  if (status.lastTowerBackup === null || status.lastTowerBackup < since) {
    return { ok: false, detail: `${node} has no tower backup taken after its demotion${status.error ? ` (${status.error})` : ''}` };
  }
  return { ok: true };
}

const BACKUP_TIME_ALLOWANCE_MS = 1000;

/** The node runs with the staked identity and the vote account's `lastVote` moved past its value before the promotion. */
async function checkVoting(ctx: ExecutorContext, memory: RunMemory, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  if (ctx.stakedIdentityPubkey !== undefined && status.identityPubkey !== undefined && status.identityPubkey !== ctx.stakedIdentityPubkey) {
    return { ok: false, detail: `${node} runs with ${status.identityPubkey}, not the staked identity` };
  }
  if (!status.isActive) return { ok: false, detail: `${node} does not report itself active` };
  if (ctx.voteAccountPubkey === undefined) return { ok: true };
  const lastVote = await currentLastVote(ctx);
  if (lastVote === undefined) return { ok: false, detail: 'vote account unavailable on the cluster RPC' };
  if (memory.lastVoteBeforePromotion !== undefined && lastVote <= memory.lastVoteBeforePromotion) {
    return { ok: false, detail: `no new vote yet (lastVote ${lastVote})` };
  }
  return { ok: true };
}

async function currentLastVote(ctx: ExecutorContext): Promise<number | undefined> {
  if (ctx.voteAccountPubkey === undefined) return undefined;
  const vote = await ctx.rpc.getVoteAccount(ctx.voteAccountPubkey);
  return vote.ok && vote.value !== undefined ? vote.value.lastVote : undefined;
}

async function pollUntil(ctx: ExecutorContext, deadline: number, check: () => Promise<StepResult>): Promise<StepResult> {
  for (;;) {
    const result = await check();
    if (result.ok || ctx.clock.now() >= deadline) return result;
    await sleep(ctx.clock, Math.min(ctx.pollMs ?? 250, Math.max(0, deadline - ctx.clock.now())));
  }
}
