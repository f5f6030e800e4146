import {
  DEFAULT_AGENT_STEP_TIMEOUTS,
  isValidPubkey,
  judgeUnstaked,
  type AgentAction,
  type Clock,
  type Logger,
  type PlanStep,
  type StepResult,
  type TowerSetAsideReason,
} from '@failover/core';
import { sleep, type AgentCommands, type AgentHookConfigs, type RpcResult } from '@failover/protocol';
import type { CommandResult, CommandRunner } from './command-runner';
import type { FinalBackupRetry } from './final-backup-retry';
import { hookEnvironment } from './hook-env';
import type { ValidatorProbe } from './process-probe';
import type { StepExecutor, StepOutcome } from './role-runner';
import type { CarriedFiles, TowerKeeper } from './tower-keeper';

/** Options of {@link createStepExecutor}. */
export interface StepExecutorOptions {
  readonly commands: AgentCommands;
  /** The operator's hooks around role changes. @default {} */
  readonly hooks?: AgentHookConfigs;
  /** This agent's node name, told to the hooks. */
  readonly node: string;
  readonly runner: CommandRunner;
  readonly keeper: TowerKeeper;
  /** The staked identity pubkey. */
  readonly stakedIdentity: string;
  /** The identity the validator runs with right now (local RPC or `identity_check_command`). */
  readonly currentIdentity: () => Promise<RpcResult<string>>;
  /** Whether the validator process runs, for confirming a demotion while it is down. */
  readonly probe: ValidatorProbe;
  /** Pubkey of the keypair the identity symlink names; null when not configured or unreadable. */
  readonly symlinkPubkey: () => Promise<string | null>;
  readonly dryRun: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Retries a failed final backup while passive; without it the tower file is just kept. */
  readonly finalBackupRetry?: FinalBackupRetry;
  /** Pause before re-checking the identity, times the attempt number. @default 250 */
  readonly confirmBackoffMs?: number;
  /** Limit of a `validator_restart_command` run after a demotion, outside its steps. @default the plan's restart limit */
  readonly restartTimeoutMs?: number;
}

/**
 * Executes the role machine's steps (core `agent-plan`): each action is one configured
 * command, one tower operation or one identity check. What to do on failure is the machine's
 * business; this only reports what happened.
 */
