import type { HookAction } from '@failover/core';

/** Who runs the hook: this agent's node name and the staked identity it guards. */
export interface HookSubject {
  readonly node: string;
  readonly identity: string;
}

// Control characters (a NUL above all, which the kernel cannot pass in an environment) are
// replaced, so any reason a manager sends reaches the hook as one printable line.
function printable(text: string): string {
  return Array.from(text, (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('');
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
    FAILOVER_REASON: printable(context.reason ?? ''),
    FAILOVER_TERM: context.term === null ? '' : String(context.term),
  };
}
