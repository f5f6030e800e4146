/**
 * `failover-manager`: parses the command line, loads the config and runs the chosen
 * command; exits with a code of {@link MANAGER_EXIT}.
 */
import path from 'node:path';
import { EMPTY_JOURNAL, NODE_IDS } from '@failover/core';
import type { NodeId } from '@failover/core';
import { createLogger, NotifierOptionError } from '@failover/notifier';
import {
  defaultStateDir,
  doctorExitCode,
  doctorReport,
  formatProblems,
  JOURNAL_FILE_NAME,
  loadManagerConfig,
  prepareStateDir,
  renderDoctorTable,
  SecretFileError,
  EtcdAccessError,
  secretOf,
  secretsToRedact,
  StateDirError,
  StateFileError,
  systemClock,
} from '@failover/protocol';
import type { ManagerConfig, ManagerFlags, Secret } from '@failover/protocol';
import { createAgentPort } from './agent-port';
import { describeCallError } from './agent-port';
import { managerUsage, parseManagerArgs, type ParsedManagerArgs } from './cli-args';
import { runManagerDoctor } from './doctor';
import { createManagerFence } from './manager-fence';
import { currentManagerTerm } from './manager-term';
import {
  fetchControlStatus,
  requestPause,
  requestResume,
  requestSwitchover,
  type ControlTarget,
} from './control-client';
import { ManagerConfigError, ManagerError, NoAuthSecretError, UsageError } from './errors';
import { exampleConfigText } from './example-config';
import { historyDocument, renderHistory } from './history-view';
import { fetchEtcdJournal } from './etcd-journal';
import { readJournalFile } from './journal';
import { loadManagerAuth, startManager } from './start-manager';
import { pauseText, renderStatusTable } from './status-view';
import { watchStatus } from './status-watch';
import { MANAGER_VERSION } from './version';

/** Exit codes of `failover-manager`; docs/manager.md lists them under "Exit codes and errors". */
export const MANAGER_EXIT = {
  /** Done: the monitor or `status --watch` stopped on SIGTERM or SIGINT, the switchover completed, the manager paused or resumed, both agents shut down, the history printed, `doctor` found no failed check, or help, version or an example config printed. */
  ok: 0,
  /** The command failed: an agent did not shut down, the switchover was refused or did not complete, the pause or resume was refused, the control API could not be reached, the journal could not be read for the history, a `doctor` check failed, or the monitor failed while running. */
  failure: 1,
  /** Bad command line or configuration (every problem listed with its key), or a start-up refusal such as no shared secret or an unusable state directory or journal; nothing was started. */
  config: 2,
} as const;

/** Where the CLI writes and what it reads; the process's own by default, a test's in tests. */
export interface ManagerCliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  readonly stopSignal: Promise<string>;
}

function processIo(): ManagerCliIo {
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal };
}

/**
 * Runs `failover-manager` with `argv` (without `node` and the script) until its command is
 * done, or until it is told to stop for the monitor; resolves with the exit code.
 */
export async function runManagerCli(argv: readonly string[], io: ManagerCliIo = processIo()): Promise<number> {
  const args = parseManagerArgs(argv);
  if (!args.ok) {
    io.stderr.write(`failover-manager: ${new UsageError(args.error).message}\n`);
    return MANAGER_EXIT.config;
  }
  try {
    switch (args.command) {
      case 'help':
        io.stdout.write(managerUsage());
        return MANAGER_EXIT.ok;
      case 'version':
        io.stdout.write(`failover-manager ${MANAGER_VERSION}\n`);
        return MANAGER_EXIT.ok;
      case 'generate-config':
        io.stdout.write(exampleConfigText());
        return MANAGER_EXIT.ok;
      case 'shutdown-agent':
        return await shutdownAgents(await loadConfig(args, io), io);
      case 'status':
        return await printStatus(await loadConfig(args, io), args, io);
      case 'switchover':
        return await switchover(await loadConfig(args, io), args.reason ?? '', args.to, io);
      case 'pause':
      case 'resume':
        return await pauseOrResume(await loadConfig(args, io), args, io);
      case 'history':
        return await printHistory(await loadConfig(args, io), args.json, args.last ?? 10, io);
      case 'doctor':
        return await doctor(args, io);
      case 'run':
        return await run(await loadConfig(args, io), io);
    }
  } catch (error) {
    io.stderr.write(`failover-manager: ${(error as Error).message}\n`);
    return error instanceof ManagerConfigError || error instanceof NoAuthSecretError || isStartupRefusal(error, args)
      ? MANAGER_EXIT.config
      : MANAGER_EXIT.failure;
  }
}

async function loadConfig(args: Extract<ParsedManagerArgs, { ok: true }>, io: ManagerCliIo): Promise<ManagerConfig> {
  const result = await loadManagerConfig({
    ...(args.configPath === undefined ? {} : { file: args.configPath }),
    env: io.env,
    flags: args.flags as ManagerFlags,
  });
  if (!result.ok) throw new ManagerConfigError(formatProblems(result.problems).split('\n'));
  return result.config;
}

