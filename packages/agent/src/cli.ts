/**
 * `failover-agent`: parses the command line, loads the config and serves the agent's API
 * until it is told to stop; exits with a code of {@link AGENT_EXIT}.
 */
import { FailoverError } from '@failover/core';
import { createLogger, type RootLogger } from '@failover/notifier';
import {
  createSolanaRpc,
  doctorExitCode,
  doctorReport,
  formatProblems,
  loadAgentConfig,
  secretsToRedact,
  renderDoctorTable,
  systemClock,
  VALIDATOR_CLIENTS,
  type AgentConfig,
  type AgentFlags,
  type ValidatorClient,
} from '@failover/protocol';
import { loadAgentAuth, type AgentAuth } from './agent-auth';
import { agentUsage, parseAgentArgs } from './cli-args';
import { configPlaceholders, createCommandRunner } from './command-runner';
import { createAgent } from './create-agent';
import { runAgentDoctor } from './doctor';
import { exampleConfigComments, exampleConfigJson } from './example-config';
import { runHostGuard } from './host-guard';
import { identityReader } from './identity-reader';
import { parseListenAddress } from './listen-address';
import { createProcessProbe } from './process-probe';
import { createServiceNotifier } from './systemd-notify';
import { AGENT_VERSION } from './version';

/** Exit codes of `failover-agent`; docs/agent.md lists them under "Exit codes". */
export const AGENT_EXIT = {
  /** Stopped on SIGTERM or SIGINT, or on `POST /shutdown` without `agent_stop_command`; or help, version or an example config printed; or `doctor` found no failed check. */
  ok: 0,
  /** The agent failed after its configuration was accepted: its API could not listen, or it failed while running; or a `doctor` check failed. */
  failure: 1,
  /** Bad command line or configuration (every problem listed with its key), or a start-up refusal such as no shared secret; nothing was started. */
  config: 2,
} as const;

/** The process around the agent; tests pass their own. */
export interface AgentCliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `stop` on SIGTERM/SIGINT; returns a function that stops listening. */
  readonly onStopSignal: (stop: (signal: string) => void) => () => void;
  /** Told the URL the API listens on, once it does. */
  readonly onListening?: (url: string) => void;
}

function isValidatorClient(value: string): value is ValidatorClient {
  return (VALIDATOR_CLIENTS as readonly string[]).includes(value);
}

const processIo: AgentCliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onStopSignal(stop) {
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    return () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    };
  },
};

/**
 * Runs `failover-agent` with `argv` (without `node` and the script) until it is told to stop;
 * resolves with the exit code.
 */
export async function runAgentCli(argv: readonly string[], io: AgentCliIo = processIo): Promise<number> {
  const args = parseAgentArgs(argv);
  if (!args.ok) {
    io.stderr.write(`failover-agent: ${args.error}\n\n${agentUsage()}`);
    return AGENT_EXIT.config;
  }
  switch (args.command) {
    case 'help':
      io.stdout.write(agentUsage());
      return AGENT_EXIT.ok;
    case 'version':
      io.stdout.write(`failover-agent ${AGENT_VERSION}\n`);
      return AGENT_EXIT.ok;
    case 'generate-config': {
      const client = args.flags.client ?? 'agave';
      if (!isValidatorClient(client)) {
        io.stderr.write(`failover-agent: --client is "${client}"; it must be one of ${VALIDATOR_CLIENTS.join(', ')}\n`);
        return AGENT_EXIT.config;
      }
      io.stdout.write(exampleConfigJson(client));
      io.stderr.write(exampleConfigComments());
      return AGENT_EXIT.ok;
    }
    case 'doctor':
      return doctor(args.configPath, args.flags, args.doctor?.unitFile, args.doctor?.json === true, io);
    case 'run':
    case 'guard':
      break;
  }

  const loaded = await loadAgentConfig({
    ...(args.configPath ? { file: args.configPath } : {}),
    env: io.env,
    flags: args.flags,
  });
  if (!loaded.ok) {
    io.stderr.write(
      `failover-agent: invalid configuration (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}):\n${formatProblems(loaded.problems)}\n`,
    );
    return AGENT_EXIT.config;
  }
  const { config } = loaded;
  if (args.command === 'guard') return guard(config, io);
  let auth: AgentAuth;
  try {
    auth = await loadAgentAuth(config);
  } catch (error) {
    if (!(error instanceof FailoverError)) throw error;
    io.stderr.write(`failover-agent: ${error.message}\n`);
    return AGENT_EXIT.config;
  }
  const logger = createLogger({
    level: 'info',
    format: config.logFormat,
    ...(config.logFile ? { file: config.logFile, rotate: 'daily' as const } : {}),
    stream: io.stdout,
    redact: secretsToRedact(auth),
  });
  try {
    return await serve(config, auth, logger, io);
  } finally {
    await logger.close();
  }
}

