import fs from 'node:fs';
import path from 'node:path';
import type { Keypair } from '@failover/core';
import { parseKeypairJson } from '@failover/core';
import { requestOverSocket } from '../internal/lines';
import type { CliIo } from './cli-io';
import { osErrorText } from './cli-io';

/**
 * The identity subcommands of Firedancer's two binaries, as the Firedancer book documents them
 * (api/cli.md for `fdctl`, api/firedancer-cli.md for `firedancer`):
 *
 * - `fdctl set-identity --config <toml> [--require-tower] [--force] <keypair|->`: the config
 *   must be the one the validator was started with; the real command without it may leave
 *   tiles on the old key, and this shim refuses it. `--force` resets a switch left half done.
 * - `firedancer set-identity [--config <toml>] [--name <name>] <keypair|->`: no
 *   `--require-tower`, no `--force`; without a config it finds the running validator itself.
 * - `get-identity` of either prints the identity the validator runs with.
 *
 * The TOML's `[ledger] path` leads to the validator's admin socket, standing in for the shared
 * memory the real binaries join. The simulator produces no blocks, so the real command's wait
 * for an in-progress leader slot has nothing to wait for here.
 */

/** Which binary the shim is. */
export type FdProgram = 'fdctl' | 'firedancer';

/** A failure the real binary logs with FD_LOG_ERR and exits 1 on. */
class FdError extends Error {}

interface FdArgs {
  readonly config?: string;
  readonly name?: string;
  readonly flags: ReadonlySet<string>;
  readonly positional: readonly string[];
}

const USAGE: Record<FdProgram, string> = {
  fdctl: 'Usage: fdctl set-identity <keypair> [--require-tower] [--force]',
  firedancer: 'Usage: firedancer set-identity <keypair>',
};

function parseArgs(
  program: FdProgram,
  args: readonly string[],
  booleans: readonly string[],
  env: NodeJS.ProcessEnv,
): FdArgs {
  // fdctl reads the config path from FIREDANCER_CONFIG_TOML as well as from --config.
  let config = program === 'fdctl' ? env['FIREDANCER_CONFIG_TOML'] : undefined;
  let name: string | undefined;
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--config' || (arg === '--name' && program === 'firedancer')) {
      const value = args[i + 1];
      if (value === undefined) throw new FdError(`${arg} requires a value`);
      if (arg === '--config') config = value;
      else name = value;
      i += 1;
    } else if (booleans.includes(arg)) flags.add(arg);
    else if (arg.startsWith('--')) throw new FdError(`unknown argument \`${arg}\``);
    else positional.push(arg);
  }
  return { ...(config === undefined ? {} : { config }), ...(name === undefined ? {} : { name }), flags, positional };
}

/** The instance name and ledger a config TOML names (the keys the shims read). */
function readConfigToml(file: string): { name?: string; ledger?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new FdError(`could not open configuration file \`${file}\` (${osErrorText(err as NodeJS.ErrnoException)})`);
  }
  let section = '';
  const found: { name?: string; ledger?: string } = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) section = header[1] as string;
    const entry = /^([a-z_]+)\s*=\s*"(.*)"$/.exec(line);
    if (!entry) continue;
    if (section === '' && entry[1] === 'name') found.name = entry[2] as string;
    if (section === 'ledger' && entry[1] === 'path') found.ledger = entry[2] as string;
  }
  return found;
}

function socketOf(ledger: string): string {
  return path.join(ledger, 'admin.rpc');
}

