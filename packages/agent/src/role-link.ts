import type { Role } from '@failover/core';
import type { RoleRunner } from './role-runner';

/**
 * The role runner as the parts built before it reach it. The tower keeper tells the runner
 * when the store fences it, and the final-backup retry reads the runner's role; but the
 * runner's steps need both of them, so they are built first, on this link, and the runner is
 * attached once it exists. Nothing uses the link before: backups and retries run only once
 * the agent has started.
 */
export interface RoleLink {
  /** The runner's role now. */
  role(): Role;
  /** Tells the runner the tower store refused a backup as fenced. */
  towerFenced(detail: string): void;
}

/** A {@link RoleLink} whose runner is attached once it is built. */
export interface AttachableRoleLink extends RoleLink {
  /** Connects the runner; called once, before the agent starts. */
  attach(runner: Pick<RoleRunner, 'role' | 'towerFenced'>): void;
}

/** Creates a link with no runner yet; using it before {@link AttachableRoleLink.attach} is a wiring bug and throws. */
export function createRoleLink(): AttachableRoleLink {
  let attached: Pick<RoleRunner, 'role' | 'towerFenced'> | undefined;
  const runner = (): Pick<RoleRunner, 'role' | 'towerFenced'> => {
    if (attached === undefined) throw new Error('the role link was used before its role runner was attached');
    return attached;
  };
  return {
    role: () => runner().role(),
    towerFenced: (detail) => runner().towerFenced(detail),
    attach(next) {
      attached = next;
    },
  };
}
