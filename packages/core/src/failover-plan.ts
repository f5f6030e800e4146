/**
 * The ordered steps of a switchover of the staked identity from one node to the other, with
 * what each step's failure does. The manager machine runs a plan through `step-sequence`;
 * the docs print it with {@link describePlan}, so the two cannot drift apart.
 */
import type { PlanStep } from './step-sequence';
import type { NodeId } from './types';
import { otherNode } from './types';

/** One thing the manager's executor does. */
export type FailoverAction =
  /** `POST /failover {action: check_promote}`: the node's agent runs its `pre_promote` hook and changes nothing. */
  | { readonly kind: 'check-promote'; readonly node: NodeId }
  /** `POST /failover {action: become_passive}` to the node's agent. */
  | { readonly kind: 'demote'; readonly node: NodeId }
  /** The node's agent reports passive and a non-staked identity, and gossip no longer places the staked identity at its IP. */
  | { readonly kind: 'verify-demotion'; readonly node: NodeId }
  /** The cluster RPC shows the staked vote account's `lastVote` stale by the configured threshold, read afresh. */
  | { readonly kind: 'prove-stopped-voting'; readonly node: NodeId }
  /** The tower store holds a backup the node wrote after its identity was removed. */
  | { readonly kind: 'final-tower-backup'; readonly node: NodeId }
  /** `POST /failover {action: become_active, skip_identity: true}`: the agent restores and verifies the tower only. */
  | { readonly kind: 'restore-tower'; readonly node: NodeId }
  /** Give the node the staked identity: through its agent, or over SSH in secure mode. */
  | { readonly kind: 'promote'; readonly node: NodeId; readonly via: 'agent' | 'ssh' }
  /** The node answers `getIdentity` with the staked identity and the vote account's `lastVote` advances. */
  | { readonly kind: 'verify-voting'; readonly node: NodeId }
  /** One of the operator's hooks on the manager's host (`hooks.pre_failover`, `hooks.post_failover`); `node` takes the identity. */
  | { readonly kind: 'hook'; readonly hook: ManagerHookName; readonly node: NodeId };

/** The manager's hook points around a whole plan. */
export type ManagerHookName = 'pre_failover' | 'post_failover';

/** Which of the manager's hooks a plan runs. A fence runs none: nothing may delay taking a second voter's identity off (S1). */
export interface PlanHooks {
  /**
   * `hooks.pre_failover`: run once, before the first step that changes anything. `must-succeed`
   * ends the plan as aborted when it fails; `may-fail` reports its failure and goes on.
   */
  readonly preFailover: 'must-succeed' | 'may-fail' | null;
  /** `hooks.post_failover`: run once the new holder is seen voting; its failure is reported and never undoes the change. */
  readonly postFailover: boolean;
}

/** A plan without hooks. */
export const NO_PLAN_HOOKS: PlanHooks = { preFailover: null, postFailover: false };

/**
 * A plan: the steps to move the staked identity `from` → `to` (`switchover`), to take it
 * off `from` while `to`, the recorded holder, keeps it untouched (`fence`), or to give it to
 * `to` while nobody holds it and `from` stays passive (`recovery`).
 */
export interface FailoverPlan {
  /** What the plan is for. */
  readonly kind: 'switchover' | 'fence' | 'recovery';
  /** The node giving up the identity; for a recovery, the last holder, which already gave it up (it may be `to` itself). */
  readonly from: NodeId;
  /** The node taking it; for a fence, the holder that is never contacted. */
  readonly to: NodeId;
  /** Whether `from` answered when the plan was made; if not, it is never contacted. */
  readonly fromReachable: boolean;
  /** Whether the identity is pushed over SSH (secure identity mode). */
  readonly secureMode: boolean;
  /** The manager's hooks the plan runs, journaled with it so a resumed plan has the same steps. */
  readonly hooks: PlanHooks;
  /** The forward steps; compensations hang off each step's `undo`. */
  readonly steps: readonly PlanStep<FailoverAction>[];
}