/** `failover-manager doctor`: the install's checks as a table or JSON; exit 1 when one failed. */
async function doctor(args: Extract<ParsedManagerArgs, { ok: true }>, io: ManagerCliIo): Promise<number> {
  const rows = await runManagerDoctor({
    ...(args.configPath === undefined ? {} : { configPath: args.configPath }),
    flags: args.flags,
    env: io.env,
  });
  io.stdout.write(
    args.json ? `${JSON.stringify(doctorReport('failover-manager', rows), null, 2)}\n` : renderDoctorTable(rows),
  );
  return doctorExitCode(rows) === 0 ? MANAGER_EXIT.ok : MANAGER_EXIT.failure;
}

async function run(config: ManagerConfig, io: ManagerCliIo): Promise<number> {
  const auth = await loadManagerAuth(config);
  const logger = createLogger({
    format: config.logFormat,
    stream: io.stdout,
    ...(config.logFile === undefined ? {} : { file: config.logFile, rotate: 'daily' as const }),
    redact: [...(config.telegram === undefined ? [] : [config.telegram.botToken]), ...secretsToRedact(auth)],
  });
  try {
    let manager;
    try {
      manager = await startManager({ config, auth, logger, clock: systemClock, env: io.env });
    } catch (error) {
      if (error instanceof NotifierOptionError)
        throw new ManagerConfigError([`telegram_bot_token / telegram_chat_id: ${error.message}`]);
      throw error;
    }
    const reason = await io.stopSignal;
    await manager.stop(`received ${reason}`);
    return MANAGER_EXIT.ok;
  } finally {
    await logger.close();
  }
}

async function shutdownAgents(config: ManagerConfig, io: ManagerCliIo): Promise<number> {
  const secret = await clientSecret(config);
  // The running manager's term, not a new one: a shutdown must not depose the manager beside it.
  const stateDir = await prepareStateDir('failover-manager', config.stateDir, { env: io.env });
  const fence = createManagerFence({ ...(await currentManagerTerm(stateDir)), now: () => systemClock.now() });
  let failures = 0;
  await Promise.all(
    NODE_IDS.map(async (node, index) => {
      const { endpoint, nodeName } = config.validators[index === 0 ? 0 : 1];
      const port = createAgentPort({
        node,
        endpoint,
        ...(nodeName === undefined ? {} : { nodeName }),
        secret,
        requestTimeoutMs: config.requestTimeoutMs,
        clock: systemClock,
        fence,
      });
      const answer = await port.client.shutdown({ reason: 'failover-manager --shutdown-agent' });
      if (answer.ok && answer.value.success) {
        io.stdout.write(`${node} (${endpoint}): ${answer.value.message}\n`);
      } else {
        failures += 1;
        io.stderr.write(
          `${node} (${endpoint}): shutdown failed: ${answer.ok ? answer.value.message : describeCallError(answer.error)}\n`,
        );
      }
    }),
  );
  return failures === 0 ? MANAGER_EXIT.ok : MANAGER_EXIT.failure;
}

async function printStatus(
  config: ManagerConfig,
  args: Extract<ParsedManagerArgs, { ok: true }>,
  io: ManagerCliIo,
): Promise<number> {
  const target = await controlTarget(config);
  if (args.watch) {
    await watchStatus({
      fetch: () => fetchControlStatus(target),
      out: io.stdout,
      tty: (io.stdout as { isTTY?: boolean }).isTTY === true,
      json: args.json,
      intervalMs: Math.max(1000, config.heartbeatIntervalMs),
      stop: io.stopSignal,
    });
    return MANAGER_EXIT.ok;
  }
  const status = await fetchControlStatus(target);
  io.stdout.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatusTable(status));
  return MANAGER_EXIT.ok;
}

/**
 * Reads the journal itself (the file, or etcd with the election), not the control API: it works
 * whether the manager runs or not. No journal yet is an empty history; a corrupt one is an error (exit 1).
 */
async function printHistory(config: ManagerConfig, json: boolean, last: number, io: ManagerCliIo): Promise<number> {
  if (config.election !== undefined) {
    // Highly available managers keep one journal, in etcd.
    const { location, journal } = await fetchEtcdJournal(config.election);
    const read = journal ?? EMPTY_JOURNAL;
    io.stdout.write(
      json
        ? `${JSON.stringify(historyDocument(read, location, last), null, 2)}\n`
        : renderHistory(read, location, last),
    );
    return MANAGER_EXIT.ok;
  }
  const dir = path.resolve(config.stateDir ?? defaultStateDir('failover-manager', { env: io.env }));
  const file = path.join(dir, JOURNAL_FILE_NAME);
  const journal = (await readJournalFile(file)) ?? EMPTY_JOURNAL;
  io.stdout.write(
    json ? `${JSON.stringify(historyDocument(journal, file, last), null, 2)}\n` : renderHistory(journal, file, last),
  );
  return MANAGER_EXIT.ok;
}

