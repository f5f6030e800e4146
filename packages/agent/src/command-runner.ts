import type { Logger } from '@failover/core';
import { redactSecrets, runShellCommand, type AgentConfig, type ShellCommandResult } from '@failover/protocol';

/** The outcome of one configured command (`ok` is always true in dry-run); a failure is a value, never an exception. */
export interface CommandResult extends ShellCommandResult {
  /** True when nothing ran because the agent is in dry-run. */
  readonly dryRun: boolean;
  /** The command line after placeholders, redacted, as it was logged. */
  readonly command: string;
}

/** Runs the operator's configured command templates; injected so tests can record calls. */
export interface CommandRunner {
  /**
   * Resolves the template's placeholders and runs it through `bash -c`.
   * @param label what the command is for (`identity_change_command`), used in logs.
   */
  run(label: string, template: string, options?: RunOptions): Promise<CommandResult>;
}

/** Per-call options of {@link CommandRunner.run}. */
export interface RunOptions {
  /** Overrides the runner's timeout for this call (a role-change step's own limit). */
  readonly timeoutMs?: number;
  /**
   * The command only reads (`gossip_check_command`, `identity_check_command`): it runs even in
   * dry-run, where the role at start-up must still be detected.
   */
  readonly readOnly?: boolean;
  /**
   * Variables added to the command's environment (a hook's description of the change). Values
   * reach the command only as environment, never in its command line, so nothing in them is
   * parsed by the shell.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Options of {@link createCommandRunner}. */
export interface CommandRunnerOptions {
  /**
   * Placeholder values, from the configuration only: `{validator_identity}` → pubkey. Request
   * data never reaches this map, so nothing from the network is ever interpolated.
   */
  readonly placeholders: Readonly<Record<string, string>>;
  /** Log `would execute: …` and run nothing. */
  readonly dryRun: boolean;
  /** Per-command timeout; the whole process group is killed when it passes. @default 30_000 */
  readonly timeoutMs?: number;
  /** Values never to appear in logs or results (the auth secret, keypair paths' contents). */
  readonly secrets?: readonly string[];
  readonly logger: Logger;
  /** @default 'bash' */
  readonly shell?: string;
  /** Environment of the commands (PATH finds `agave-validator`, `solana`). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Replaces `{name}` for each known placeholder and leaves every other brace alone, so bash's
 * own `{a,b}` and `${VAR}` in a template keep working.
 */
export function resolvePlaceholders(template: string, placeholders: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(placeholders, name) ? (placeholders[name] as string) : whole,
  );
}

/** The placeholders of the agent's command templates, from its config only. */
export function configPlaceholders(config: AgentConfig): Record<string, string> {
  const placeholders: Record<string, string> = {
    validator_identity: config.validatorIdentity,
    local_rpc: config.localRpc,
    tower_file: config.towerFilePath,
    vote_history_file: config.voteHistoryFilePath,
  };
  if (config.ledgerPath) placeholders.ledger = config.ledgerPath;
  if (config.fdConfig) placeholders.fd_config = config.fdConfig;
  return placeholders;
}

/** Creates the runner the agent uses for every configured command. */
export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const secrets = options.secrets ?? [];
  const shell = options.shell ?? 'bash';
  const { logger } = options;

  return {
    async run(label, template, runOptions = {}) {
      const resolved = resolvePlaceholders(template, options.placeholders);
      const shown = redactSecrets(resolved, secrets);
      const limit = runOptions.timeoutMs ?? timeoutMs;
      if (options.dryRun && !runOptions.readOnly) {
        logger.info({ command: label, dry_run: true }, `would execute: ${shown}`);
        return {
          ok: true,
          exitCode: 0,
          stdout: '',
          stderr: '',
          durationMs: 0,
          timedOut: false,
          dryRun: true,
          command: shown,
        };
      }
      logger.info({ command: label }, `executing: ${shown}`);
      const raw = await runShellCommand(shell, resolved, limit, { ...(options.env ?? process.env), ...runOptions.env });
      const result: CommandResult = {
        ...raw,
        stdout: redactSecrets(raw.stdout, secrets),
        stderr: redactSecrets(raw.stderr, secrets),
        dryRun: false,
        command: shown,
      };
      const fields = {
        command: label,
        exit_code: result.exitCode,
        duration_ms: result.durationMs,
        timed_out: result.timedOut,
        stdout: result.stdout.trim(),
        stderr: result.stderr.trim(),
      };
      if (result.ok) logger.info(fields, `${label} succeeded`);
      else logger.error(fields, `${label} failed${result.timedOut ? ` after ${limit} ms timeout` : ''}`);
      return result;
    },
  };
}
