/**
 * The demo's command line: `npm run demo -- [--etcd] [--alpenglow] [--client NAME] [--slot-ms N]
 * [--keep] [--help]`. Parsing is pure so the table of accepted and refused command lines is
 * tested directly.
 */
import { VALIDATOR_CLIENTS, type ValidatorClient } from '@failover/protocol';

/** What the demo was asked to do. */
export interface DemoOptions {
  /** Tower store: the embedded directory, or a real etcd started for the demo. */
  readonly towerStore: 'directory' | 'etcd';
  /** Slot duration of the simulated cluster in ms. */
  readonly slotMs: number;
  /** Keep the working directory (configs and logs) after a successful run. */
  readonly keep: boolean;
  /** Switch the cluster to Alpenglow before the crash: the vote history moves, not only the tower. */
  readonly alpenglow: boolean;
  /** The validator client whose profile the agents run (its commands, on the simulator's shims). */
  readonly client: ValidatorClient;
}

/** The parsed command line: run with options, print help, or refuse with a message. */
export type DemoArgs =
  | { readonly kind: 'run'; readonly options: DemoOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

/** Below this the simulator's processes cannot keep up on a small machine (its own floor is 10). */
const MIN_SLOT_MS = 20;

/** Usage text of the demo. */
export function demoUsage(): string {
  return [
    'Usage: npm run demo -- [options]',
    '',
    'Runs the failover system on a simulated Solana cluster: two validators, two agents and the',
    'manager, all real processes on loopback. Shows both nodes every second, kills the active',
    "validator (kill -9), shows the manager's failover with its step timings, waits for the new",
    "active to vote, then prints the simulator's verdict: double votes, lockout violations, and",
    'the voting gap. Exit code 0 when the identity moved with no violation, 1 when a violation was',
    'found or voting did not resume in time, 2 for a bad command line or a missing etcd.',
    '',
    'Options:',
    '  --etcd         keep tower backups in a real etcd (needs /usr/bin/etcd, Debian etcd-server)',
    '                 instead of the embedded directory store',
    '  --alpenglow    switch the cluster from TowerBFT to Alpenglow (feature activation, a short',
    '                 migration window) before the crash, so the vote history moves with the identity',
    `  --client NAME  the validator client of both nodes: ${VALIDATOR_CLIENTS.join(', ')} (default agave);`,
    "                 the agents run that client's profile commands (fdctl, firedancer shims)",
    '  --slot-ms N    slot duration in ms (default 400, as on mainnet; at least 20)',
    '  --keep         keep the working directory with the config files and logs',
    '  -h, --help     show this help',
    '',
  ].join('\n');
}

/** Parses the demo's arguments (without `node` and the script). */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let towerStore: DemoOptions['towerStore'] = 'directory';
  let slotMs = 400;
  let keep = false;
  let alpenglow = false;
  let client: ValidatorClient = 'agave';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--etcd':
        towerStore = 'etcd';
        break;
      case '--keep':
        keep = true;
        break;
      case '--alpenglow':
        alpenglow = true;
        break;
      case '--client': {
        const value = inline ?? argv[++i];
        const known = VALIDATOR_CLIENTS.find((c) => c === value);
        if (value === undefined)
          return { kind: 'error', message: `--client needs a value: ${VALIDATOR_CLIENTS.join(', ')}` };
        if (known === undefined) {
          return { kind: 'error', message: `--client ${value}: must be one of ${VALIDATOR_CLIENTS.join(', ')}` };
        }
        client = known;
        break;
      }
      case '--slot-ms': {
        const value = inline ?? argv[++i];
        if (value === undefined) return { kind: 'error', message: '--slot-ms needs a value in ms, e.g. --slot-ms 400' };
        if (!/^\d+$/.test(value) || Number(value) < MIN_SLOT_MS) {
          return {
            kind: 'error',
            message: `--slot-ms ${value}: must be a whole number of ms, at least ${MIN_SLOT_MS}`,
          };
        }
        slotMs = Number(value);
        break;
      }
      default:
        return { kind: 'error', message: `unknown argument '${arg}' (see --help)` };
    }
  }
  return { kind: 'run', options: { towerStore, slotMs, keep, alpenglow, client } };
}
