/**
 * The command line of `failover-manager`, as the Go tool's: its flags keep their names and
 * defaults. Flags that set config keys are handed to the protocol's config loader as typed,
 * so that flags, environment and file go through one validation (precedence flags > env >
 * file > defaults) and a bad value is reported with the flag it came from. Parsing never
 * throws: a bad command line is a value that the CLI reports with exit code 2.
 */
import type { NodeId } from '@failover/core';
import { parseDuration } from '@failover/protocol';
import type { ManagerFlags } from '@failover/protocol';

/** What the user asked the program to do. */
export type ManagerCommand =
  | 'run'
  | 'status'
  | 'switchover'
  | 'pause'
  | 'resume'
  | 'history'
  | 'doctor'
  | 'help'
  | 'version'
  | 'generate-config'
  | 'shutdown-agent';

/** The parsed command line, or why it could not be parsed. */
export type ParsedManagerArgs =
  | {
      readonly ok: true;
      readonly command: ManagerCommand;
      readonly configPath: string | undefined;
      /** Flags that set config keys, raw as typed; the config loader converts and checks them. */
      readonly flags: ManagerFlags;
      /** `switchover --reason TEXT`, `pause --reason TEXT`, `resume --reason TEXT`. */
      readonly reason: string | undefined;
      /** `pause --for DURATION`, in milliseconds: the pause ends by itself after it. */
      readonly forMs: number | undefined;
      /** `switchover --to NODE`: the node to take the identity; needed when nobody holds it. */
      readonly to: NodeId | undefined;
      /** `--json` for `status`, `history` and `doctor`: machine-readable output. */
      readonly json: boolean;
      /** `status --watch`: refresh until stopped. */
      readonly watch: boolean;
      /** `history --last N`: how many failovers to show, the newest. */
      readonly last: number | undefined;
    }
  | { readonly ok: false; readonly error: string };

type FlagKind = 'string' | 'duration' | 'integer' | 'boolean';

interface FlagSpec {
  readonly kind: FlagKind;
  /** Whether the flag sets a config key (and so goes to the config loader). */
  readonly config?: true;
  readonly help: string;
}

/** Flags of the Go tool, plus the subcommands' own. */
export const MANAGER_CLI_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { kind: 'string', help: 'Path to manager-config.json' },
  active: { kind: 'string', config: true, help: 'Agent URL of the active validator (skips detection)' },
  passive: { kind: 'string', config: true, help: 'Agent URL of the passive validator (skips detection)' },
  interval: { kind: 'duration', config: true, help: 'Heartbeat interval (default 5s)' },
  misses: { kind: 'integer', config: true, help: 'Missed heartbeats before failover (default 5)' },
  'slot-threshold': { kind: 'integer', config: true, help: 'Maximum slots behind the network (default 100)' },
  timeout: { kind: 'duration', config: true, help: 'Time limit of each agent request (default 5s)' },
  'dry-run': { kind: 'boolean', config: true, help: 'Log "would failover" instead of acting (default true)' },
  'shutdown-agent': { kind: 'boolean', help: 'Send shutdown to both agents and exit' },
  'log-file': { kind: 'string', config: true, help: 'Also log to this file (rotated daily)' },
  'log-format': { kind: 'string', config: true, help: 'Log line format: text or json (default text)' },
  'generate-config': { kind: 'boolean', help: 'Print an example manager-config.json and exit' },
  reason: { kind: 'string', help: 'switchover, pause, resume: why (logged and notified)' },
  for: { kind: 'duration', help: 'pause: end the pause by itself after this long (1s to 30 days, e.g. 2h)' },
  to: {
    kind: 'string',
    help: 'switchover: validator1 or validator2, the node to take the identity (activates one when nobody holds it)',
  },
  json: { kind: 'boolean', help: 'status, history, doctor: print JSON instead of a table' },
  watch: {
    kind: 'boolean',
    help: 'status: refresh every heartbeat (at least 1s) until stopped; a table redrawn on a terminal, a line per refresh when piped',
  },
  last: { kind: 'integer', help: 'history: show the last N failovers (default 10)' },
  help: { kind: 'boolean', help: 'Show this help' },
  version: { kind: 'boolean', help: 'Print the version' },
};

