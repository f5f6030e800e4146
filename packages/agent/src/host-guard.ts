/**
 * The host guard: the validator never outlives its agent's authority. systemd runs it
 * (`failover-agent guard`, the unit's `ExecStopPost=`) whenever the agent stops, crashes or is
 * killed by the watchdog. With no agent left to obey a manager or a fence, nothing on this host
 * could stop the validator from voting with the staked identity once the passive is promoted
 * (a frozen validator that thaws, a catching-up one that catches up). So the guard takes the
 * identity away as the agent's demotion does, and kills the validator when that has not
 * succeeded within `guard_kill_after`. The manager counts on it: past an unreachable old active
 * it promotes only once `guard_bound` has passed since that agent was last heard.
 */
import type { Clock, Logger } from '@failover/core';
import { sleep, type AgentConfig, type RpcResult } from '@failover/protocol';
import type { CommandRunner } from './command-runner';
import type { ValidatorProbe } from './process-probe';

/** What the guard did. */
export type HostGuardOutcome =
  | {
      readonly status: 'unstaked';
      /** `not-running`: no validator process; `already-unstaked`: it answered with another identity; `identity-removed`: `identity_remove_command` took it away. */
      readonly how: 'not-running' | 'already-unstaked' | 'identity-removed';
      readonly detail: string;
    }
  | { readonly status: 'killed'; readonly pids: readonly number[]; readonly detail: string }
  /** The validator may still run with the staked identity: the operator must act. */
  | { readonly status: 'failed'; readonly detail: string }
  /** `dry_run`: the commands were logged as `would execute`, nothing was killed. */
  | { readonly status: 'dry-run'; readonly detail: string };

/** Options of {@link runHostGuard}. */
export interface HostGuardOptions {
  readonly config: AgentConfig;
  readonly runner: CommandRunner;
  readonly probe: ValidatorProbe;
  /** The identity the validator runs right now (local RPC or `identity_check_command`). */
  readonly currentIdentity: () => Promise<RpcResult<string>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Sends a signal to a process. @default process.kill */
  readonly signal?: (pid: number, signal: NodeJS.Signals) => void;
  /** Between two identity reads while waiting for the removal. @default 250 */
  readonly pollMs?: number;
}

// After SIGKILL, how long to look for the processes to be gone before calling it failed.
const KILL_CONFIRM_MS = 5_000;

/**
 * Runs the guard once: points the identity symlink at the unstaked key (a restart comes up
 * passive, S3), then removes the staked identity from a running validator and confirms it by
 * reading the identity back; when that has not happened within `guard_kill_after`, SIGKILLs
 * every process named `process_name` (a stopped process dies too). Never throws.
 */
export async function runHostGuard(options: HostGuardOptions): Promise<HostGuardOutcome> {
  const { config, runner, clock, logger } = options;
  const deadline = clock.now() + config.guardKillAfterMs;
  const remaining = (): number => Math.max(1, deadline - clock.now());

  const symlink = config.commands.passiveIdentitySymlink;
  if (symlink !== undefined) {
    await runner.run('passive_identity_symlink_command', symlink, {
      timeoutMs: Math.min(remaining(), config.commandTimeoutMs),
    });
  }
  if (config.dryRun) {
    const remove = config.commands.identityRemove;
    if (remove !== undefined) await runner.run('identity_remove_command', remove);
    return {
      status: 'dry-run',
      detail: `dry-run: the staked identity was not removed and no process named ${config.processName} was killed`,
    };
  }

  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const outOfTime = new Promise<null>((resolve) => {
    timer = clock.setTimeout(() => resolve(null), remaining());
  });
  // A removal that throws is not the end of the guard: it kills the validator instead, and says why.
  const failed = (error: unknown): null => {
    logger.error({ err: error }, `removing the staked identity failed: ${(error as Error).message}`);
    return null;
  };
  const removed = await Promise.race([removeIdentity(options, deadline).catch(failed), outOfTime]);
  if (timer !== undefined) clock.clearTimeout(timer);
  if (removed !== null) return removed;
  logger.error(
    { guard_kill_after_ms: config.guardKillAfterMs },
    `the staked identity was not removed within guard_kill_after; killing every process named ${config.processName}`,
  );
  return killValidator(options);
}

/** Removes the staked identity and reads it back until `deadline`; null when it could not. */
async function removeIdentity(options: HostGuardOptions, deadline: number): Promise<HostGuardOutcome | null> {
  const { config, runner, clock } = options;
  const staked = config.validatorIdentity;
  const snapshot = await options.probe.probe();
  if (!snapshot.running) return { status: 'unstaked', how: 'not-running', detail: `no ${config.processName} runs` };
  const before = await options.currentIdentity();
  if (before.ok && before.value !== staked) {
    return { status: 'unstaked', how: 'already-unstaked', detail: `the validator runs ${before.value}` };
  }
  const remove = config.commands.identityRemove;
  if (remove === undefined) return null;
  await runner.run('identity_remove_command', remove, { timeoutMs: Math.max(1, deadline - clock.now()) });
  while (clock.now() < deadline) {
    const identity = await options.currentIdentity();
    if (identity.ok && identity.value !== staked) {
      return { status: 'unstaked', how: 'identity-removed', detail: `the validator runs ${identity.value}` };
    }
    if (!(await options.probe.probe()).running) {
      return { status: 'unstaked', how: 'not-running', detail: `${config.processName} exited` };
    }
    await sleep(clock, options.pollMs ?? 250);
  }
  return null;
}

async function killValidator(options: HostGuardOptions): Promise<HostGuardOutcome> {
  const { config, clock } = options;
  const signal = options.signal ?? ((pid: number, sig: NodeJS.Signals) => process.kill(pid, sig));
  const pids = (await options.probe.probe()).pids;
  const errors: string[] = [];
  for (const pid of pids) {
    try {
      signal(pid, 'SIGKILL');
    } catch (error) {
      errors.push(`${pid}: ${(error as Error).message}`);
    }
  }
  const until = clock.now() + KILL_CONFIRM_MS;
  for (;;) {
    const left = await options.probe.probe();
    if (!left.running) {
      return {
        status: 'killed',
        pids,
        detail: `SIGKILLed ${pids.length ? pids.join(', ') : 'nothing (already gone)'}`,
      };
    }
    if (clock.now() >= until) {
      return {
        status: 'failed',
        detail: `${config.processName} still runs as ${left.pids.join(', ')} after SIGKILL${errors.length ? ` (${errors.join('; ')})` : ''}`,
      };
    }
    await sleep(clock, 100);
  }
}
