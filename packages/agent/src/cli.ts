/**
 * `failover-agent`: parses the command line, loads the config and serves the agent's API
 * until it is told to stop; exits with a code of {@link AGENT_EXIT}.
 */
import { FailoverError } from '@failover/core';
import { createLogger, type RootLogger } from '@failover/notifier';
import { formatProblems, loadAgentConfig, secretsToRedact, type AgentConfig } from '@failover/protocol';
import { loadAgentAuth, type AgentAuth } from './agent-auth';
import { agentUsage, parseAgentArgs } from './cli-args';
import { createAgent } from './create-agent';
import { exampleConfigComments, exampleConfigJson } from './example-config';
import { parseListenAddress } from './listen-address';
import { AGENT_VERSION } from './version';

/** Exit codes of `failover-agent`; docs/agent.md lists them under "Exit codes". */
export const AGENT_EXIT = {
  /** Stopped on SIGTERM or SIGINT, or on `POST /shutdown` without `agent_stop_command`; or help, version or an example config printed. */
  ok: 0,
  /** The agent failed after its configuration was accepted: its API could not listen, or it failed while running. */
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
    case 'generate-config':
      io.stdout.write(exampleConfigJson());
      io.stderr.write(exampleConfigComments());
      return AGENT_EXIT.ok;
    case 'run':
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

async function serve(config: AgentConfig, auth: AgentAuth, logger: RootLogger, io: AgentCliIo): Promise<number> {
  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const unsubscribe = io.onStopSignal((signal) => stop(`received ${signal}`));
  try {
    let agent;
    let listenOn;
    try {
      listenOn = parseListenAddress(config.listenAddr);
      agent = await createAgent({ config, auth, logger, exit: stop, env: io.env });
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
      const reason = await stopped;
      logger.info({ reason }, 'stopping');
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
