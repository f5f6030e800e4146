/**
 * Whether the host of an unreachable old active is fenced: nothing on it can still vote with
 * the staked identity once it runs again. The vote account going stale says the validator is
 * not voting now; a validator that is frozen (stopped, catching up, on a paused VM) is stale
 * too, and votes again when it thaws. Two things stop that: the host guard (the agent's
 * systemd unit removes the identity or kills the validator within `guard_bound` of the agent
 * going silent), or the operator's `fence_command` (power off) having exited 0.
 */

/** The manager's host-fence settings (`guard_bound`, `fence_command`). */
export interface HostFenceRules {
  /**
   * Time after an agent was last heard by which its host guard has removed the staked identity
   * or killed the validator, whatever became of the agent (`guard_bound`).
   */
  readonly guardBoundMs: number;
}

/** What the manager knows about one unreachable node's host. */
export interface HostFenceEvidence {
  /**
   * When the node's agent last answered, by the manager's clock; the manager's start when it
   * has not answered since, which is never later than the real last answer.
   */
  readonly silentSince: number;
  /** The operator's `fence_command` for this node exited 0 during this failover. */
  readonly fenceCommandSucceeded: boolean;
  /** The vote account proves the node stopped voting (core `proveStoppedVoting`). */
  readonly voteProven: boolean;
}

/** The verdict of {@link judgeHostFenced}. */
export type HostFenceVerdict =
  | { readonly fenced: true; readonly by: 'fence-command' | 'guard-bound-and-vote' }
  | {
      readonly fenced: false;
      readonly detail: string;
      /** How long until the guard's bound has passed; 0 when it has and the vote proof is missing. */
      readonly waitMs: number;
    };

/**
 * Decides whether the manager may promote past an unreachable old active: the operator's
 * fence command exited 0, or the vote account proves it stopped voting **and** the guard's
 * bound has passed since its agent was last heard. Silence alone never fences (S1 over L1).
 */
export function judgeHostFenced(evidence: HostFenceEvidence, rules: HostFenceRules, now: number): HostFenceVerdict {
  if (evidence.fenceCommandSucceeded) return { fenced: true, by: 'fence-command' };
  const silentMs = now - evidence.silentSince;
  const waitMs = Math.max(0, rules.guardBoundMs - silentMs);
  if (!evidence.voteProven) {
    return { fenced: false, detail: 'the vote account does not prove it stopped voting', waitMs };
  }
  if (waitMs > 0) {
    return {
      fenced: false,
      detail: `its agent was last heard ${silentMs} ms ago, within guard_bound (${rules.guardBoundMs} ms): its host guard may not have removed the identity yet`,
      waitMs,
    };
  }
  return { fenced: true, by: 'guard-bound-and-vote' };
}