async function switchover(
  config: ManagerConfig,
  reason: string,
  to: NodeId | undefined,
  io: ManagerCliIo,
): Promise<number> {
  let started: number | undefined;
  let ok = false;
  const stamp = (at: number): string => {
    started ??= at;
    return `${new Date(at).toISOString()} +${((at - started) / 1000).toFixed(3)}s`;
  };
  for await (const line of requestSwitchover(await controlTarget(config), {
    reason,
    ...(to === undefined ? {} : { to }),
  })) {
    switch (line.type) {
      case 'waiting':
        io.stdout.write(`${stamp(line.at)}  waiting ${line.detail}\n`);
        break;
      case 'window':
        io.stdout.write(`${stamp(line.at)}  slot ${line.slot} began, starting (waited ${line.waited_ms} ms)\n`);
        break;
      case 'refused':
        io.stderr.write(`${stamp(line.at)}  refused (${line.refusal}): ${line.detail}\n`);
        break;
      case 'accepted':
        io.stdout.write(`${stamp(line.at)}  switchover ${line.from} → ${line.to}: ${line.steps.join(', ')}\n`);
        break;
      case 'step-started':
        io.stdout.write(
          `${stamp(line.at)}  ${line.compensating ? 'undo: ' : ''}${line.step}${line.attempt > 1 ? ` (attempt ${line.attempt})` : ''} …\n`,
        );
        break;
      case 'step-finished':
        io.stdout.write(
          `${stamp(line.at)}  ${line.step}: ${line.ok ? 'ok' : `FAILED: ${line.detail ?? ''}`} in ${line.ms} ms\n`,
        );
        break;
      case 'done':
        ok = line.outcome === 'completed';
        (ok ? io.stdout : io.stderr).write(
          `${stamp(line.at)}  ${line.outcome} in ${line.total_ms} ms${line.detail === undefined ? '' : `: ${line.detail}`}\n`,
        );
        break;
    }
  }
  return ok ? MANAGER_EXIT.ok : MANAGER_EXIT.failure;
}

/** `pause` and `resume`: exit 0 once the manager journaled the change, 1 when it refused. */
async function pauseOrResume(
  config: ManagerConfig,
  args: Extract<ParsedManagerArgs, { ok: true }>,
  io: ManagerCliIo,
): Promise<number> {
  const target = await controlTarget(config);
  const reason = args.reason?.trim();
  const answer =
    args.command === 'pause'
      ? await requestPause(target, {
          reason: reason ?? '',
          ...(args.forMs === undefined ? {} : { for_ms: args.forMs }),
        })
      : await requestResume(target, reason === undefined ? {} : { reason });
  switch (answer.outcome) {
    case 'paused':
      io.stdout.write(
        `paused: ${pauseText(answer.pause)}; no automatic failover or recovery. End it with: failover-manager resume\n`,
      );
      if (answer.replaced !== null) io.stdout.write(`it replaces the pause ${pauseText(answer.replaced)}\n`);
      return MANAGER_EXIT.ok;
    case 'resumed':
      io.stdout.write(`resumed: automatic failover armed again (it was paused: ${pauseText(answer.ended)})\n`);
      return MANAGER_EXIT.ok;
    case 'refused':
      io.stderr.write(`refused (${answer.refusal}): ${answer.detail}\n`);
      return MANAGER_EXIT.failure;
  }
}

async function controlTarget(config: ManagerConfig): Promise<ControlTarget> {
  return { host: config.controlListen.host, port: config.controlListen.port, secret: await clientSecret(config) };
}

async function clientSecret(config: ManagerConfig): Promise<Secret | undefined> {
  return secretOf(await loadManagerAuth(config));
}

/**
 * Refusals of an unsafe set-up found at start (secret file, state directory, term or journal file,
 * keypair, SSH check): configuration problems, exit 2. For `history`, an unreadable journal is the
 * command failing (exit 1).
 */
function isStartupRefusal(error: unknown, command: ParsedManagerArgs): boolean {
  if (error instanceof SecretFileError || error instanceof EtcdAccessError) return true;
  if (error instanceof StateDirError || error instanceof StateFileError) return command.ok && command.command === 'run';
  return (
    error instanceof ManagerError &&
    [
      'FAILOVER_MANAGER_IDENTITY_MISMATCH',
      'FAILOVER_MANAGER_KEYPAIR_PERMISSIONS',
      'FAILOVER_MANAGER_SSH_CHECK',
      'FAILOVER_MANAGER_LISTEN',
    ].includes(error.code)
  );
}

/** Entry point of the `failover-manager` bin: runs the CLI with the process's streams and signals. */
export function main(argv: readonly string[]): void {
  void runManagerCli(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`failover-manager: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = MANAGER_EXIT.failure;
    },
  );
}
