/**
 * The command line of `npm run chaos`: `--trials N`, `--base-seed S`, `--seed S` (replay one
 * trial), `--slot-ms MS`, `--json FILE`, `--keep-logs DIR`, `--faults a,b` (restrict the
 * classes; `fencing`, `guard` and `alpenglow` name the scripted classes of each kind), `--window-ms MS`, `--request-timeout-ms MS`. Parsing is pure and names the bad argument.
 */
import { MAX_SEED } from './prng';
import { FENCING_KINDS } from './fencing-plans';
import { ALPENGLOW_KINDS } from './alpenglow-plans';
import { GUARD_KINDS } from './guard-plans';
import { CHAOS_CLASSES, DEFAULT_WINDOW_MS, FAULT_KINDS, type ChaosClass } from './schedule';

/** Parsed options. */
export interface ChaosArgs {
  readonly trials: number;
  readonly baseSeed: number;
  readonly seed: number | undefined;
  readonly slotMs: number;
  readonly json: string | undefined;
  readonly keepLogs: string;
  readonly kinds: readonly ChaosClass[];
  readonly windowMs: number;
  /** Manager `request_timeout`, to reproduce a finding under other settings. */
  readonly requestTimeoutMs: number | undefined;
}

/** Outcome of parsing. */
export type ParsedArgs =
  | { readonly kind: 'run'; readonly args: ChaosArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

/** Usage text. */
export function usage(): string {
  return [
    'usage: npm run chaos -w @failover/chaos -- [options]',
    '  --trials N        trials to run (default 20)',
    '  --base-seed S     seed of the run; trial i uses a seed derived from S and i (default 1)',
    '  --seed S          replay the one trial with this seed (as printed in the table)',
    '  --slot-ms MS      slot duration of the simulated cluster (default 100)',
    '  --json FILE       also write the results as JSON',
    '  --keep-logs DIR   where the logs of failed trials go (default /tmp/failover-chaos)',
    `  --faults LIST     comma-separated classes (default every fault class: ${FAULT_KINDS.join(',')});`,
    `                    the fencing classes (${FENCING_KINDS.join(',')}) only when named, 'fencing' for all ${FENCING_KINDS.length};`,
    `                    the classes of issue 11 (${GUARD_KINDS.join(',')}) only when named, 'guard' for all ${GUARD_KINDS.length};`,
    `                    the Alpenglow classes (${ALPENGLOW_KINDS.join(',')}) only when named, 'alpenglow' for all ${ALPENGLOW_KINDS.length}`,
    '  --window-ms MS    fault window per trial (default 12000)',
    "  --request-timeout-ms MS  the manager's request_timeout (default 2500, see docs/chaos.md)",
    '',
  ].join('\n');
}

/** The names of the scripted groups, each standing for its classes. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  fencing: FENCING_KINDS,
  guard: GUARD_KINDS,
  alpenglow: ALPENGLOW_KINDS,
};

const integer = (name: string, value: string | undefined, min: number, max: number): number | string => {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < min || n > max)
    return `${name} needs an integer in ${min}..${max}, got ${value === undefined ? 'nothing' : `'${value}'`}`;
  return n;
};

/** Parses argv (without node and the script). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let trials = 20;
  let baseSeed = 1;
  let seed: number | undefined;
  let slotMs = 100;
  let json: string | undefined;
  let keepLogs = '/tmp/failover-chaos';
  let kinds: readonly ChaosClass[] = FAULT_KINDS;
  let windowMs = DEFAULT_WINDOW_MS;
  let requestTimeoutMs: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') return { kind: 'help' };
    const value = argv[i + 1];
    i += 1;
    let parsed: number | string;
    switch (flag) {
      case '--trials':
        parsed = integer(flag, value, 1, 1_000_000);
        if (typeof parsed === 'string') return { kind: 'error', message: parsed };
        trials = parsed;
        break;
      case '--base-seed':
      case '--seed':
        parsed = integer(flag, value, 0, MAX_SEED);
        if (typeof parsed === 'string') return { kind: 'error', message: parsed };
        if (flag === '--seed') seed = parsed;
        else baseSeed = parsed;
        break;
      case '--slot-ms':
        parsed = integer(flag, value, 20, 400);
        if (typeof parsed === 'string') return { kind: 'error', message: parsed };
        slotMs = parsed;
        break;
      case '--window-ms':
        parsed = integer(flag, value, 2000, 600_000);
        if (typeof parsed === 'string') return { kind: 'error', message: parsed };
        windowMs = parsed;
        break;
      case '--request-timeout-ms':
        parsed = integer(flag, value, 100, 60_000);
        if (typeof parsed === 'string') return { kind: 'error', message: parsed };
        requestTimeoutMs = parsed;
        break;
      case '--json':
      case '--keep-logs':
        if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `${flag} needs a path` };
        if (flag === '--json') json = value;
        else keepLogs = value;
        break;
      case '--faults': {
        const list = (value ?? '')
          .split(',')
          .filter((k) => k !== '')
          .flatMap((k) => GROUPS[k] ?? [k]);
        const unknown = list.find((k) => !(CHAOS_CLASSES as readonly string[]).includes(k));
        if (list.length === 0 || unknown !== undefined)
          return {
            kind: 'error',
            message: `--faults: unknown fault class '${unknown ?? ''}' (have ${CHAOS_CLASSES.join(', ')}, fencing, guard, alpenglow)`,
          };
        kinds = [...new Set(list)] as ChaosClass[];
        break;
      }
      default:
        return { kind: 'error', message: `unknown argument '${flag}'` };
    }
  }
  return { kind: 'run', args: { trials, baseSeed, seed, slotMs, json, keepLogs, kinds, windowMs, requestTimeoutMs } };
}