const SUBCOMMANDS = new Set<ManagerCommand>(['status', 'switchover', 'pause', 'resume', 'history', 'doctor']);

/** The longest pause `--for` accepts: longer maintenance is a pause without an end. */
const MAX_PAUSE_MS = 30 * 24 * 3600 * 1000;

/** Switches that are commands of their own; the first one on wins. */
const COMMAND_SWITCHES = [
  'help',
  'version',
  'generate-config',
  'shutdown-agent',
] as const satisfies readonly ManagerCommand[];

/**
 * Parses argv the way Go's `flag` package does (`-x` and `--x`, `--x=v` and `--x v`,
 * booleans as `--x` or `--x=false`), plus a leading subcommand. An unknown flag, a missing
 * value or a stray argument is returned as `ok: false` with what is wrong.
 */
export function parseManagerArgs(argv: readonly string[]): ParsedManagerArgs {
  const values = new Map<string, string | boolean>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = name === 'h' ? MANAGER_CLI_FLAGS.help : MANAGER_CLI_FLAGS[name];
    if (spec === undefined) return { ok: false, error: `unknown flag ${arg}${suggest(name)}` };
    const flag = name === 'h' ? 'help' : name;
    if (eq !== -1) {
      values.set(flag, body.slice(eq + 1));
    } else if (spec.kind === 'boolean') {
      const next = argv[i + 1];
      // Go wants --dry-run=false; "--dry-run false" is accepted too, since reading it as
      // "dry run on" plus a stray word would silently do the opposite of what was meant.
      if (next === 'true' || next === 'false') {
        values.set(flag, next);
        i += 1;
      } else {
        values.set(flag, true);
      }
    } else {
      const next = argv[i + 1];
      if (next === undefined) return { ok: false, error: `flag --${flag} needs a value` };
      values.set(flag, next);
      i += 1;
    }
  }

  const flags: Record<string, string | boolean> = {};
  for (const [flag, raw] of values) {
    if (MANAGER_CLI_FLAGS[flag]?.config === true) flags[flag] = raw;
  }

  const first = positional[0];
  if (positional.length > 1 || (first !== undefined && !SUBCOMMANDS.has(first as ManagerCommand))) {
    return {
      ok: false,
      error: `unexpected argument ${JSON.stringify(first !== undefined && SUBCOMMANDS.has(first as ManagerCommand) ? positional[1] : first)}; subcommands are "status", "switchover", "pause", "resume", "history" and "doctor"`,
    };
  }
  // The first switch that is on names the command, in this order; the ones after it are not read.
  let command: ManagerCommand = (first as ManagerCommand | undefined) ?? 'run';
  for (const flag of COMMAND_SWITCHES) {
    const on = readSwitch(values.get(flag) ?? false);
    if (on === undefined) return { ok: false, error: notASwitch(flag, values.get(flag)) };
    if (on) {
      command = flag;
      break;
    }
  }

  const reason = values.get('reason');
  if (command === 'switchover' && (typeof reason !== 'string' || reason.trim() === '')) {
    return { ok: false, error: 'switchover needs --reason TEXT (it is logged and sent with the notification)' };
  }
  if (command === 'pause' && (typeof reason !== 'string' || reason.trim() === '')) {
    return { ok: false, error: 'pause needs --reason TEXT (it is logged, notified and shown in status)' };
  }
  if (command === 'resume' && typeof reason === 'string' && reason.trim() === '') {
    return { ok: false, error: 'resume --reason must not be empty' };
  }
  const forRaw = values.get('for');
  if (forRaw !== undefined && command !== 'pause')
    return { ok: false, error: '--for is a flag of the pause subcommand' };
  const forMs = typeof forRaw === 'string' ? parseDuration(forRaw) : undefined;
  if (forRaw !== undefined && (forMs === undefined || forMs < 1000 || forMs > MAX_PAUSE_MS || !Number.isInteger(forMs)))
    return {
      ok: false,
      error: `--for must be a duration from 1s to 30 days such as 90m or 2h, got ${JSON.stringify(forRaw)}`,
    };
  const to = values.get('to');
  if (to !== undefined && to !== 'validator1' && to !== 'validator2') {
    return { ok: false, error: `--to must be validator1 or validator2, got ${JSON.stringify(to)}` };
  }
  if (to !== undefined && command !== 'switchover')
    return { ok: false, error: '--to is a flag of the switchover subcommand' };
  const json = readSwitch(values.get('json') ?? false);
  if (json === undefined) return { ok: false, error: notASwitch('json', values.get('json')) };
  const watch = readSwitch(values.get('watch') ?? false);
  if (watch === undefined) return { ok: false, error: notASwitch('watch', values.get('watch')) };
  if (watch && command !== 'status') return { ok: false, error: '--watch is a flag of the status subcommand' };
  const lastRaw = values.get('last');
  const last = typeof lastRaw === 'string' && /^[1-9][0-9]*$/.test(lastRaw) ? Number(lastRaw) : undefined;
  if (lastRaw !== undefined && last === undefined)
    return { ok: false, error: `--last must be a whole number of 1 or more, got ${JSON.stringify(lastRaw)}` };
  if (last !== undefined && command !== 'history')
    return { ok: false, error: '--last is a flag of the history subcommand' };
  const config = values.get('config');
  return {
    ok: true,
    command,
    configPath: typeof config === 'string' ? config : undefined,
    flags: flags as ManagerFlags,
    reason: typeof reason === 'string' ? reason : undefined,
    forMs,
    to,
    json,
    watch,
    last,
  };
}

