/**
 * The operator's hooks around the agent's role changes: `pre_promote` / `post_promote` around
 * `become_active`, `pre_demote` / `post_demote` around `become_passive`. A hook is one more
 * step of the change, so the machine decides what its failure does like for any other step:
 * a `pre_promote` with `mustSucceed` stops the promotion before anything changed; any other
 * hook's failure is a warning in the answer and never stops or undoes the change. No hook can
 * stop a demotion: giving the identity up is the safe direction (S1), and the manager's request
 * may be the fence of a second voter.
 */
import type { TransitionOrigin } from './agent-state';
import type { PlanStep } from './step-sequence';
import type { Role } from './types';

/** The four hook points. */
export type HookName = 'pre_promote' | 'post_promote' | 'pre_demote' | 'post_demote';

/** One configured hook as the machine sees it; the command itself stays with the app. */
export interface RoleHook {
  /** A failing `pre_promote` stops the promotion before anything changed; no other hook stops a change. @default false */
  readonly mustSucceed: boolean;
  /** Past this the hook's process group is killed and the hook counts as failed. */
  readonly timeoutMs: number;
}

/** The configured hooks, by hook point. */
export type AgentHooks = Readonly<Partial<Record<HookName, RoleHook>>>;

/** What a hook is told about the change it runs around. */
export interface HookContext {
  /** The role before the change. */
  readonly from: Role;
  /** The role the change goes to. */
  readonly to: 'active' | 'passive';
  /** What started the change: a manager's request, or one of the agent's own guards. */
  readonly origin: TransitionOrigin;
  /** The request's `reason`; null when the agent started the change itself. */
  readonly reason: string | null;
  /** The term of the manager that asked; null when the agent started the change itself. */
  readonly term: number | null;
}

/** The action of a hook step. */
export interface HookAction {
  readonly kind: 'hook';
  readonly hook: HookName;
  readonly mustSucceed: boolean;
  readonly context: HookContext;
}

/** Which hooks a change runs. */
export interface HookPoints {
  /**
   * Run the pre hook. Only a manager's request runs it: a demotion the agent starts itself
   * (stray identity, isolation, fenced backup, the watchdog) is a safety step no hook may veto
   * or delay (S1).
   */
  readonly pre: boolean;
  /**
   * Run the post hook. Not after a `become_active` with `skip_identity` (secure mode): the
   * agent only restored the tower, and the identity arrives later over SSH.
   */
  readonly post: boolean;
}

/**
 * Puts the configured hooks around a change's steps. A pre hook runs first, once, before any
 * step that changes something; a `pre_promote` with `mustSucceed` stops the promotion, any
 * other pre hook's failure is a warning. A post hook runs last, once every step before it
 * completed or continued past a failure, and its failure is only a warning: the change has
 * happened and is never undone for a hook.
 */
export function withHooks<A>(
  steps: readonly PlanStep<A>[],
  hooks: AgentHooks,
  context: HookContext,
  points: HookPoints,
): PlanStep<A | HookAction>[] {
  const [preName, postName]: [HookName, HookName] =
    context.to === 'active' ? ['pre_promote', 'post_promote'] : ['pre_demote', 'post_demote'];
  const pre = points.pre ? hooks[preName] : undefined;
  const post = points.post ? hooks[postName] : undefined;
  const out: PlanStep<A | HookAction>[] = [];
  if (pre !== undefined) {
    // A demotion is never vetoed: the request may be the fence of a second voter (S1).
    const veto = pre.mustSucceed && context.to === 'active';
    out.push({
      action: { kind: 'hook', hook: preName, mustSucceed: veto, context },
      attempts: 1,
      timeoutMs: pre.timeoutMs,
      onFailure: veto ? 'stop' : 'continue',
      why: veto
        ? `${preName} must succeed: its failure or timeout ends the change before anything changed.`
        : `${preName} runs before anything changes; its failure is reported and the change goes on.`,
    });
  }
  out.push(...steps);
  if (post !== undefined) {
    out.push({
      action: { kind: 'hook', hook: postName, mustSucceed: false, context },
      attempts: 1,
      timeoutMs: post.timeoutMs,
      onFailure: 'continue',
      why: `${postName} runs once the change is done; its failure is reported and never undoes the change.`,
    });
  }
  return out;
}

/** The time the hooks among `steps` may take, added to a change's deadline. */
export function hookTimeMs<A extends { readonly kind: string }>(steps: readonly PlanStep<A>[]): number {
  return steps.reduce((sum, step) => sum + (step.action.kind === 'hook' ? step.timeoutMs : 0), 0);
}
