import type { HookAction, Role } from '@failover/core';
import type { AgentHookConfigs } from '@failover/protocol';
import type { CommandRunner } from './command-runner';
import { hookEnvironment, type HookSubject } from './hook-env';
import { commandFailure } from './role-steps';

/** The answer to `check_promote`. */
export type PrePromoteCheck =
  /** The hook passed, or none is configured; `warnings` holds the failure of a hook that need not succeed. */
  | { readonly result: 'ok'; readonly message: string; readonly warnings: readonly string[] }
  /** The hook must succeed and failed or timed out; `detail` says how. */
  | { readonly result: 'refused'; readonly message: string; readonly detail: string }
  /** A role change is in progress; the app answers 409. */
  | { readonly result: 'busy'; readonly message: string };

/** What {@link createPrePromoteCheck} runs the hook with. */
export interface PrePromoteCheckOptions {
  readonly hooks: AgentHookConfigs;
  readonly runner: CommandRunner;
  readonly subject: HookSubject;
  /** The agent's role now, told to the hook as the role it would change from. */
  readonly role: () => Role;
}

/**
 * `check_promote`: runs the `pre_promote` hook exactly as a promotion would, with the same
 * environment and time limit, and changes nothing else. A manager asks it before a switchover
 * demotes the active, so a veto leaves the active voting. Without a hook it answers at once.
 */
export function createPrePromoteCheck(
  options: PrePromoteCheckOptions,
): (request: { readonly reason: string; readonly term: number }) => Promise<PrePromoteCheck> {
  return async ({ reason, term }) => {
    const role = options.role();
    if (role === 'activating' || role === 'deactivating')
      return { result: 'busy', message: `a role change is in progress (${role})` };
    const hook = options.hooks.pre_promote;
    if (hook === undefined) return { result: 'ok', message: 'no pre_promote hook configured', warnings: [] };
    const action: HookAction = {
      kind: 'hook',
      hook: 'pre_promote',
      mustSucceed: hook.mustSucceed,
      context: { from: role, to: 'active', origin: 'request', reason, term },
    };
    const ran = await options.runner.run('pre_promote', hook.command, {
      timeoutMs: hook.timeoutMs,
      env: hookEnvironment(action, options.subject),
    });
    if (ran.ok) return { result: 'ok', message: 'pre_promote passed', warnings: [] };
    const detail = commandFailure('pre_promote', ran);
    return hook.mustSucceed
      ? { result: 'refused', message: 'pre_promote failed and must succeed; nothing was changed', detail }
      : { result: 'ok', message: 'pre_promote failed; it need not succeed', warnings: [detail] };
  };
}
