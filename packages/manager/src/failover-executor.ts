/**
 * Executes one action of core's failover plan against the real world and reports a
 * `StepResult`. Which step runs next, retries and rollbacks are decided by core; this file
 * only does the I/O and judges the evidence, each action within its time limit.
 */
import {
  decodeTower,
  decodeVoteHistory,
  mayHoldIdentity,
  newVoteMark,
  observedPhase,
  promotionFloors,
  proveStoppedVoting,
} from '@failover/core';
import type {
  Clock,
  FailoverAction,
  FailoverEvent,
  FailoverPlan,
  HookRefusal,
  Logger,
  ManagerHookName,
  NodeId,
  NodeObservation,
  Observation,
  StaleTowerRefusal,
  StepRefusal,
  StepResult,
  VoteProofRules,
} from '@failover/core';
import { sleep, type CarriedTower, type FinalTower } from '@failover/protocol';
import type { EvidenceReader } from './cluster-evidence';
import type { GossipReader } from './gossip-source';
import { proveHostFenced, type HostFence } from './host-fence';
import type { ManagerHookRunner } from './manager-hooks';
import type { IdentityPusher, PushTarget } from './ssh-identity-pusher';

/** A refusal of `POST /failover` the executor acts on rather than just reports. */
export type FailoverRefusal =
  /** `409 FAILOVER_BUSY`: the agent is in the middle of a role change. */
  | { readonly kind: 'busy' }
  /**
   * `422 FAILOVER_TOWER_STALE`: no tower reaching `min_tower_slot`, nothing was changed; or
   * `422 FAILOVER_VOTE_HISTORY_STALE`: no vote history reaching `min_vote_history_slot`.
   */
  | StaleTowerRefusal
  /** `422 FAILOVER_HOOK_REFUSED`: the `pre_promote` hook, which must succeed, refused; nothing was changed. */
  | HookRefusal
  /** A `check_promote` refused as a bad request: the agent predates the check (a Go agent, say). */
  | { readonly kind: 'unsupported' };

/** The answer of an agent to `POST /failover`. */
export type FailoverCallResult =
  | {
      readonly ok: true;
      readonly success: boolean;
      readonly message: string;
      readonly dryRun: boolean;
      /** What failed without stopping a completed change (a post hook, say); none when absent. */
      readonly warnings?: readonly string[];
      /** `become_passive`: the files its final backup stored, to carry to the next holder. */
      readonly finalTower?: FinalTower;
    }
  | { readonly ok: false; readonly detail: string; readonly refusal: FailoverRefusal | null };

/** A `POST /failover` request in domain terms. */
export interface FailoverCall {
  readonly action: 'become_active' | 'become_passive' | 'check_promote';
  readonly reason: string;
  readonly skipIdentity: boolean;
  /** `become_active`: the vote account's `lastVote`, which the restored tower must reach (S2). */
  readonly minTowerSlot?: number;
  /** `become_active` under Alpenglow: the vote account's `lastVote`, which the restored vote history must reach. */
  readonly minVoteHistorySlot?: number;
  /** `become_active`: the `pre_promote` hook passed this switchover's `check_promote`; the agent does not run it again. */
  readonly prePromoteChecked?: boolean;
  /** `become_active`: the demoted node's final tower, weighed by the restore beside the store's. */
  readonly carriedTower?: CarriedTower;
}

/** What the manager needs from one agent; built over protocol's typed client. */
export interface AgentPort {
  /** `POST /status`, already mapped to a domain observation (unreachable is a value). */
  status(): Promise<NodeObservation>;
  /** `POST /failover`; `timeoutMs` is the plan step's limit, since a demotion may restart the validator. */
  failover(request: FailoverCall, timeoutMs: number): Promise<FailoverCallResult>;
  /**
   * `POST /watch`: held by the agent until its validator process is found otherwise than
   * `processRunning`, or for `waitMs`. Absent: the monitor learns of exits from heartbeats only.
   */
  watch?(processRunning: boolean, waitMs: number, signal: AbortSignal): Promise<WatchOutcome>;
}