/** The `--help` text. */
export function managerUsage(): string {
  const lines = [
    'Usage: failover-manager [flags]                  monitor both validators and fail over',
    '       failover-manager status [--json] [--watch]  show both nodes, through the control API',
    '       failover-manager switchover --reason TEXT [--to NODE]  planned switchover, through the control API',
    '       failover-manager pause --reason TEXT [--for DURATION]  maintenance: no automatic failover until resumed',
    '       failover-manager resume [--reason TEXT]   arm automatic failover again after a pause',
    '       failover-manager history [--json] [--last N]  past failovers with their steps, from the journal',
    '       failover-manager doctor [--json]          check the install without changing anything; exit 1 when a check failed',
    '',
    'Flags:',
  ];
  for (const [name, spec] of Object.entries(MANAGER_CLI_FLAGS)) {
    const arg =
      spec.kind === 'boolean' ? '' : spec.kind === 'duration' ? ' DURATION' : spec.kind === 'integer' ? ' N' : ' VALUE';
    lines.push(`  --${(name + arg).padEnd(24)} ${spec.help}`);
  }
  lines.push('', 'Environment: DRY_RUN, ACTIVE_VALIDATOR, PASSIVE_VALIDATOR, MANAGER_LOG_FILE.');
  lines.push('Precedence: flags > environment > config file > defaults.', '');
  return lines.join('\n');
}

/** A switch's value: `--x` alone is true, `--x=v` is read as a boolean; undefined when `v` is none. */
function readSwitch(raw: string | boolean): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  return undefined;
}

function notASwitch(flag: string, raw: string | boolean | undefined): string {
  return `--${flag} must be true or false, got ${JSON.stringify(raw)}`;
}

function suggest(name: string): string {
  const close = Object.keys(MANAGER_CLI_FLAGS).find((flag) => flag.startsWith(name.slice(0, 3)) && name.length > 2);
  return close === undefined ? '; see --help' : `; did you mean --${close}?`;
}