/** Per-step time limits the executor enforces. */
export interface PlanTimeouts {
  /**
   * One attempt of the agent's whole `become_passive`. It must outlast the agent's worst case
   * ({@link becomePassiveSteps}: 7 command time limits + restart + checks + backup, 10m25s
   * with agent defaults); a shorter limit gives up while the agent still demotes, and the
   * next attempt meets `FAILOVER_BUSY` (`demote_timeout`).
   * @default 660000
   */
  readonly demoteMs: number;
  /**
   * Until the agent and gossip agree the node gave up the identity; gossip keeps the old
   * entry for a while after `set-identity`, so each attempt polls.
   * @default 30000
   */
  readonly verifyDemotionMs: number;
  /** @default 10000 */
  readonly proveStoppedVotingMs: number;
  /** @default 15000 */
  readonly finalTowerBackupMs: number;
  /**
   * The agent's tower restore alone (secure mode): two store reads of 30s at most.
   * @default 90000
   */
  readonly restoreTowerMs: number;
  /**
   * The agent's `check_promote`: its `pre_promote` hook alone. It must outlast the hook's own
   * limit (`hooks.pre_promote.timeout`, 30s by default).
   * @default 90000
   */
  readonly checkPromoteMs: number;
  /**
   * One attempt of the agent's `become_active` (or the SSH push). It must outlast the agent's
   * worst case ({@link becomeActiveSteps} with its undo: 10 command time limits + restore +
   * checks, 11m25s with agent defaults), so no rollback starts while the agent may still
   * switch the identity (`promote_timeout`).
   * @default 720000
   */
  readonly promoteMs: number;
  /**
   * Until `lastVote` is seen advancing; a landed vote normally shows within a few slots.
   * @default 60000
   */
  readonly verifyVotingMs: number;
  /**
   * `hooks.pre_failover`: it must outlast the hook's own limit, after which its process group is killed.
   * @default 45000
   */
  readonly preFailoverMs: number;
  /** `hooks.post_failover`, as {@link PlanTimeouts.preFailoverMs}. @default 45000 */
  readonly postFailoverMs: number;
}

/** The defaults of {@link PlanTimeouts}. */
export const DEFAULT_PLAN_TIMEOUTS: PlanTimeouts = {
  demoteMs: 660_000,
  verifyDemotionMs: 30_000,
  proveStoppedVotingMs: 10_000,
  finalTowerBackupMs: 15_000,
  restoreTowerMs: 90_000,
  checkPromoteMs: 90_000,
  promoteMs: 720_000,
  verifyVotingMs: 60_000,
  preFailoverMs: 45_000,
  postFailoverMs: 45_000,
};

/**
 * The guard on rolling back to the old active: it must be healthy in the latest tick.
 * Handing the identity back to a node that is down would leave nobody voting while
 * claiming success.
 */
export const OLD_ACTIVE_HEALTHY = 'old-active-healthy';

/** The input of {@link createFailoverPlan}. */
export interface PlanInput {
  /** The node giving up the identity. */
  readonly from: NodeId;
  /** The node taking it. */
  readonly to: NodeId;
  /** Whether `from` answered in the tick the decision was made in. */
  readonly fromReachable: boolean;
  /** Secure identity mode: the staked keypair lives only on the manager. @default false */
  readonly secureMode?: boolean;
  /** Step time limits. @default DEFAULT_PLAN_TIMEOUTS */
  readonly timeouts?: Partial<PlanTimeouts>;
  /** The manager's hooks. @default NO_PLAN_HOOKS */
  readonly hooks?: PlanHooks;
}