/** What a `/watch` came back with. */
export type WatchOutcome =
  | { readonly ok: true; readonly running: boolean; readonly exitedAt: number | null }
  /** `unsupported`: the agent has no `/watch` (a Go tool agent, an older one); asking again is pointless. */
  | { readonly ok: false; readonly unsupported: boolean; readonly detail: string };

/** A step's result, with the refusal that turns a failed promotion into a hold. */
export type ExecutedStep = StepResult & { readonly refusal?: StepRefusal };

/** Everything the executor acts on. */
export interface ExecutorContext {
  readonly agents: Readonly<Record<NodeId, AgentPort>>;
  /** The slot and the vote account, from every `cluster_rpc` endpoint, combined. */
  readonly evidence: EvidenceReader;
  readonly clock: Clock;
  /** Where gossip places the staked identity; undefined when neither gossip source is available. */
  readonly gossip: GossipReader | undefined;
  readonly stakedIdentityPubkey: string | undefined;
  readonly voteAccountPubkey: string | undefined;
  /** The limits of the "stopped voting" proof (core decides with them). */
  readonly voteProof: VoteProofRules;
  /** The monitor's latest observation, the base a fresh proof reading is laid over. */
  readonly lastObservation: () => Observation | null;
  /** `guard_bound` and `fence_command`: what fences an unreachable old active besides the vote proof. */
  readonly hostFence?: HostFence;
  /** The operator's `hooks.pre_failover` and `hooks.post_failover`; none configured when undefined. */
  readonly hooks?: ManagerHookRunner | undefined;
  /** Secure identity mode: the pusher and where each node is reached over SSH. */
  readonly pusher: IdentityPusher | undefined;
  readonly pushTargets: Readonly<Record<NodeId, PushTarget>> | undefined;
  /** Between two polls of a verify step, once the first quick ones found nothing. @default 250 */
  readonly pollMs?: number;
  /** The first wait of a verify step, doubled after each poll up to `pollMs`. @default 50 */
  readonly firstPollMs?: number;
  /** Where a long step reports its progress; none when omitted. */
  readonly progress?: { readonly log: Logger; readonly notify: (event: FailoverEvent) => void };
  /** `verify voting` logs what it waits for this often. @default 5000 */
  readonly progressLogMs?: number;
  /** `verify voting` notifies once when no vote has landed after this long. @default 15000 */
  readonly noVoteNotifyMs?: number;
  /** Reads of the tower floor before a promotion is refused for want of one. @default 3 */
  readonly floorAttempts?: number;
  /** The wait between two reads of the tower floor. @default 1000 */
  readonly floorRetryMs?: number;
}

/** What the executor remembers across the steps of one run. */
export interface RunMemory {
  /** Why the failover happens; sent to the agents. */
  readonly reason: string;
  /** The plan, its journal id and the term running it, as the manager's hooks are told. */
  readonly failover?: { readonly plan: FailoverPlan; readonly run: number; readonly term: number };
  /** When each node's demotion was sent, by the manager's clock. */
  readonly demotedAt: Partial<Record<NodeId, number>>;
  /** The vote account's `lastVote` before the promotion, to see it advance. */
  lastVoteBeforePromotion?: number;
  /** The node whose `pre_promote` hook passed this run's `check_promote`. */
  prePromoteChecked?: NodeId;
  /**
   * The final tower a demotion in this run answered with, carried to every promotion after it
   * (the rollback's too): a promotion then completes when the tower store cannot be read. Kept
   * in memory only; a run taken up after a restart restores from the store, as before.
   */
  carriedTower?: CarriedTower;
}

