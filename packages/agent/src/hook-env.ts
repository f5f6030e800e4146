import type { HookAction } from '@failover/core';
import { printableLine } from '@failover/protocol';

/** Who runs the hook: this agent's node name and the staked identity it guards. */
export interface HookSubject {
  readonly node: string;
  readonly identity: string;
}

/**
 * The environment that describes a role change to a hook. The request's reason travels here,
 * never in the command line: the shell does not parse an environment value unless the hook
 * itself evaluates it. No secret is part of it.
 */
export function hookEnvironment(action: HookAction, subject: HookSubject): Record<string, string> {
  const { context } = action;
  return {
    FAILOVER_HOOK: action.hook,
    FAILOVER_ROLE_FROM: context.from,
    FAILOVER_ROLE_TO: context.to,
    FAILOVER_NODE: subject.node,
    FAILOVER_IDENTITY: subject.identity,
    FAILOVER_ORIGIN: context.origin,
    FAILOVER_REASON: printableLine(context.reason ?? ''),
    FAILOVER_TERM: context.term === null ? '' : String(context.term),
  };
}
