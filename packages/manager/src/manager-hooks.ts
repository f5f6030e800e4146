/**
 * The operator's hooks around a whole failover (`hooks.pre_failover`, `hooks.post_failover`),
 * run on the manager's host as steps of core's plan: core decides where they sit and what their
 * failure does; this runs the command. The failover is described in the environment, never in
 * the command line, and what the hook prints is logged with the manager's secrets taken out.
 */
import type { FailoverPlan, Logger, ManagerHookName, NodeId, StepResult } from '@failover/core';
import { printableLine, redactSecrets, runShellCommand } from '@failover/protocol';

/** One configured hook. */
export interface ManagerHookCommand {
  readonly command: string;
  readonly timeoutMs: number;
}

/** What the runner knows of the configuration. */
export interface ManagerHookSettings {
  readonly hooks: Readonly<Partial<Record<ManagerHookName, ManagerHookCommand>>>;
  /** A node's `node_name` (configured or learned from its agent) and gossip IP; '' for what is not known. */
  readonly nodes: (node: NodeId) => { readonly name: string; readonly ip: string };
  /** The staked identity's pubkey, '' when not configured. */
  readonly identity: string;
  /** Values never to appear in the log: the shared secret, the Telegram token. */
  readonly secrets: readonly string[];
  readonly log: Logger;
  /** @default 'bash' */
  readonly shell?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The failover a hook runs in. */
export interface ManagerHookRun {
  readonly plan: Pick<FailoverPlan, 'kind' | 'from' | 'to'>;
  /** Why the failover happens, as sent to the agents. */
  readonly reason: string;
  /** Its id in the journal. */
  readonly run: number;
  /** The term of the manager running it. */
  readonly term: number;
}

/** Runs the manager's hooks. */
export interface ManagerHookRunner {
  run(hook: ManagerHookName, failover: ManagerHookRun): Promise<StepResult>;
}

// The tail of a failed hook's output carried into the step's detail (and so the notification).
const DETAIL_TAIL = 300;

/** The environment that describes the failover to a hook. No secret is part of it. */
export function managerHookEnvironment(
  hook: ManagerHookName,
  failover: ManagerHookRun,
  settings: Pick<ManagerHookSettings, 'nodes' | 'identity'>,
): Record<string, string> {
  const { plan } = failover;
  const from = settings.nodes(plan.from);
  const to = settings.nodes(plan.to);
  return {
    FAILOVER_HOOK: hook,
    FAILOVER_PLAN: plan.kind,
    FAILOVER_FROM: plan.from,
    FAILOVER_TO: plan.to,
    FAILOVER_FROM_NAME: from.name,
    FAILOVER_TO_NAME: to.name,
    FAILOVER_FROM_IP: from.ip,
    FAILOVER_TO_IP: to.ip,
    FAILOVER_REASON: printableLine(failover.reason),
    FAILOVER_RUN: String(failover.run),
    FAILOVER_TERM: String(failover.term),
    FAILOVER_IDENTITY: settings.identity,
  };
}

/** Creates the runner. A hook in a plan taken up after a restart may no longer be configured: it is skipped. */
export function createManagerHookRunner(settings: ManagerHookSettings): ManagerHookRunner {
  const { log, secrets } = settings;
  const shell = settings.shell ?? 'bash';
  return {
    async run(hook, failover) {
      const configured = settings.hooks[hook];
      if (configured === undefined) {
        log.warn({ hook, run: failover.run }, `${hook} is in the plan but no longer configured; skipped`);
        return { ok: true };
      }
      const env = { ...(settings.env ?? process.env), ...managerHookEnvironment(hook, failover, settings) };
      log.info({ hook, run: failover.run }, `running ${hook}: ${redactSecrets(configured.command, secrets)}`);
      const result = await runShellCommand(shell, configured.command, configured.timeoutMs, env);
      const stdout = redactSecrets(result.stdout, secrets).trim();
      const stderr = redactSecrets(result.stderr, secrets).trim();
      const fields = {
        hook,
        run: failover.run,
        exit_code: result.exitCode,
        duration_ms: result.durationMs,
        timed_out: result.timedOut,
        stdout,
        stderr,
      };
      if (result.ok) {
        log.info(fields, `${hook} succeeded`);
        return { ok: true };
      }
      log.error(fields, `${hook} failed`);
      const ended = result.timedOut
        ? `timed out after ${configured.timeoutMs} ms`
        : `exited with ${result.exitCode ?? 'a signal'}`;
      const said = (stderr || stdout).slice(-DETAIL_TAIL);
      return { ok: false, detail: `${hook} ${ended}${said ? `: ${said}` : ''}` };
    },
  };
}