export function createStepExecutor(options: StepExecutorOptions): StepExecutor {
  const { commands, runner, keeper, logger } = options;
  const backoffMs = options.confirmBackoffMs ?? 250;
  const restartTimeoutMs = options.restartTimeoutMs ?? DEFAULT_AGENT_STEP_TIMEOUTS.restartMs;
  // The last final-tower-backup attempt of the demotion under way, failed: the step after it
  // keeps the tower file instead of removing it (F4, S2). Steps run one at a time, so the
  // remove-tower-file step that reads it is always the one of the same demotion; a stray
  // demotion has no final backup and finds it cleared.
  let finalBackupFailed: { readonly error: string; readonly fenced: boolean } | null = null;
  // The remove-identity step of the demotion under way found the validator stopped on an
  // unstaked symlink: it is restarted once the demotion is confirmed, outside the steps.
  let restartWhenConfirmed = false;

  const command = async (
    label: string,
    template: string | undefined,
    timeoutMs: number,
    optional: boolean,
  ): Promise<StepResult> => {
    if (template === undefined) {
      if (optional) {
        logger.info({ command: label }, `${label} is not configured; skipped`);
        return { ok: true };
      }
      return { ok: false, detail: `${label} is not configured` };
    }
    return fromCommand(label, await runner.run(label, template, { timeoutMs }));
  };

  // Frankendancer's key switch is driven by the CLI process itself: one killed at its time
  // limit or cancelled leaves the validator's switch lock held, and every later set-identity
  // fails until one runs with --force (firedancer src/app/shared/commands/set_identity.c).
  // The lock is the validator's, whichever direction left it: the next identity command
  // after such a failure, and only that one, runs with --force.
  let switchLeftHalfDone = false;

  const switchIdentity = async (
    label: string,
    template: string | undefined,
    forceTemplate: string | undefined,
    wantStaked: boolean,
    timeoutMs: number,
  ): Promise<StepResult> => {
    if (template === undefined) return { ok: false, detail: `${label} is not configured` };
    const force = switchLeftHalfDone && forceTemplate !== undefined;
    switchLeftHalfDone = false;
    if (force) logger.warn({ command: label }, `the last key switch was left half done; ${label} runs with --force`);
    const result = await runner.run(label, force ? (forceTemplate as string) : template, { timeoutMs });
    if (!result.ok) {
      switchLeftHalfDone = result.timedOut || HALF_DONE_SWITCH.test(result.stderr);
      return fromCommand(label, result);
    }
    return readBack(label, wantStaked, timeoutMs);
  };

  // The client's own get-identity, straight after its set-identity: the switch counts only
  // when the validator names the expected key.
  const readBack = async (after: string, wantStaked: boolean, timeoutMs: number): Promise<StepResult> => {
    const template = commands.identityReadback;
    if (template === undefined || options.dryRun) return { ok: true };
    const result = await runner.run('get-identity', template, { readOnly: true, timeoutMs });
    const pubkey = result.ok ? result.stdout.split(/\s+/).find(isValidPubkey) : undefined;
    if (pubkey === undefined) {
      const why = result.ok ? 'get-identity printed no pubkey' : commandFailure('get-identity', result);
      return { ok: false, detail: `${after} ran, but ${why}` };
    }
    const expected = wantStaked ? pubkey === options.stakedIdentity : pubkey !== options.stakedIdentity;
    if (expected) return { ok: true };
    return {
      ok: false,
      detail: `${after} ran, but get-identity reads back ${pubkey}, ${wantStaked ? `not the staked identity ${options.stakedIdentity}` : 'still the staked identity'}`,
    };
  };

  const confirm = async (attempt: number, wantStaked: boolean): Promise<StepResult> => {
    if (options.dryRun) {
      // Nothing was switched, so the validator still runs its old identity: nothing to confirm.
      logger.info(
        { dry_run: true },
        `would confirm the validator runs ${wantStaked ? 'the staked' : 'an unstaked'} identity`,
      );
      return { ok: true };
    }
    if (attempt > 1) await sleep(options.clock, backoffMs * (attempt - 1));
    const identity = await options.currentIdentity();
    if (!wantStaked) return confirmUnstaked(identity);
    if (!identity.ok) return { ok: false, detail: `cannot read the validator's identity: ${identity.message}` };
    if (identity.value === options.stakedIdentity) return { ok: true };
    return {
      ok: false,
      detail: `the validator runs ${identity.value}, not the staked identity ${options.stakedIdentity}`,
    };
  };

  const confirmUnstaked = async (identity: RpcResult<string>): Promise<StepResult> => {
    // The symlink is read before the process table: a validator that starts in between has
    // read the same symlink, and one found running makes the check fail safe.
    const symlinkPubkey = identity.ok ? null : await options.symlinkPubkey();
    const processRunning = identity.ok
      ? true
      : await options.probe.probe().then(
          (p) => p.running,
          () => null,
        );
    const verdict = judgeUnstaked(
      {
        identity: identity.ok ? { ok: true, pubkey: identity.value } : { ok: false, error: identity.message },
        processRunning,
        symlinkPubkey,
      },
      options.stakedIdentity,
    );
    if (!verdict.confirmed) return { ok: false, detail: verdict.detail };
    const restart = restartWhenConfirmed;
    restartWhenConfirmed = false;
    if (verdict.how === 'down-on-unstaked-symlink') {
      logger.warn(
        { symlink_pubkey: symlinkPubkey },
        'the validator is not running and its identity symlink names an unstaked keypair; demotion confirmed without its answer',
      );
      if (restart) void restartStopped();
    }
    return { ok: true };
  };

  // Started, not awaited: the demotion is confirmed without it, and the promotion elsewhere
  // must not wait for a validator to boot. It can only come up on the unstaked keypair the
  // symlink names, and the stray-identity guard (S3) demotes it should it come up staked.
  const restartStopped = async (): Promise<void> => {
    const label = 'validator_restart_command';
    const snapshot = await options.probe.probe().catch(() => null);
    if (snapshot?.running === true) {
      logger.info({ command: label }, `the validator runs again on its own; ${label} not run`);
      return;
    }
    if (commands.validatorRestart === undefined) {
      logger.info(
        { command: label },
        `${label} is not configured; the validator stays down until its supervisor starts it, on the unstaked keypair`,
      );
      return;
    }
    logger.info({ command: label }, `the demotion is confirmed; restarting the stopped validator with ${label}`);
    const result = await command(label, commands.validatorRestart, restartTimeoutMs, false);
    if (result.ok) logger.info({ command: label }, `${label} done: the validator starts on the unstaked keypair`);
    else logger.warn({ command: label }, `${result.detail}; the validator stays down until it is started`);
  };

  // set-identity talks to the validator's admin socket, which a stopped validator does not
  // have: against a crashed one each attempt is a CLI process that can only fail, and the
  // attempts delay the restart fallback that does work. Safe to skip (S1): the passive-symlink
  // step ran before this one, so a validator that was not running when the process table was
  // read can only come back on the unstaked keypair the symlink now names; one started before
  // the read is seen running and gets the command as usual, and the stray-identity guard
  // (S3) demotes anything that comes back staked anyway. A probe that fails proves nothing,
  // so the command runs.
  const removeIdentity = async (timeoutMs: number): Promise<StepResult> => {
    const snapshot = await options.probe.probe().then(
      (p) => p,
      () => null,
    );
    if (snapshot !== null && !snapshot.running) {
      // Nothing runs the staked identity, and the symlink says what a start would run: the
      // identity is removed as far as it can be, and the restart waits for the confirmation.
      const symlinkPubkey = await options.symlinkPubkey();
      if (symlinkPubkey !== null && symlinkPubkey !== options.stakedIdentity) {
        restartWhenConfirmed = true;
        logger.info(
          { symlink_pubkey: symlinkPubkey },
          'the validator process is not running and its identity symlink names an unstaked keypair; identity_remove_command not run, and the validator is restarted once the demotion is confirmed',
        );
        return { ok: true };
      }
      return {
        ok: false,
        detail:
          'the validator process is not running, so set-identity has no admin socket to talk to; identity_remove_command not run',
      };
    }
    return switchIdentity(
      'identity_remove_command',
      commands.identityRemove,
      commands.identityRemoveForce,
      false,
      timeoutMs,
    );
  };

  // The file then holds the only copy of the last votes: removing it would lose them (S2). A
  // fenced backup means a newer holder exists; its tower wins, and nothing is retried.
  const keepTowerFile = (failed: { readonly error: string; readonly fenced: boolean }): StepResult => {
    if (failed.fenced) {
      logger.warn({}, 'the final tower backup was refused as fenced; the tower file is kept and not retried');
    } else {
      options.finalBackupRetry?.begin(failed.error);
    }
    return { ok: true };
  };

  // A step-down of a node that is not the holder: its tower may hold votes that no backup has
  // (the store may hold an older tower another writer put there), so it is renamed aside, out
  // of every restore's reach, and the operator is told where it is and how to put it back.
  const setAside = async (reason: TowerSetAsideReason): Promise<StepResult> => {
    const report = await keeper.setAsideTowerFile(reason);
    if (report.keptAs.length > 0) {
      logger.warn(
        { kept_as: report.keptAs },
        `stepped down (${reason}): the tower is kept aside as ${report.keptAs.join(' and ')}; no restore takes it. ` +
          'When it holds votes the tower store lacks, rename it back (without the suffix) while this node is passive and promote this node: ' +
          'its restore keeps a tower on disk that is newer than the backup and reaches the vote account floor (docs/safety.md)',
      );
    }
    return report.ok ? { ok: true } : { ok: false, detail: report.error };
  };

  return async (step: PlanStep<AgentAction>, attempt: number, carried?: CarriedFiles): Promise<StepOutcome> => {
    const t = step.timeoutMs;
    switch (step.action.kind) {
      case 'passive-symlink':
        // The first step of every demotion: what an earlier one left pending is not this one's.
        restartWhenConfirmed = false;
        return command('passive_identity_symlink_command', commands.passiveIdentitySymlink, t, true);
      case 'active-symlink':
        return command('active_identity_symlink_command', commands.activeIdentitySymlink, t, true);
      case 'remove-identity':
        return removeIdentity(t);
      case 'set-identity':
        return switchIdentity(
          'identity_change_command',
          commands.identityChange,
          commands.identityChangeForce,
          true,
          t,
        );
      case 'restart-validator':
        return command('validator_restart_command', commands.validatorRestart, t, false);
      case 'confirm-unstaked':
        return confirm(attempt, false);
      case 'confirm-identity':
        return confirm(attempt, true);
      case 'final-tower-backup': {
        options.finalBackupRetry?.cancel();
        const report = await keeper.finalBackup();
        finalBackupFailed =
          report.status === 'failed' ? { error: report.error, fenced: report.reason === 'fenced' } : null;
        if (report.status === 'failed') return { ok: false, detail: report.error };
        if (report.status === 'no-tower') return { ok: false, detail: 'no tower file to back up' };
        return { ok: true };
      }
      case 'remove-tower-file': {
        const failed = finalBackupFailed;
        finalBackupFailed = null;
        if (failed !== null) return keepTowerFile(failed);
        options.finalBackupRetry?.cancel();
        if (step.action.keepAside !== undefined) return setAside(step.action.keepAside);
        const removed = await keeper.removeTowerFile();
        return removed.ok ? { ok: true } : { ok: false, detail: removed.error ?? 'cannot remove the tower file' };
      }
      case 'hook': {
        const { hook } = step.action;
        const template = options.hooks?.[hook]?.command;
        if (template === undefined) return { ok: false, detail: `${hook} is not configured` };
        const env = hookEnvironment(step.action, { node: options.node, identity: options.stakedIdentity });
        return fromCommand(hook, await runner.run(hook, template, { timeoutMs: t, env }));
      }
      case 'restore-tower': {
        const restored = await keeper.restore(step.action.minTowerSlot, step.action.minVoteHistorySlot, carried);
        if (restored.ok) return { ok: true };
        const detail = `${restored.code}: ${restored.error}`;
        return restored.towerStale ? { ok: false, detail, towerStale: restored.towerStale } : { ok: false, detail };
      }
    }
  };
}

/** Firedancer's refusal while a key switch is under way or was abandoned (set_identity.c). */
const HALF_DONE_SWITCH = /already in the process of switching keys/;

function fromCommand(label: string, result: CommandResult): StepResult {
  return result.ok ? { ok: true } : { ok: false, detail: commandFailure(label, result) };
}

/** One line about a failed command: its label, exit status or time limit, and the end of its stderr. */
export function commandFailure(label: string, result: CommandResult): string {
  const why = result.timedOut
    ? `timed out after ${result.durationMs} ms`
    : `exited with ${result.exitCode ?? 'a signal'}`;
  const stderr = result.stderr.trim().slice(-300);
  return `${label} ${why}${stderr ? `: ${stderr}` : ''}`;
}
