import { spawn } from 'node:child_process';
import type { Logger } from '@failover/core';
import type { AgentConfig } from '@failover/protocol';
import { redactSecrets } from './internal/redact';

/** The outcome of one configured command; a failure is a value, never an exception. */
export interface CommandResult {
  /** True when the command exited 0 (always true in dry-run). */
  readonly ok: boolean;
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** True when the per-command timeout killed it. */
  readonly timedOut: boolean;
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

// Output beyond this is dropped: a chatty command must not grow the agent's memory.
const MAX_CAPTURE_BYTES = 64 * 1024;
// Time between SIGTERM and SIGKILL for a command that outlived its timeout.
const KILL_GRACE_MS = 2_000;

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
      const raw = await execute(shell, resolved, limit, { ...(options.env ?? process.env), ...runOptions.env });
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

type RawResult = Omit<CommandResult, 'dryRun' | 'command'>;

function execute(
  shell: string,
  commandLine: string,
  timeoutMs: number,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RawResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    // detached: the command gets its own process group, so a timeout can kill what it spawned
    // (an `agave-validator` CLI under `sudo`, a pipeline) and not only bash.
    const child = spawn(shell, ['-c', commandLine], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env },
    });
    const stdout = capture();
    const stderr = capture();
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (exitCode: number | null, spawnError?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      const err = spawnError ? `${stderr.text()}${spawnError.message}` : stderr.text();
      resolve({
        ok: exitCode === 0 && !timedOut,
        exitCode,
        stdout: stdout.text(),
        stderr: err,
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        // A grandchild that left the group can hold the pipes open; do not wait for it.
        finish(null);
      }, KILL_GRACE_MS);
    }, timeoutMs);
    child.once('error', (error) => finish(null, error));
    child.once('close', (code) => finish(code));
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function capture(): { add: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (chunk: Buffer) => {
      if (size >= MAX_CAPTURE_BYTES) return;
      chunks.push(chunk.subarray(0, MAX_CAPTURE_BYTES - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