/** Builds the steps of a switchover. */
export function createFailoverPlan(input: PlanInput): FailoverPlan {
  const { from, to, fromReachable } = input;
  const secureMode = input.secureMode ?? false;
  const hooks = input.hooks ?? NO_PLAN_HOOKS;
  const t = { ...DEFAULT_PLAN_TIMEOUTS, ...input.timeouts };

  // In secure mode the identity goes back over SSH, which carries no tower, while the demotion
  // removed the old active's tower file: its agent restores the tower first, or set-identity
  // --require-tower fails (and without the flag the node would vote from an empty tower).
  const restoreOldTower: PlanStep<FailoverAction>[] = secureMode
    ? [
        step(
          { kind: 'restore-tower', node: from },
          2,
          t.restoreTowerMs,
          'stop',
          'The demotion removed the tower file; restore and verify it before the identity goes back over SSH (S2).',
          { guard: OLD_ACTIVE_HEALTHY },
        ),
      ]
    : [];
  const rollBackToOld: PlanStep<FailoverAction>[] = [
    ...restoreOldTower,
    step(
      { kind: 'promote', node: from, via: secureMode ? 'ssh' : 'agent' },
      2,
      t.promoteMs,
      'stop',
      'Hand the identity back to the old active it was taken from.',
      { guard: OLD_ACTIVE_HEALTHY },
    ),
    step(
      { kind: 'verify-voting', node: from },
      1,
      t.verifyVotingMs,
      'stop',
      'A rollback is only done when the old active votes again.',
    ),
  ];
  const undoPromotion: PlanStep<FailoverAction>[] = [
    step(
      { kind: 'demote', node: to },
      3,
      t.demoteMs,
      'stop',
      'The promotion may have half-happened; take the identity off the new node before anyone else gets it.',
      {
        guard: OLD_ACTIVE_HEALTHY,
      },
    ),
    step(
      { kind: 'verify-demotion', node: to },
      3,
      t.verifyDemotionMs,
      'stop',
      'Never hand the identity back while the new node may still hold it (S1).',
    ),
  ];

  const leaving: PlanStep<FailoverAction>[] = fromReachable
    ? [
        step(
          { kind: 'check-promote', node: to },
          2,
          t.checkPromoteMs,
          'stop',
          "Ask the new node's pre_promote hook before anything changes: its refusal ends the switchover while the old active still votes.",
        ),
        ...preFailoverStep(to, hooks, t),
        step(
          { kind: 'demote', node: from },
          2,
          t.demoteMs,
          'stop',
          'Stop the old active voting first (S1). A failed demotion aborts: the old active may still vote.',
          {
            undo: rollBackToOld,
          },
        ),
        step(
          { kind: 'verify-demotion', node: from },
          3,
          t.verifyDemotionMs,
          'stop',
          "Trust the agent's answer only once its status and gossip agree.",
        ),
        step(
          { kind: 'final-tower-backup', node: from },
          3,
          t.finalTowerBackupMs,
          'stop',
          'The new active needs the tower of the last vote (S2); without it, stop rather than vote from an older one.',
        ),
      ]
    : [
        ...preFailoverStep(to, hooks, t),
        step(
          { kind: 'prove-stopped-voting', node: from },
          1,
          t.proveStoppedVotingMs,
          'stop',
          'The old active cannot be told to stop; promote only with proof from the cluster that it has stopped voting. No proof, no promotion (S1 over L1).',
        ),
      ];

  return {
    kind: 'switchover',
    from,
    to,
    fromReachable,
    secureMode,
    hooks,
    steps: [
      ...leaving,
      ...arrivingSteps(to, secureMode, t, undoPromotion),
      verifyVotingStep(to, t),
      ...postFailoverStep(to, hooks, t),
    ],
  };
}

/** `hooks.pre_failover`, when configured: once, before the first step that changes anything. */
function preFailoverStep(to: NodeId, hooks: PlanHooks, t: PlanTimeouts): PlanStep<FailoverAction>[] {
  if (hooks.preFailover === null) return [];
  const mustSucceed = hooks.preFailover === 'must-succeed';
  return [
    step(
      { kind: 'hook', hook: 'pre_failover', node: to },
      1,
      t.preFailoverMs,
      mustSucceed ? 'stop' : 'continue',
      mustSucceed
        ? "The operator's pre_failover hook must succeed: its failure ends the plan before anything changed."
        : "The operator's pre_failover hook runs before anything changes; its failure is reported and the plan goes on.",
    ),
  ];
}

/** `hooks.post_failover`, when configured: once the new holder votes; a failure never undoes the change. */
function postFailoverStep(to: NodeId, hooks: PlanHooks, t: PlanTimeouts): PlanStep<FailoverAction>[] {
  if (!hooks.postFailover) return [];
  return [
    step(
      { kind: 'hook', hook: 'post_failover', node: to },
      1,
      t.postFailoverMs,
      'continue',
      "The operator's post_failover hook runs once the new holder votes; its failure is reported and never undoes the change.",
    ),
  ];
}

/** The steps that give `to` the identity; `undo` runs when the promotion fails or a later step stops. */
function arrivingSteps(
  to: NodeId,
  secureMode: boolean,
  t: PlanTimeouts,
  undo: readonly PlanStep<FailoverAction>[],
): PlanStep<FailoverAction>[] {
  return secureMode
    ? [
        step(
          { kind: 'restore-tower', node: to },
          2,
          t.restoreTowerMs,
          'stop',
          'Restore and verify the tower before the identity arrives (S2).',
        ),
        step(
          { kind: 'promote', node: to, via: 'ssh' },
          3,
          t.promoteMs,
          'stop',
          'Push the staked keypair over SSH to set-identity --require-tower and authorized-voter add.',
          {
            undo,
            undoIfFailed: true,
          },
        ),
      ]
    : [
        step(
          { kind: 'promote', node: to, via: 'agent' },
          3,
          t.promoteMs,
          'stop',
          'The agent restores and verifies the tower, runs set-identity --require-tower, moves the symlink and confirms getIdentity.',
          { undo, undoIfFailed: true },
        ),
      ];
}