/** Running validators `firedancer` can find on this host: the simulator's, with a live admin socket. */
function discover(env: NodeJS.ProcessEnv): { name?: string; ledger?: string }[] {
  const dir = env['SOLANA_SIM_DIR'];
  if (dir === undefined || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((entry) => path.join(dir, entry, 'config.toml'))
    .filter((file) => fs.existsSync(file))
    .map(readConfigToml)
    .filter((found) => found.ledger !== undefined && fs.existsSync(socketOf(found.ledger)));
}

/** The admin socket of the validator the arguments name. */
function locate(program: FdProgram, args: FdArgs, env: NodeJS.ProcessEnv): string {
  if (args.config !== undefined) {
    const found = readConfigToml(args.config);
    if (found.ledger === undefined) throw new FdError(`configuration file \`${args.config}\` has no [ledger] path`);
    if (args.name !== undefined && found.name !== args.name) {
      throw new FdError(
        `--name \`${args.name}\` does not match the name \`${found.name ?? ''}\` in \`${args.config}\``,
      );
    }
    return socketOf(found.ledger);
  }
  if (program === 'fdctl') {
    // The real fdctl falls back to its built-in default config, which names no running validator.
    throw new FdError(
      'set-identity must be called with the configuration file the validator was started with, like `fdctl set-identity --config <config.toml>`',
    );
  }
  const running = discover(env).filter((found) => args.name === undefined || found.name === args.name);
  if (running.length === 0) {
    throw new FdError(
      args.name === undefined ? 'no running validator found' : `no running validator named \`${args.name}\``,
    );
  }
  if (running.length > 1) {
    throw new FdError('more than one validator is running on this host; pass --name <name> to select one');
  }
  return socketOf(running[0]?.ledger as string);
}

async function admin(socket: string, method: string, params: unknown[]): Promise<unknown> {
  let reply: { result?: unknown; error?: { message: string } };
  try {
    reply = (await requestOverSocket(socket, { jsonrpc: '2.0', id: 1, method, params }, 60_000)) as typeof reply;
  } catch (err) {
    throw new FdError(`could not reach the running validator: ${osErrorText(err as NodeJS.ErrnoException)}`);
  }
  if (reply.error) throw new FdError(reply.error.message);
  return reply.result;
}

async function loadKeypair(file: string, io: CliIo): Promise<Keypair> {
  if (file === '-') {
    io.stdout('Reading identity keypair from stdin.  Press Ctrl-D when done.\n');
    try {
      return parseKeypairJson((await io.readStdin()).trim(), 'stdin');
    } catch (err) {
      throw new FdError(`failed to read identity keypair from stdin: ${(err as Error).message}`);
    }
  }
  try {
    return parseKeypairJson(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code
      ? osErrorText(err as NodeJS.ErrnoException)
      : (err as Error).message;
    throw new FdError(`failed to load identity keypair \`${file}\`: ${reason}`);
  }
}

async function setIdentity(program: FdProgram, rest: readonly string[], io: CliIo): Promise<number> {
  const booleans = program === 'fdctl' ? ['--require-tower', '--force'] : [];
  const args = parseArgs(program, rest, booleans, io.env);
  const [file, extra] = args.positional;
  if (file === undefined || extra !== undefined) throw new FdError(USAGE[program]);
  const socket = locate(program, args, io.env);
  const keypair = await loadKeypair(file, io);
  await admin(socket, 'fdSetIdentity', [
    Array.from(keypair.secretKey),
    args.flags.has('--require-tower'),
    args.flags.has('--force'),
  ]);
  io.stderr(`NOTICE  Validator identity key switched to \`${keypair.pubkey}\`\n`);
  return 0;
}

async function getIdentity(program: FdProgram, rest: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(program, rest, [], io.env);
  if (args.positional.length > 0) throw new FdError(`unknown argument \`${args.positional[0] as string}\``);
  const status = (await admin(locate(program, args, io.env), 'simStatus', [])) as { identity: string };
  io.stdout(`${status.identity}\n`);
  return 0;
}

/** Runs the `fdctl` or `firedancer` shim; resolves to the process exit code. */
export async function runFdCli(program: FdProgram, argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'set-identity':
        return await setIdentity(program, rest, io);
      case 'get-identity':
        return await getIdentity(program, rest, io);
      case 'run':
        io.stderr(`ERR     the simulated validator is started by solana-sim, not by ${program} run\n`);
        return 1;
      default:
        throw new FdError(`unknown subcommand \`${command ?? ''}\` (simulated: set-identity and get-identity only)`);
    }
  } catch (err) {
    if (!(err instanceof FdError)) throw err;
    io.stderr(`ERR     ${err.message}\n`);
    return 1;
  }
}
