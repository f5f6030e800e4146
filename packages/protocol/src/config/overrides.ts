/**
 * Environment variables and command-line flags laid over the file, with the Go tool's names
 * (`DRY_RUN`, `VALIDATOR_*`, `ACTIVE_VALIDATOR`, ...). Precedence: flags > env > file >
 * defaults. Values stay raw here; the schema check that follows reports a bad one with the
 * variable or flag it came from.
 */
import { describeSource } from './problems';
import type { ConfigProblem, ConfigSource } from './problems';

/** How one env variable or flag maps onto a config key. */
export interface OverrideSpec {
  /** Env variable name (`VALIDATOR_RPC`) or flag as typed (`--rpc`). */
  readonly name: string;
  /** Top-level config key it sets. */
  readonly key: string;
  /** How the text is read: as is, as a boolean, or as an integer. */
  readonly type: 'string' | 'boolean' | 'integer';
}

/** Env variables read by the agent, later entries winning (`VALIDATOR_DRY_RUN` over `DRY_RUN`). */
export const AGENT_ENV: readonly OverrideSpec[] = [
  { name: 'DRY_RUN', key: 'dry_run', type: 'boolean' },
  { name: 'VALIDATOR_DRY_RUN', key: 'dry_run', type: 'boolean' },
  { name: 'VALIDATOR_LISTEN', key: 'listen_addr', type: 'string' },
  { name: 'VALIDATOR_RPC', key: 'local_rpc', type: 'string' },
  { name: 'VALIDATOR_PEER', key: 'peer_endpoint', type: 'string' },
  { name: 'VALIDATOR_LOG_FILE', key: 'log_file', type: 'string' },
];

/** Env variables read by the manager. */
export const MANAGER_ENV: readonly OverrideSpec[] = [
  { name: 'DRY_RUN', key: 'dry_run', type: 'boolean' },
  { name: 'ACTIVE_VALIDATOR', key: 'active_validator', type: 'string' },
  { name: 'PASSIVE_VALIDATOR', key: 'passive_validator', type: 'string' },
  { name: 'MANAGER_LOG_FILE', key: 'log_file', type: 'string' },
];

/** Flags of `failover-agent` that set config keys, as parsed by the app (`node:util` parseArgs). */
export interface AgentFlags {
  readonly listen?: string;
  readonly rpc?: string;
  readonly peer?: string;
  readonly process?: string;
  readonly client?: string;
  readonly active?: boolean | string;
  readonly 'dry-run'?: boolean | string;
  readonly 'log-file'?: string;
  readonly 'log-format'?: string;
}

/** Flags of `failover-manager` that set config keys. */
export interface ManagerFlags {
  readonly active?: string;
  readonly passive?: string;
  readonly interval?: string;
  readonly misses?: string | number;
  readonly 'slot-threshold'?: string | number;
  readonly timeout?: string;
  readonly 'dry-run'?: boolean | string;
  readonly 'log-file'?: string;
  readonly 'log-format'?: string;
}

/** Agent flag → key table. */
export const AGENT_FLAGS: readonly OverrideSpec[] = [
  { name: '--listen', key: 'listen_addr', type: 'string' },
  { name: '--rpc', key: 'local_rpc', type: 'string' },
  { name: '--peer', key: 'peer_endpoint', type: 'string' },
  { name: '--process', key: 'process_name', type: 'string' },
  { name: '--client', key: 'validator_client', type: 'string' },
  { name: '--active', key: 'is_active_on_start', type: 'boolean' },
  { name: '--dry-run', key: 'dry_run', type: 'boolean' },
  { name: '--log-file', key: 'log_file', type: 'string' },
  { name: '--log-format', key: 'log_format', type: 'string' },
];

/** Manager flag → key table. */
export const MANAGER_FLAGS: readonly OverrideSpec[] = [
  { name: '--active', key: 'active_validator', type: 'string' },
  { name: '--passive', key: 'passive_validator', type: 'string' },
  { name: '--interval', key: 'heartbeat_interval', type: 'string' },
  { name: '--misses', key: 'misses_before_failover', type: 'integer' },
  { name: '--slot-threshold', key: 'slot_diff_threshold', type: 'integer' },
  { name: '--timeout', key: 'request_timeout', type: 'string' },
  { name: '--dry-run', key: 'dry_run', type: 'boolean' },
  { name: '--log-file', key: 'log_file', type: 'string' },
  { name: '--log-format', key: 'log_format', type: 'string' },
];

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function convert(spec: OverrideSpec, raw: string | number | boolean): { value: unknown } | { problem: string } {
  if (spec.type === 'string') return { value: String(raw) };
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return { value: raw };
    const text = String(raw).trim().toLowerCase();
    if (TRUE.has(text)) return { value: true };
    if (FALSE.has(text)) return { value: false };
    return { problem: `"${String(raw)}" is not a boolean; write true or false` };
  }
  if (typeof raw === 'number') return { value: raw };
  const text = String(raw).trim();
  return /^-?[0-9]+$/.test(text) ? { value: Number(text) } : { value: text };
}

/** The result of laying env and flags over a config object. */
export interface Overlaid {
  /** The config object with overrides applied (a new object; the input is not changed). */
  readonly value: Record<string, unknown>;
  /** Which env variable or flag set each overridden key, by JSON Pointer. */
  readonly sources: ReadonlyMap<string, ConfigSource>;
  /** Overrides that could not be read at all (a boolean that is neither true nor false). */
  readonly problems: readonly ConfigProblem[];
}

/**
 * Lays `env` then `flags` over `base`. An empty env variable counts as unset, as in the Go
 * tool; a flag is applied whenever the app passes it.
 */
export function applyOverrides(
  base: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  envSpecs: readonly OverrideSpec[],
  flags: Readonly<Record<string, string | number | boolean | undefined>>,
  flagSpecs: readonly OverrideSpec[],
): Overlaid {
  const value: Record<string, unknown> = { ...base };
  const sources = new Map<string, ConfigSource>();
  const problems: ConfigProblem[] = [];
  const apply = (spec: OverrideSpec, raw: string | number | boolean, source: ConfigSource): void => {
    const converted = convert(spec, raw);
    const path = `/${spec.key}`;
    if ('problem' in converted) {
      problems.push({ path, message: `${converted.problem}${describeSource(source)}` });
      return;
    }
    value[spec.key] = converted.value;
    sources.set(path, source);
  };
  for (const spec of envSpecs) {
    const raw = env[spec.name];
    if (raw !== undefined && raw !== '') apply(spec, raw, { kind: 'env', name: spec.name });
  }
  for (const spec of flagSpecs) {
    const raw = flags[spec.name.slice(2)];
    if (raw !== undefined) apply(spec, raw, { kind: 'flag', name: spec.name });
  }
  return { value, sources, problems };
}