function verifyVotingStep(to: NodeId, t: PlanTimeouts): PlanStep<FailoverAction> {
  return step(
    { kind: 'verify-voting', node: to },
    1,
    t.verifyVotingMs,
    'stop',
    'A failover is complete only when the new active is seen voting (L1, L2).',
  );
}

/** The input of {@link createRecoveryPlan}. */
export interface RecoveryPlanInput {
  /** The node to give the identity to; the other one stays passive. */
  readonly node: NodeId;
  /** The last node known to hold the identity, which stepped down on its own. */
  readonly lastHolder: NodeId;
  /** Secure identity mode: the staked keypair lives only on the manager. @default false */
  readonly secureMode?: boolean;
  /** Step time limits. @default DEFAULT_PLAN_TIMEOUTS */
  readonly timeouts?: Partial<PlanTimeouts>;
  /** The manager's hooks. @default NO_PLAN_HOOKS */
  readonly hooks?: PlanHooks;
}

/**
 * Give the identity to `node` while nobody holds it: the last holder stepped down on its own
 * (isolation, watchdog, a fenced backup) and both nodes are confirmed passive. There is
 * nothing to demote and no final tower backup to wait for, so the tower protections are the
 * promotion's own: the agent restores a verified tower that must reach the vote account's
 * `lastVote` (`min_tower_slot`), or refuses. A failed promotion is taken off again, never
 * handed to the other node: it is passive and stays so.
 */
export function createRecoveryPlan(input: RecoveryPlanInput): FailoverPlan {
  const t = { ...DEFAULT_PLAN_TIMEOUTS, ...input.timeouts };
  const { node, lastHolder } = input;
  const secureMode = input.secureMode ?? false;
  const hooks = input.hooks ?? NO_PLAN_HOOKS;
  const idle = otherNode(node);
  const undo: PlanStep<FailoverAction>[] = [
    step(
      { kind: 'demote', node },
      3,
      t.demoteMs,
      'stop',
      'The promotion may have half-happened; take the identity off again, so nobody votes but everyone knows.',
    ),
    step(
      { kind: 'verify-demotion', node },
      3,
      t.verifyDemotionMs,
      'stop',
      'Nobody votes after a failed recovery only when the node is seen passive again.',
    ),
  ];
  return {
    kind: 'recovery',
    from: lastHolder,
    to: node,
    fromReachable: true,
    secureMode,
    hooks,
    steps: [
      step(
        { kind: 'verify-demotion', node: idle },
        1,
        t.verifyDemotionMs,
        'stop',
        `Read afresh that ${idle} holds no identity, by its agent and gossip, before anyone takes it (S1).`,
      ),
      ...preFailoverStep(node, hooks, t),
      ...arrivingSteps(node, secureMode, t, undo),
      verifyVotingStep(node, t),
      ...postFailoverStep(node, hooks, t),
    ],
  };
}

/** The input of {@link createFencePlan}. */
export interface FencePlanInput {
  /** The node that claims the identity without being its recorded holder. */
  readonly node: NodeId;
  /** The recorded holder: never contacted by the plan. */
  readonly holder: NodeId;
  /** Step time limits. @default DEFAULT_PLAN_TIMEOUTS */
  readonly timeouts?: Partial<PlanTimeouts>;
}

/**
 * Demote a node that came back still claiming the staked identity after this manager gave it
 * to the other node (a host that was paused or cut off during the failover was never
 * demoted). Only the intruder is touched; nothing is undone, since the only way back would be
 * two voters.
 */
export function createFencePlan(input: FencePlanInput): FailoverPlan {
  const t = { ...DEFAULT_PLAN_TIMEOUTS, ...input.timeouts };
  const { node, holder } = input;
  return {
    kind: 'fence',
    from: node,
    to: holder,
    fromReachable: true,
    secureMode: false,
    hooks: NO_PLAN_HOOKS,
    steps: [
      step(
        { kind: 'demote', node },
        3,
        t.demoteMs,
        'stop',
        `${holder} holds the identity by the last failover; a second holder is a double voter (S1): take it off at once.`,
      ),
      step(
        { kind: 'verify-demotion', node },
        3,
        t.verifyDemotionMs,
        'stop',
        'The fence holds only once its agent, its validator and gossip agree it gave the identity up.',
      ),
    ],
  };
}