/**
 * `failover-agent guard`: the unit's `ExecStopPost=`. It needs no secret and no state: it must
 * work whatever stopped the agent. Exit 0 when the validator no longer holds the staked
 * identity (or in dry-run), 1 when it may.
 */
async function guard(config: AgentConfig, io: AgentCliIo): Promise<number> {
  const logger = createLogger({
    level: 'info',
    format: config.logFormat,
    ...(config.logFile ? { file: config.logFile, rotate: 'daily' as const } : {}),
    stream: io.stdout,
  });
  try {
    logger.warn(
      {
        service_result: io.env.SERVICE_RESULT ?? null,
        exit_code: io.env.EXIT_CODE ?? null,
        exit_status: io.env.EXIT_STATUS ?? null,
      },
      'host guard: the agent stopped; taking the staked identity off this validator',
    );
    const runner = createCommandRunner({
      placeholders: configPlaceholders(config),
      dryRun: config.dryRun,
      timeoutMs: config.commandTimeoutMs,
      logger,
      env: io.env,
    });
    const outcome = await runHostGuard({
      config,
      runner,
      // Every probe a whole scan: the guard kills every process of the name, not the ones it followed.
      probe: createProcessProbe({ processName: config.processName, fullScanMs: 0, clock: systemClock }),
      currentIdentity: identityReader(
        config,
        runner,
        createSolanaRpc({ endpoints: [config.localRpc], timeoutMs: GUARD_RPC_TIMEOUT_MS }),
      ),
      clock: systemClock,
      logger,
    });
    const fields = { outcome: outcome.status, ...('how' in outcome ? { how: outcome.how } : {}) };
    if (outcome.status === 'failed') {
      logger.error(fields, `host guard failed: ${outcome.detail}; the validator may still hold the staked identity`);
      io.stderr.write(`failover-agent guard: ${outcome.detail}\n`);
      return AGENT_EXIT.failure;
    }
    logger.info(
      fields,
      `host guard: ${outcome.status}${'how' in outcome ? ` (${outcome.how})` : ''}: ${outcome.detail}`,
    );
    return AGENT_EXIT.ok;
  } finally {
    await logger.close();
  }
}

/** `failover-agent doctor`: the install's checks as a table or JSON; exit 1 when one failed. */
async function doctor(
  configPath: string | undefined,
  flags: AgentFlags,
  unitFile: string | undefined,
  json: boolean,
  io: AgentCliIo,
): Promise<number> {
  const rows = await runAgentDoctor({
    ...(configPath === undefined ? {} : { configPath }),
    flags,
    env: io.env,
    ...(unitFile === undefined ? {} : { unitFile }),
  });
  io.stdout.write(
    json ? `${JSON.stringify(doctorReport('failover-agent', rows), null, 2)}\n` : renderDoctorTable(rows),
  );
  return doctorExitCode(rows) === 0 ? AGENT_EXIT.ok : AGENT_EXIT.failure;
}

// Each identity read of the guard; a frozen validator must not eat guard_kill_after in one call.
const GUARD_RPC_TIMEOUT_MS = 1_000;

async function serve(config: AgentConfig, auth: AgentAuth, logger: RootLogger, io: AgentCliIo): Promise<number> {
  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const unsubscribe = io.onStopSignal((signal) => stop(`received ${signal}`));
  const notifier = createServiceNotifier({ env: io.env, logger });
  try {
    let agent;
    let listenOn;
    try {
      listenOn = parseListenAddress(config.listenAddr);
      agent = await createAgent({ config, auth, logger, exit: stop, env: io.env, onLoopTurn: () => notifier.alive() });
    } catch (error) {
      if (!(error instanceof FailoverError)) throw error;
      logger.error({ code: error.code }, error.message);
      io.stderr.write(`failover-agent: ${error.message}\n`);
      return AGENT_EXIT.config;
    }
    try {
      const url = await agent.app.listen(listenOn);
      agent.start();
      logger.info(
        { role: agent.role.role(), dry_run: config.dryRun, version: AGENT_VERSION },
        `failover-agent listening on ${url}`,
      );
      io.onListening?.(url);
      notifier.ready();
      const reason = await stopped;
      logger.info({ reason }, 'stopping');
      notifier.stopping();
      return AGENT_EXIT.ok;
    } finally {
      await agent.close();
    }
  } catch (error) {
    logger.error({ err: error }, `failover-agent failed: ${(error as Error).message}`);
    io.stderr.write(`failover-agent: ${(error as Error).message}\n`);
    return AGENT_EXIT.failure;
  } finally {
    unsubscribe();
  }
}

/** Entry point of the `failover-agent` bin. */
export function main(argv: readonly string[]): void {
  void runAgentCli(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`failover-agent: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = AGENT_EXIT.failure;
    },
  );
}
