import fs from 'node:fs';
import path from 'node:path';
import type { Keypair } from '@failover/core';
import { parseKeypairJson } from '@failover/core';
import { requestOverSocket } from '../internal/lines';
import type { CliIo } from './cli-io';
import { UsageError, normalizeArgs, osErrorText, processIo, reportUsage, unexpectedArgument } from './cli-io';
import { waitForRestartWindow } from './wait-for-restart-window';
import type { RestartWindowArgs } from './wait-for-restart-window';

/**
 * The `agave-validator` admin subcommands the failover system runs, with agave's argument
 * rules, messages and exit codes (validator/src/commands/{set_identity,authorized_voter,
 * wait_for_restart_window}). They reach the validator over `LEDGER/admin.rpc`, as agave does.
 * `set-identity --do-not-require-vote-history` is agave 4.2's opt-out of the vote-history check.
 */

const VERSION = 'agave-validator 2.2.16 (src:00000000; feat:3294202862, client:Agave)';
const TOP_USAGE = 'agave-validator [FLAGS] [OPTIONS] [SUBCOMMAND]';

const HELP = `${VERSION}
Blockchain, Rebuilt for Scale (simulated: admin subcommands only)

USAGE:
    ${TOP_USAGE}

OPTIONS:
    -l, --ledger <DIR>    Use DIR as ledger location [default: ledger]

SUBCOMMANDS:
    authorized-voter           Adjust the validator authorized voters
    exit                       Send an exit request to the validator
    help                       Prints this message or the help of the given subcommand(s)
    set-identity               Set the validator identity
    wait-for-restart-window    Monitor the validator for a good time to restart
`;

/** An admin call failed; its message is agave's wording, printed as is. */
class AdminError extends Error {}

async function admin(ledger: string, method: string, params: unknown[], prefix: string): Promise<unknown> {
  const socket = path.join(ledger, 'admin.rpc');
  let reply: { result?: unknown; error?: { message: string } };
  try {
    reply = (await requestOverSocket(socket, { jsonrpc: '2.0', id: 1, method, params }, 60_000)) as typeof reply;
  } catch (err) {
    throw new AdminError(`${prefix}: ${osErrorText(err as NodeJS.ErrnoException)}`);
  }
  if (reply.error) throw new AdminError(`${prefix}: ${reply.error.message}`);
  return reply.result;
}

function checkKeypairFile(file: string, usage: string): string {
  // clap's is_keypair validator reads the file before the subcommand runs.
  try {
    parseKeypairJson(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code
      ? osErrorText(err as NodeJS.ErrnoException)
      : (err as Error).message;
    throw new UsageError(`Invalid value for '<KEYPAIR>': ${reason}`, usage);
  }
  return fs.realpathSync(file);
}

async function keypairFromStdin(io: CliIo): Promise<Keypair> {
  try {
    return parseKeypairJson((await io.readStdin()).trim(), 'stdin');
  } catch (err) {
    throw new AdminError(`unable to read json keypair from stdin: ${(err as Error).message}`);
  }
}

function positionalAndFlags(
  args: readonly string[],
  flags: readonly string[],
  usage: string,
): { positional: string[]; set: Set<string> } {
  const positional: string[] = [];
  const set = new Set<string>();
  for (const arg of args) {
    if (flags.includes(arg)) set.add(arg);
    else if (arg.startsWith('-') && arg !== '-') throw unexpectedArgument(arg, usage);
    else positional.push(arg);
  }
  if (positional.length > 1) throw unexpectedArgument(positional[1] as string, usage);
  return { positional, set };
}

async function setIdentity(ledger: string, args: readonly string[], io: CliIo): Promise<number> {
  const usage = 'agave-validator set-identity [FLAGS] [KEYPAIR]';
  const { positional, set } = positionalAndFlags(args, ['--require-tower', '--do-not-require-vote-history'], usage);
  const requireTower = set.has('--require-tower');
  const requireVoteHistory = !set.has('--do-not-require-vote-history');
  const file = positional[0];
  if (file !== undefined) {
    const resolved = checkKeypairFile(file, usage);
    io.stdout(`New validator identity path: ${resolved}\n`);
    await admin(ledger, 'setIdentity', [resolved, requireTower, requireVoteHistory], 'set identity request failed');
  } else {
    const keypair = await keypairFromStdin(io);
    io.stdout(`New validator identity: ${keypair.pubkey}\n`);
    await admin(
      ledger,
      'setIdentityFromBytes',
      [Array.from(keypair.secretKey), requireTower, requireVoteHistory],
      'set identity request failed',
    );
  }
  return 0;
}

async function authorizedVoter(ledger: string, args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'add') {
    const usage = 'agave-validator authorized-voter add [KEYPAIR]';
    const { positional } = positionalAndFlags(rest, [], usage);
    const file = positional[0];
    if (file !== undefined) {
      const resolved = checkKeypairFile(file, usage);
      io.stdout(`Adding authorized voter path: ${resolved}\n`);
      await admin(ledger, 'addAuthorizedVoter', [resolved], 'add authorized voter request failed');
    } else {
      const keypair = await keypairFromStdin(io);
      io.stdout(`Adding authorized voter: ${keypair.pubkey}\n`);
      await admin(
        ledger,
        'addAuthorizedVoterFromBytes',
        [Array.from(keypair.secretKey)],
        'add authorized voter request failed',
      );
    }
    return 0;
  }
  if (sub === 'remove-all') {
    if (rest.length > 0) throw unexpectedArgument(rest[0] as string, 'agave-validator authorized-voter remove-all');
    await admin(ledger, 'removeAllAuthorizedVoters', [], 'remove all authorized voters request failed');
    io.stdout('All authorized voters removed\n');
    return 0;
  }
  if (sub === undefined) {
    // SubcommandRequiredElseHelp: clap prints the subcommand's help and fails.
    io.stderr(
      'agave-validator-authorized-voter\nAdjust the validator authorized voters\n\nUSAGE:\n    agave-validator authorized-voter <SUBCOMMAND>\n\nSUBCOMMANDS:\n    add           Add an authorized voter\n    remove-all    Remove all authorized voters\n',
    );
    return 1;
  }
  throw new UsageError(`The subcommand '${sub}' wasn't recognized`, 'agave-validator authorized-voter <SUBCOMMAND>');
}

