import { callJsonRpc } from '../internal/json-rpc';
import type { CliIo } from './cli-io';
import { UsageError, normalizeArgs, processIo, reportUsage, unexpectedArgument } from './cli-io';

/**
 * The `solana` CLI's `gossip` command, printing the node table as solana-cli does
 * (cli-output `CliGossipNodes`). URL monikers (-um, -ut, -ud, -ul) point at public clusters the
 * tests cannot reach, so SOLANA_SIM_RPC_URL, when set, stands in for all of them.
 */

const USAGE = 'solana [FLAGS] [OPTIONS] <SUBCOMMAND>';
const MONIKERS: Record<string, string> = {
  m: 'https://api.mainnet-beta.solana.com',
  'mainnet-beta': 'https://api.mainnet-beta.solana.com',
  t: 'https://api.testnet.solana.com',
  testnet: 'https://api.testnet.solana.com',
  d: 'https://api.devnet.solana.com',
  devnet: 'https://api.devnet.solana.com',
  l: 'http://localhost:8899',
  localhost: 'http://localhost:8899',
};

/** Resolves `-u` the way solana-cli does, with the simulator's override for monikers. */
export function resolveUrl(value: string | undefined, env: NodeJS.ProcessEnv): string {
  const override = env['SOLANA_SIM_RPC_URL'];
  if (value === undefined) return override ?? (MONIKERS['m'] as string);
  const moniker = MONIKERS[value];
  if (moniker !== undefined) return override ?? moniker;
  if (/^https?:\/\//.test(value)) return value;
  throw new UsageError(`Invalid value for '--url <URL_OR_MONIKER>': invalid URL: ${value}`, USAGE);
}

interface ContactInfo {
  pubkey: string;
  gossip: string | null;
  tpu: string | null;
  rpc: string | null;
  version: string | null;
  featureSet: number | null;
}

function port(address: string | null): string {
  return address === null ? 'none' : (address.split(':').pop() ?? 'none');
}

/** One table line, with solana-cli's column widths: `{:15} | {:44} | {:6} | {:5} | {:21} | {:8}| {}`. */
export function formatGossipLine(node: ContactInfo): string {
  const ip = node.gossip === null ? 'none' : node.gossip.slice(0, node.gossip.lastIndexOf(':'));
  return [
    ip.padEnd(15),
    ' | ',
    node.pubkey.padEnd(44),
    ' | ',
    port(node.gossip).padEnd(6),
    ' | ',
    port(node.tpu).padEnd(5),
    ' | ',
    (node.rpc ?? 'none').padEnd(21),
    ' | ',
    (node.version ?? 'unknown').padEnd(8),
    '| ',
    node.featureSet === null ? 'unknown' : String(node.featureSet),
  ].join('');
}

const HEADER =
  'IP Address      | Identity                                     | Gossip | TPU   | RPC Address           | Version | Feature Set\n' +
  '----------------+----------------------------------------------+--------+-------+-----------------------+---------+----------------\n';

/** Runs the shim; resolves to the exit code. */
export async function runSolana(argv: readonly string[], io: CliIo): Promise<number> {
  const args = normalizeArgs(argv, ['-u']);
  let url: string | undefined;
  let output = 'display';
  const rest: string[] = [];
  try {
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i] as string;
      if (arg === '-u' || arg === '--url') url = args[++i];
      else if (arg === '--output') output = args[++i] ?? '';
      else if (arg === '-h' || arg === '--help') {
        io.stdout(
          `solana-cli 2.2.16 (simulated)\n\nUSAGE:\n    ${USAGE}\n\nSUBCOMMANDS:\n    gossip    Show the current gossip network nodes\n`,
        );
        return 0;
      } else if (arg === '-V' || arg === '--version') {
        io.stdout('solana-cli 2.2.16 (src:00000000; feat:3294202862, client:Agave)\n');
        return 0;
      } else if (arg.startsWith('-')) throw unexpectedArgument(arg, USAGE);
      else rest.push(arg);
    }
    if ((args.includes('-u') || args.includes('--url')) && url === undefined) {
      throw new UsageError("The argument '--url <URL_OR_MONIKER>' requires a value but none was supplied", USAGE);
    }
    const [command, ...extra] = rest;
    if (command !== 'gossip') {
      throw new UsageError(
        command === undefined ? 'A subcommand is required' : `The subcommand '${command}' wasn't recognized`,
        USAGE,
      );
    }
    if (extra.length > 0) throw unexpectedArgument(extra[0] as string, 'solana gossip [FLAGS] [OPTIONS]');
    if (!['display', 'json', 'json-compact'].includes(output)) {
      throw new UsageError(`'${output}' isn't a valid value for '--output <FORMAT>'`, USAGE);
    }
    const rpcUrl = resolveUrl(url, io.env);
    let nodes: ContactInfo[];
    try {
      nodes = (await callJsonRpc(rpcUrl, 'getClusterNodes', [], 10_000)) as ContactInfo[];
    } catch (err) {
      io.stderr(`Error: error sending request for url (${rpcUrl}): ${(err as Error).message}\n`);
      return 1;
    }
    if (output !== 'display') {
      io.stdout(`${JSON.stringify(nodes, null, output === 'json' ? 2 : undefined)}\n`);
      return 0;
    }
    io.stdout(`${HEADER}${nodes.map((n) => `${formatGossipLine(n)}\n`).join('')}Nodes: ${nodes.length}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(io, err);
    throw err;
  }
}

/** The bin's entry. */
export function run(): void {
  runSolana(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`Error: ${err.message}\n`);
      process.exit(1);
    },
  );
}
