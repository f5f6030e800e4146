/**
 * The command line of `failover-agent`, as the Go tool's: its flags keep their names. Flags
 * that set config keys are handed to the protocol's config loader as typed, so flags,
 * environment and file go through one validation. Parsing never throws: a bad command line
 * is a value that the CLI reports with exit code 2.
 */
import type { AgentFlags } from '@failover/protocol';

/**
 * What the command line asks for; `guard` is the host guard systemd runs when the agent stops,
 * `doctor` checks the install.
 */
export type AgentCommand = 'run' | 'guard' | 'doctor' | 'help' | 'version' | 'generate-config';

/** The parsed command line, or why it could not be parsed. */
export type ParsedAgentArgs =
  | {
      readonly ok: true;
      readonly command: AgentCommand;
      readonly configPath: string | undefined;
      readonly flags: AgentFlags;
      /** `doctor --unit FILE --json`; present for `doctor` only. */
      readonly doctor?: { readonly unitFile: string | undefined; readonly json: boolean };
    }
  | { readonly ok: false; readonly error: string };

interface FlagSpec {
  readonly boolean?: true;
  /** Sets a config key; handed to the config loader raw, so it checks flags like the file. */
  readonly config?: true;
  readonly help: string;
}

/** The Go tool's agent flags, with `--log-format` added. */
export const AGENT_CLI_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { help: 'Path to validator-config.json' },
  listen: { config: true, help: 'Listen address, host:port or :port (default :8080)' },
  rpc: { config: true, help: 'Local validator RPC URL (default http://127.0.0.1:8899)' },
  peer: { config: true, help: "The other validator's agent URL" },
  process: { config: true, help: 'Validator process name (default: per --client)' },
  client: {
    config: true,
    help: 'Validator client: agave, frankendancer or firedancer (default agave); with --generate-config, the example is for it',
  },
  active: { boolean: true, config: true, help: 'Start as active when detection cannot tell' },
  'dry-run': {
    boolean: true,
    config: true,
    help: 'Log commands as "would execute" instead of running them (default true)',
  },
  'log-file': { config: true, help: 'Also log to this file, rotated daily' },
  'log-format': { config: true, help: 'text or json (default text)' },
  'generate-config': { boolean: true, help: 'Print an example validator-config.json and exit' },
  help: { boolean: true, help: 'Show this help' },
  version: { boolean: true, help: 'Print the version' },
  unit: { help: 'doctor: the systemd unit to check for the host guard' },
  json: { boolean: true, help: 'doctor: print the checks as one JSON document' },
};

const DOCTOR_FLAGS = new Set(['unit', 'json']);

/**
 * Parses argv as Go's `flag` package does: `-x` or `--x`, `--x=v` or `--x v`, booleans as
 * `--x` or `--x=false`. Values stay text: the config loader converts and checks them.
 */
export function parseAgentArgs(argv: readonly string[]): ParsedAgentArgs {
  const values: Record<string, string | boolean> = {};
  const sub = argv[0] === 'guard' || argv[0] === 'doctor' ? argv[0] : undefined;
  for (let i = sub === undefined ? 0 : 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--?([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) return { ok: false, error: `unexpected argument "${arg}"` };
    const name = match[1] as string;
    const spec = AGENT_CLI_FLAGS[name];
    if (!spec) return { ok: false, error: `unknown flag -${name.length > 1 ? '-' : ''}${name}` };
    if (DOCTOR_FLAGS.has(name) && sub !== 'doctor') return { ok: false, error: `flag --${name} is for doctor only` };
    if (match[2] !== undefined) values[name] = match[2];
    else if (spec.boolean) values[name] = true;
    else {
      const next = argv[i + 1];
      if (next === undefined) return { ok: false, error: `flag --${name} needs a value` };
      values[name] = next;
      i++;
    }
  }
  const flags: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(values)) if (AGENT_CLI_FLAGS[name]?.config) flags[name] = value;
  const isOn = (name: string): boolean => values[name] === true || values[name] === 'true';
  const command: AgentCommand = isOn('help')
    ? 'help'
    : isOn('version')
      ? 'version'
      : isOn('generate-config')
        ? 'generate-config'
        : (sub ?? 'run');
  const configPath = typeof values.config === 'string' ? values.config : undefined;
  if (command !== 'doctor') return { ok: true, command, configPath, flags: flags as AgentFlags };
  const unitFile = typeof values.unit === 'string' ? values.unit : undefined;
  return { ok: true, command, configPath, flags: flags as AgentFlags, doctor: { unitFile, json: isOn('json') } };
}

/** The `--help` text. */
export function agentUsage(): string {
  const lines = Object.entries(AGENT_CLI_FLAGS).map(
    ([name, spec]) => `  --${`${name}${spec.boolean ? '' : ' VALUE'}`.padEnd(22)} ${spec.help}`,
  );
  return [
    'Usage: failover-agent [--config validator-config.json] [flags]',
    '       failover-agent guard --config validator-config.json',
    '       failover-agent doctor --config validator-config.json [--unit FILE] [--json]',
    '',
    'Runs beside a Solana validator: answers the failover manager, keeps the tower backed up,',
    'and moves the staked identity on request. Starts in dry-run unless dry_run is false.',
    '`guard` is the host guard the systemd unit runs when the agent stops, crashes or hangs:',
    'it removes the staked identity, or kills the validator after guard_kill_after.',
    '`doctor` checks the install without changing anything: a pass/warn/fail row per check;',
    'exit 0 when nothing failed, 1 when a check failed.',
    '',
    'Flags:',
    ...lines,
    '',
    'Environment: VALIDATOR_LISTEN, VALIDATOR_RPC, VALIDATOR_PEER, VALIDATOR_DRY_RUN, VALIDATOR_LOG_FILE, DRY_RUN',
    'Precedence: flags > environment > config file > defaults. Invalid config: exit code 2.',
    '',
  ].join('\n');
}