function step(
  action: FailoverAction,
  attempts: number,
  timeoutMs: number,
  onFailure: 'stop' | 'continue',
  why: string,
  extra: Pick<PlanStep<FailoverAction>, 'undo' | 'undoIfFailed' | 'guard'> = {},
): PlanStep<FailoverAction> {
  return { action, attempts, timeoutMs, onFailure, why, ...extra };
}

/**
 * Every label {@link describeAction} can give a step of any plan, compensations and fallbacks
 * included, in both directions, in either identity mode and with the manager's hooks: the
 * values a per-step metric can take, so each can exist before its first observation.
 */
export function everyStepLabel(): string[] {
  const hooks: PlanHooks = { preFailover: 'may-fail', postFailover: true };
  const plans: FailoverPlan[] = [];
  for (const to of ['validator1', 'validator2'] as const) {
    const from = otherNode(to);
    for (const secureMode of [false, true]) {
      for (const fromReachable of [false, true])
        plans.push(createFailoverPlan({ from, to, fromReachable, secureMode, hooks }));
      plans.push(createRecoveryPlan({ node: to, lastHolder: from, secureMode, hooks }));
    }
    plans.push(createFencePlan({ node: from, holder: to }));
  }
  const labels = new Set<string>();
  const visit = (steps: readonly PlanStep<FailoverAction>[]): void => {
    for (const s of steps) {
      labels.add(describeAction(s.action));
      if (s.fallback !== undefined) visit([s.fallback]);
      visit(s.undo ?? []);
    }
  };
  for (const plan of plans) visit(plan.steps);
  return [...labels].sort();
}

/**
 * The actions that only read (the agent's status, gossip, the vote account) and change nothing
 * anywhere: the executor may start one while the journal write that records its start is still
 * under way, and take its result only once that write is done. A step that calls a hook, a
 * fence or a role change is never among them.
 */
export function readsOnly(action: FailoverAction): boolean {
  return action.kind === 'verify-demotion' || action.kind === 'final-tower-backup';
}

/** A short human label for an action, e.g. `demote validator1`. */
export function describeAction(action: FailoverAction): string {
  switch (action.kind) {
    case 'promote':
      return `promote ${action.node} (${action.via === 'ssh' ? 'identity over SSH' : 'via agent'})`;
    case 'hook':
      return `${action.hook} hook (to ${action.node})`;
    default:
      return `${action.kind.replace(/-/g, ' ')} ${action.node}`;
  }
}

/**
 * The plan as numbered lines for documentation and `--dry-run` output: each step, its
 * attempts and time limit, what a failure does, and its compensations.
 */
export function describePlan(plan: FailoverPlan): string[] {
  const lines =
    plan.kind === 'fence'
      ? [`Fence ${plan.from} (${plan.to} is the recorded holder and is not contacted):`]
      : plan.kind === 'recovery'
        ? [
            `Recovery: nobody holds the identity since ${plan.from} stepped down; ${plan.to} takes it, ${otherNode(plan.to)} stays passive${plan.secureMode ? ' (secure identity mode)' : ''}:`,
          ]
        : [
            `Switchover ${plan.from} → ${plan.to}${plan.secureMode ? ' (secure identity mode)' : ''}${plan.fromReachable ? '' : ', old active unreachable'}:`,
          ];
  plan.steps.forEach((s, i) => {
    const onFailure = s.onFailure === 'continue' ? 'warn and continue' : 'stop and undo the completed steps';
    lines.push(
      `${i + 1}. ${describeAction(s.action)} — ${s.attempts} attempt(s), ${s.timeoutMs / 1000}s each; on failure: ${onFailure}.`,
    );
    lines.push(`   Why: ${s.why}`);
    const undo = [
      ...(s.undoIfFailed === true ? ['(also when this step fails)'] : []),
      ...(s.undo ?? []).map(describeUndo),
    ];
    if ((s.undo ?? []).length > 0) lines.push(`   Undo: ${undo.join('; ')}`);
  });
  return lines;
}

function describeUndo(s: PlanStep<FailoverAction>): string {
  return s.guard === undefined ? describeAction(s.action) : `${describeAction(s.action)} if ${s.guard}`;
}