/** Runs one action; never throws, and returns within `timeoutMs` (plus one request's deadline). */
export async function executeAction(
  ctx: ExecutorContext,
  memory: RunMemory,
  action: FailoverAction,
  timeoutMs: number,
): Promise<ExecutedStep> {
  const deadline = ctx.clock.now() + timeoutMs;
  try {
    switch (action.kind) {
      case 'check-promote':
        return await checkPromote(ctx, memory, action.node, deadline);
      case 'demote': {
        memory.demotedAt[action.node] = ctx.clock.now();
        const demoted = await callFailover(
          ctx,
          action.node,
          { action: 'become_passive', reason: memory.reason, skipIdentity: false },
          deadline,
        );
        if (demoted.finalTower !== undefined) memory.carriedTower = { ...demoted.finalTower, from: action.node };
        return demoted.step;
      }
      case 'verify-demotion':
        return await pollUntil(ctx, deadline, () => checkDemoted(ctx, action.node));
      case 'prove-stopped-voting':
        return await proveHostFenced(
          ctx.hostFence,
          action.node,
          deadline,
          { clock: ctx.clock, log: ctx.progress?.log },
          () => proveStopped(ctx, action.node),
        );
      case 'final-tower-backup':
        return await pollUntil(ctx, deadline, () => checkFinalBackup(ctx, memory, action.node));
      case 'restore-tower': {
        const floor = await readTowerFloor(ctx, deadline);
        if (!floor.ok) return floor;
        const restored = await callFailover(
          ctx,
          action.node,
          {
            action: 'become_active',
            reason: memory.reason,
            skipIdentity: true,
            ...promotionFloors(ctx.lastObservation(), floor.slot),
            ...(memory.carriedTower === undefined ? {} : { carriedTower: memory.carriedTower }),
          },
          deadline,
        );
        return restored.step;
      }
      case 'promote':
        return await promote(ctx, memory, action.node, action.via, deadline);
      case 'verify-voting':
        return await verifyVoting(ctx, memory, action.node, deadline);
      case 'hook':
        return await runHook(ctx, memory, action.hook);
    }
  } catch (error) {
    return { ok: false, detail: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Runs one of the manager's hooks; a plan that carries a hook no longer configured skips it. */
async function runHook(ctx: ExecutorContext, memory: RunMemory, hook: ManagerHookName): Promise<ExecutedStep> {
  if (memory.failover === undefined) return { ok: false, detail: `${hook}: the failover it belongs to is not known` };
  if (ctx.hooks === undefined) {
    ctx.progress?.log.warn({ hook }, `${hook} is in the plan but no longer configured; skipped`);
    return { ok: true };
  }
  return ctx.hooks.run(hook, { ...memory.failover, reason: memory.reason });
}

/**
 * Sends one failover request and waits for its end within `deadline`. A `409 busy` answer
 * means the agent is still in a role change, typically the previous attempt of this very
 * step that outlived its time limit: the role is polled until it settles and only then is
 * the request sent again (an agent answers a request for the role it already has at once).
 * Nothing conflicting is ever sent while the agent is busy.
 */
async function callFailover(
  ctx: ExecutorContext,
  node: NodeId,
  request: FailoverCall & { readonly action: 'become_active' | 'become_passive' },
  deadline: number,
): Promise<{ readonly step: ExecutedStep; readonly finalTower?: FinalTower }> {
  const { action } = request;
  for (;;) {
    const answer = await ctx.agents[node].failover(request, Math.max(1, deadline - ctx.clock.now()));
    // An agent in dry run answers success and changes nothing; taken as done, a demotion
    // would leave the old active voting beside the new one.
    if (answer.ok && answer.dryRun)
      return { step: { ok: false, detail: `${action} on ${node}: its agent runs in dry run and changed nothing` } };
    if (answer.ok && answer.success) {
      reportWarnings(ctx, node, action, answer.warnings ?? []);
      return { step: { ok: true }, ...(answer.finalTower === undefined ? {} : { finalTower: answer.finalTower }) };
    }
    if (answer.ok) return { step: { ok: false, detail: `${action} on ${node} failed: ${answer.message}` } };
    const detail = `${action} to ${node}: ${answer.detail}`;
    if (answer.refusal?.kind === 'stale-tower' || answer.refusal?.kind === 'hook-refused')
      return { step: { ok: false, detail, refusal: answer.refusal } };
    if (answer.refusal?.kind !== 'busy') return { step: { ok: false, detail } };
    const settled = await pollUntil(ctx, deadline, () => checkSettled(ctx, node));
    if (!settled.ok) return { step: { ok: false, detail: `${detail}; ${settled.detail}` } };
  }
}

/**
 * Asks the node's agent to run its `pre_promote` hook before anything changes. An agent
 * without the hook answers at once; one that predates the check refuses it as a bad request,
 * and its hook, if it has one, runs at the promotion as before. A busy agent is not waited
 * for: a node in the middle of a role change is no target to demote the active for.
 */
async function checkPromote(
  ctx: ExecutorContext,
  memory: RunMemory,
  node: NodeId,
  deadline: number,
): Promise<ExecutedStep> {
  const answer = await ctx.agents[node].failover(
    { action: 'check_promote', reason: memory.reason, skipIdentity: false },
    Math.max(1, deadline - ctx.clock.now()),
  );
  if (answer.ok && answer.success) {
    memory.prePromoteChecked = node;
    // A pre_promote that need not succeed failed: nothing changed yet, the switchover goes on,
    // and the operator is told before the demotion, since the hook will not run again.
    reportWarnings(ctx, node, 'check_promote', answer.warnings ?? []);
    return { ok: true };
  }
  if (answer.ok) return { ok: false, detail: `check_promote on ${node} failed: ${answer.message}` };
  if (answer.refusal?.kind === 'unsupported') {
    ctx.progress?.log.info(
      { detail: answer.detail },
      `${node}'s agent predates check_promote; its pre_promote hook runs at the promotion`,
    );
    return { ok: true };
  }
  const detail = `check_promote to ${node}: ${answer.detail}`;
  return answer.refusal?.kind === 'hook-refused'
    ? { ok: false, detail, refusal: answer.refusal }
    : { ok: false, detail };
}

/**
 * A role change that completed with warnings stands, but what failed along the way (a
 * `post_promote` hook, a final backup retried in the background, a `pre_promote` at the check
 * that need not succeed) is notified, and so logged, never lost in the agent's answer.
 */
function reportWarnings(
  ctx: ExecutorContext,
  node: NodeId,
  action: Extract<FailoverEvent, { type: 'role-change-warning' }>['action'],
  warnings: readonly string[],
): void {
  if (warnings.length === 0 || ctx.progress === undefined) return;
  // The notifier's log sink writes the line; notifying is logging it.
  ctx.progress.notify({ type: 'role-change-warning', at: ctx.clock.now(), node, action, warnings });
}

/** The agent's role is no longer in the middle of a change. */
async function checkSettled(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer while busy: ${observation.detail}` };
  const role = observation.status.role;
  return role === 'activating' || role === 'deactivating'
    ? { ok: false, detail: `${node} is still ${role}` }
    : { ok: true };
}

/**
 * The `min_tower_slot` of a `become_active`: the vote account's `lastVote`, retried a few
 * times within the step's deadline. Without it no promotion is sent: an agent given no floor
 * restores any validly signed tower, however old (S2). The refusal holds the run.
 */
async function readTowerFloor(
  ctx: ExecutorContext,
  deadline: number,
): Promise<{ readonly ok: true; readonly slot: number } | (ExecutedStep & { readonly ok: false })> {
  const attempts = ctx.floorAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const evidence = await ctx.evidence.read();
    if (evidence.floor !== null) return { ok: true, slot: evidence.floor };
    if (attempt >= attempts || ctx.clock.now() >= deadline) {
      const detail = `no tower floor after ${attempt} reads of the vote account: ${evidence.shortfall ?? 'no vote account reading'}`;
      return { ok: false, detail, refusal: { kind: 'no-tower-floor', detail } };
    }
    await sleep(ctx.clock, Math.min(ctx.floorRetryMs ?? 1_000, Math.max(0, deadline - ctx.clock.now())));
  }
}

async function promote(
  ctx: ExecutorContext,
  memory: RunMemory,
  node: NodeId,
  via: 'agent' | 'ssh',
  deadline: number,
): Promise<ExecutedStep> {
  // The vote account's last vote is the floor of the tower the new active may start from:
  // past an unreachable old active it is the only account of votes no backup may hold (S2).
  // An SSH push follows the restore-tower step, which carried the floor.
  let promoted: ExecutedStep;
  if (via === 'agent') {
    const floor = await readTowerFloor(ctx, deadline);
    if (!floor.ok) return floor;
    memory.lastVoteBeforePromotion = newVoteMark(ctx.lastObservation(), floor.slot);
    const called = await callFailover(
      ctx,
      node,
      {
        action: 'become_active',
        reason: memory.reason,
        skipIdentity: false,
        ...promotionFloors(ctx.lastObservation(), floor.slot),
        ...(memory.prePromoteChecked === node ? { prePromoteChecked: true } : {}),
        ...(memory.carriedTower === undefined ? {} : { carriedTower: memory.carriedTower }),
      },
      deadline,
    );
    promoted = called.step;
  } else {
    const lastVote = await currentLastVote(ctx);
    memory.lastVoteBeforePromotion = lastVote === undefined ? undefined : newVoteMark(ctx.lastObservation(), lastVote);
    const target = ctx.pushTargets?.[node];
    if (ctx.pusher === undefined || target === undefined) {
      return { ok: false, detail: `secure identity mode is not configured for ${node}` };
    }
    const pushed = await ctx.pusher.pushIdentity(target);
    promoted = pushed.ok
      ? { ok: true }
      : { ok: false, detail: `identity push to ${node} failed at ${pushed.stage}: ${pushed.message}` };
  }
  if (!promoted.ok) return promoted;
  // Success is taken only once the agent's own status shows it: an agent that answered a
  // repeated become_active "already active" after a failed promotion left nobody voting while
  // verify voting waited its whole limit in silence (F3).
  const confirmed = await pollUntil(ctx, Math.min(deadline, ctx.clock.now() + CONFIRM_ACTIVE_MS), () =>
    checkConfirmedActive(ctx, node),
  );
  return confirmed.ok ? confirmed : { ok: false, detail: `promote ${node} answered success, but ${confirmed.detail}` };
}

/** How long after a promotion's success the agent's status may take to show it. */
const CONFIRM_ACTIVE_MS = 10_000;

/** The agent reports a confirmed `active` role and its validator the staked identity. */
async function checkConfirmedActive(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  const role = status.role ?? (status.isActive ? 'active' : 'passive');
  if (role !== 'active') return { ok: false, detail: `${node} reports the role ${role}, not a confirmed active` };
  const staked = ctx.stakedIdentityPubkey;
  if (staked !== undefined && status.identityPubkey !== staked) {
    return {
      ok: false,
      detail: `${node}'s validator reports ${status.identityPubkey ?? 'no identity'}, not the staked identity ${staked}`,
    };
  }
  return { ok: true };
}

/** The agent and gossip both agree the node no longer holds the staked identity. */
async function checkDemoted(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  // Both are read at once: the step is on the switchover's critical path.
  const [observation, gossip] = await Promise.all([ctx.agents[node].status(), ctx.gossip?.read()]);
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  if (mayHoldIdentity(status, ctx.stakedIdentityPubkey ?? null)) {
    return {
      ok: false,
      detail: `${node} may still hold the staked identity (role ${status.role ?? (status.isActive ? 'active' : 'passive')}, identity ${status.identityPubkey ?? 'not reported'})`,
    };
  }
  if (gossip !== undefined) {
    // Unread gossip is no evidence the identity moved: the step polls until it can be read.
    if (!gossip.ok)
      return { ok: false, detail: `gossip could not be read to confirm ${node} let go: ${gossip.detail}` };
    // Gossip keeps the old entry for a while after set-identity; the step polls until it moves.
    if (gossip.value.holder === node)
      return { ok: false, detail: `gossip still places the staked identity at ${node} (${gossip.value.ip})` };
  }
  return { ok: true };
}

/**
 * The old active cannot be asked, so the cluster must show it stopped. The vote account and
 * the slot are read afresh, in one request per endpoint, combined across the endpoints, and
 * core's proof rule judges them: no vote account configured, too few endpoints answering, or
 * one endpoint that sees a recent vote, is no proof and no promotion (S1 over L1).
 */
async function proveStopped(ctx: ExecutorContext, node: NodeId): Promise<StepResult> {
  const base = ctx.lastObservation();
  if (ctx.voteAccountPubkey === undefined) {
    return {
      ok: false,
      detail: 'vote_account_pubkey is not configured, so nothing can prove the old active stopped voting',
    };
  }
  if (base === null) return { ok: false, detail: 'nothing observed yet' };
  const evidence = await ctx.evidence.read();
  const observation: Observation = {
    ...base,
    at: ctx.clock.now(),
    clusterSlot: evidence.clusterSlot,
    vote: evidence.vote,
  };
  const proof = proveStoppedVoting(observation, node, ctx.voteProof);
  if (proof.proven) return { ok: true };
  const cause = proof.cause;
  return cause.kind === 'old-active-still-voting'
    ? {
        ok: false,
        detail: `vote account last voted at slot ${cause.lastVote}, ${cause.clusterSlot - cause.lastVote} slots behind ${cause.clusterSlot}; ${node} may still vote`,
      }
    : {
        ok: false,
        detail: `no proof that ${node} stopped voting: ${cause.detail}${evidence.shortfall === null ? '' : ` (${evidence.shortfall})`}`,
      };
}

/**
 * The tower store holds the node's last vote. The agent backs the tower up after the
 * identity is removed and skips the upload when the file is unchanged (the store already
 * has it), so the backup's time says little; what matters is that the backed-up tower
 * (under Alpenglow, the vote history) reaches at least the vote account's last landed vote,
 * read now. Without a vote account or
 * tower details (a Go agent), the backup must at least be from after the demotion; agent
 * timestamps have one-second resolution, hence the allowance.
 */
async function checkFinalBackup(ctx: ExecutorContext, memory: RunMemory, node: NodeId): Promise<StepResult> {
  // Read at once: the node no longer holds the identity (verify demotion), so no vote can
  // land later that its final backup lacks, whichever of the two answers first.
  const [observation, landed] = await Promise.all([ctx.agents[node].status(), currentLastVote(ctx)]);
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  // Under Alpenglow the tower stopped at the switch: the vote history holds the last vote.
  const alpenglow = observedPhase(ctx.lastObservation()) === 'alpenglow';
  if (alpenglow && status.tower !== undefined && landed !== undefined) {
    const newest = status.voteHistory?.newestSlot;
    if (newest !== undefined && newest >= landed) return { ok: true };
    if (carriedReaches(ctx, memory, node, landed, true)) return { ok: true };
    return {
      ok: false,
      detail: `${node}'s backed-up vote history ${newest === undefined ? 'is missing' : `ends at slot ${newest}`}, before the last landed vote ${landed}${status.error ? ` (${status.error})` : ''}`,
    };
  }
  if (status.tower !== undefined && landed !== undefined) {
    if (status.tower.lastVoteSlot >= landed) return { ok: true };
    if (carriedReaches(ctx, memory, node, landed, false)) return { ok: true };
    return {
      ok: false,
      detail: `${node}'s backed-up tower ends at slot ${status.tower.lastVoteSlot}, before the last landed vote ${landed}${status.error ? ` (${status.error})` : ''}`,
    };
  }
  const since = (memory.demotedAt[node] ?? ctx.clock.now()) - BACKUP_TIME_ALLOWANCE_MS;
  if (status.lastTowerBackup === null || status.lastTowerBackup < since) {
    return {
      ok: false,
      detail: `${node} has no tower backup taken after its demotion${status.error ? ` (${status.error})` : ''}`,
    };
  }
  return { ok: true };
}

const BACKUP_TIME_ALLOWANCE_MS = 1000;

/** The slot a verified file is ordered by; null when it did not verify or holds no vote. */
function newestCarriedSlot(
  decoded: ReturnType<typeof decodeTower> | ReturnType<typeof decodeVoteHistory>,
): number | null {
  if (!decoded.ok) return null;
  return 'newestSlot' in decoded ? decoded.newestSlot : decoded.lastVotedSlot;
}

/**
 * The store lacks the demoted node's last votes (it cannot be reached), but its demotion
 * answered with the tower it kept (`final_tower`), and that tower — under Alpenglow, that vote
 * history — verifies for the staked identity and reaches the last landed vote: the same
 * evidence a backup must give, carried by the manager to the promotion instead. Without the
 * staked identity to verify it by, nothing carried counts.
 */
function carriedReaches(
  ctx: ExecutorContext,
  memory: RunMemory,
  node: NodeId,
  landed: number,
  alpenglow: boolean,
): boolean {
  const carried = memory.carriedTower;
  const identity = ctx.stakedIdentityPubkey;
  if (carried === undefined || carried.from !== node || identity === undefined) return false;
  if (alpenglow && carried.vote_history === undefined) return false;
  const newest = alpenglow
    ? newestCarriedSlot(decodeVoteHistory(Buffer.from(carried.vote_history ?? '', 'base64'), identity))
    : newestCarriedSlot(decodeTower(Buffer.from(carried.tower, 'base64'), identity));
  if (newest === null || newest < landed) return false;
  ctx.progress?.log.warn(
    { node, slot: newest, landed },
    `the tower store does not hold ${node}'s last votes; the ${alpenglow ? 'vote history' : 'tower'} its demotion kept (slot ${newest}) reaches the last landed vote ${landed} and is carried to the promotion`,
  );
  return true;
}

/** The node runs with the staked identity and the vote account's `lastVote` moved past its value before the promotion. */
async function checkVoting(ctx: ExecutorContext, memory: RunMemory, node: NodeId): Promise<StepResult> {
  const observation = await ctx.agents[node].status();
  if (!observation.reachable) return { ok: false, detail: `${node} did not answer: ${observation.detail}` };
  const status = observation.status;
  if (
    ctx.stakedIdentityPubkey !== undefined &&
    status.identityPubkey !== undefined &&
    status.identityPubkey !== ctx.stakedIdentityPubkey
  ) {
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

/**
 * Polls until the new active is seen voting. Nobody may be voting meanwhile, so the wait is
 * never silent (L2): what it still misses is logged every few seconds, and notified once when
 * no vote has landed after a bound well inside the step's limit.
 */
async function verifyVoting(
  ctx: ExecutorContext,
  memory: RunMemory,
  node: NodeId,
  deadline: number,
): Promise<StepResult> {
  // A plan taken up after a restart at this step has no reading from before the promotion:
  // the first one now is the mark a new vote must pass.
  memory.lastVoteBeforePromotion ??= await currentLastVote(ctx);
  const started = ctx.clock.now();
  const logEvery = ctx.progressLogMs ?? 5_000;
  const notifyAfter = ctx.noVoteNotifyMs ?? 15_000;
  let nextLogAt = started + logEvery;
  let notified = false;
  return pollUntil(ctx, deadline, async () => {
    const result = await checkVoting(ctx, memory, node);
    const now = ctx.clock.now();
    if (result.ok || ctx.progress === undefined) return result;
    if (now >= nextLogAt) {
      ctx.progress.log.warn(
        {},
        `verify voting ${node}: no vote seen after ${Math.round((now - started) / 1000)}s (limit ${Math.round((deadline - started) / 1000)}s): ${result.detail}`,
      );
      nextLogAt = now + logEvery;
    }
    if (!notified && now - started >= notifyAfter) {
      notified = true;
      ctx.progress.notify({ type: 'no-vote-yet', at: now, node, waitedMs: now - started, detail: result.detail });
    }
    return result;
  });
}

/** The highest `lastVote` the endpoints agree on now; undefined without one. */
async function currentLastVote(ctx: ExecutorContext): Promise<number | undefined> {
  if (ctx.voteAccountPubkey === undefined) return undefined;
  return (await ctx.evidence.read()).floor ?? undefined;
}

// What a verify step waits for usually comes within tens of ms (the agent answers a role
// change after a fresh sample of its validator; gossip and a new vote move on their own), and a
// fixed 250 ms wait then put a whole poll on the switchover's critical path. The wait doubles
// up to pollMs so that a long wait (verify voting may last most of a minute) does not query the
// cluster RPC 20 times a second: public RPC endpoints rate-limit per client.
async function pollUntil(
  ctx: ExecutorContext,
  deadline: number,
  check: () => Promise<StepResult>,
): Promise<StepResult> {
  const steadyMs = ctx.pollMs ?? 250;
  let waitMs = Math.min(ctx.firstPollMs ?? 50, steadyMs);
  for (;;) {
    const result = await check();
    if (result.ok || ctx.clock.now() >= deadline) return result;
    await sleep(ctx.clock, Math.min(waitMs, Math.max(0, deadline - ctx.clock.now())));
    waitMs = Math.min(waitMs * 2, steadyMs);
  }
}