function parseRestartWindowArgs(args: readonly string[], usage: string): RestartWindowArgs & { force: boolean } {
  const parsed = {
    minIdleTime: 10,
    maxDelinquentStake: 5,
    identity: undefined as string | undefined,
    skipNewSnapshotCheck: false,
    skipHealthCheck: false,
    force: false,
  };
  const number = (flag: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number => {
    if (value === undefined)
      throw new UsageError(`The argument '${flag} <VALUE>' requires a value but none was supplied`, usage);
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max)
      throw new UsageError(`Invalid value for '${flag} <VALUE>': invalid digit found in string`, usage);
    return n;
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--min-idle-time') parsed.minIdleTime = number(arg, args[++i]);
    else if (arg === '--max-delinquent-stake') parsed.maxDelinquentStake = number(arg, args[++i], 100);
    else if (arg === '--identity') parsed.identity = args[++i];
    else if (arg === '--skip-new-snapshot-check') parsed.skipNewSnapshotCheck = true;
    else if (arg === '--skip-health-check') parsed.skipHealthCheck = true;
    else if (arg === '--force' && usage.includes(' exit')) parsed.force = true;
    else throw unexpectedArgument(arg, usage);
  }
  return parsed;
}

/** Runs the shim; resolves to the process exit code. */
export async function runAgaveValidator(argv: readonly string[], io: CliIo): Promise<number> {
  const args = normalizeArgs(argv, ['-l']);
  let ledger = 'ledger';
  let i = 0;
  try {
    for (; i < args.length; i += 1) {
      const arg = args[i] as string;
      if (arg === '-l' || arg === '--ledger') {
        const value = args[i + 1];
        if (value === undefined)
          throw new UsageError(`The argument '--ledger <DIR>' requires a value but none was supplied`, TOP_USAGE);
        ledger = value;
        i += 1;
      } else if (arg === '-h' || arg === '--help') {
        io.stdout(HELP);
        return 0;
      } else if (arg === '-V' || arg === '--version') {
        io.stdout(`${VERSION}\n`);
        return 0;
      } else if (arg.startsWith('-')) {
        throw unexpectedArgument(arg, TOP_USAGE);
      } else break;
    }
    const [command, ...rest] = args.slice(i);
    if (rest.includes('-h') || rest.includes('--help') || command === 'help') {
      io.stdout(HELP);
      return 0;
    }
    switch (command) {
      case 'set-identity':
        return await setIdentity(ledger, rest, io);
      case 'authorized-voter':
        return await authorizedVoter(ledger, rest, io);
      case 'wait-for-restart-window': {
        const parsed = parseRestartWindowArgs(rest, 'agave-validator wait-for-restart-window [FLAGS] [OPTIONS]');
        return await waitForRestartWindow(parsed, io, (m, p) =>
          admin(ledger, m, p, 'validator RPC address request failed'),
        );
      }
      case 'exit': {
        const parsed = parseRestartWindowArgs(rest, 'agave-validator exit [FLAGS] [OPTIONS]');
        if (!parsed.force) {
          const code = await waitForRestartWindow(parsed, io, (m, p) =>
            admin(ledger, m, p, 'validator RPC address request failed'),
          );
          if (code !== 0) return code;
        }
        await admin(ledger, 'exit', [], 'exit request failed');
        io.stdout('Exit request sent\n');
        return 0;
      }
      case undefined:
        io.stderr('error: the simulated validator is started by solana-sim, not by agave-validator\n');
        return 1;
      default:
        throw new UsageError(`The subcommand '${command}' wasn't recognized`, TOP_USAGE);
    }
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(io, err);
    if (err instanceof AdminError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The bin's entry: real argv and streams, exit code to the process. */
export function run(): void {
  runAgaveValidator(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
