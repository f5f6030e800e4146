/**
 * The config loader. Stages, once at start-up: raw file → empty strings dropped → env →
 * flags → defaults → validate (schema, then cross-key rules) → map to the domain type →
 * freeze. Every problem is collected and returned at once; the apps print them and exit
 * with code 2. Only `loadAgentConfig`/`loadManagerConfig` touch the disk.
 */
import { Kind } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AgentConfigSchema } from './agent-config-schema';
import type { AgentConfigFile } from './agent-config-schema';
import { readConfigFile } from './config-file';
import type { AgentConfig, ManagerConfig } from './domain-config';
import { ManagerConfigSchema } from './manager-config-schema';
import type { ManagerConfigFile } from './manager-config-schema';
import { AGENT_ENV, AGENT_FLAGS, MANAGER_ENV, MANAGER_FLAGS, applyOverrides } from './overrides';
import type { AgentFlags, ManagerFlags, OverrideSpec } from './overrides';
import type { ConfigProblem, ConfigResult } from './problems';
import { agentRuleProblems, managerRuleProblems } from './rules';
import { validateConfigValue } from './validate';
import { toAgentConfig, toManagerConfig } from '../to-domain';

/** Inputs of the pure resolution step: the parsed file (absent without `--config`), env and flags. */
export interface ResolveInput<Flags> {
  /** The parsed JSON of the config file; `undefined` when no file was given. */
  readonly raw?: unknown;
  /** The process environment (or a test's table). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Flags as parsed from argv; only those the user gave. */
  readonly flags?: Flags;
}

/** Inputs of a loader: a config file path (optional, as in the Go tool), env and flags. */
export interface LoadInput<Flags> {
  /** Path given with `--config`. */
  readonly file?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Flags as parsed from argv. */
  readonly flags?: Flags;
}

interface ConfigKind<File, Config> {
  readonly schema: TSchema;
  readonly env: readonly OverrideSpec[];
  readonly flags: readonly OverrideSpec[];
  readonly rules: (file: File) => ConfigProblem[];
  readonly toDomain: (file: File) => Config;
}

type SchemaNode = TSchema & { properties?: Record<string, SchemaNode> };

/**
 * The Go tool read `""` as "not set" (and then applied its default); so do we, for the
 * opaque string keys it had. New keys declare `minLength` or a pattern and keep `""` so
 * that the schema check can refuse it.
 */
function dropEmptyStrings(schema: SchemaNode, value: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key];
    if (child === '' && childSchema !== undefined && acceptsOpaqueString(childSchema)) continue;
    const isObject = typeof child === 'object' && child !== null && !Array.isArray(child);
    result[key] =
      isObject && childSchema !== undefined ? dropEmptyStrings(childSchema, child as Record<string, unknown>) : child;
  }
  return result;
}

/** A string without a format check, or a union with one (`cluster_rpc`: a URL or a list). */
function acceptsOpaqueString(schema: SchemaNode): boolean {
  if (schema[Kind] === 'Union') return ((schema.anyOf ?? []) as SchemaNode[]).some(acceptsOpaqueString);
  return schema[Kind] === 'String' && schema.minLength === undefined && schema.pattern === undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function resolve<File, Config, Flags extends object>(
  kind: ConfigKind<File, Config>,
  input: ResolveInput<Flags>,
): ConfigResult<Config> {
  const raw = input.raw ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '', message: 'the config must be a JSON object ({ ... })' }] };
  }
  const cleaned = dropEmptyStrings(kind.schema as SchemaNode, raw as Record<string, unknown>);
  const overlaid = applyOverrides(
    cleaned,
    input.env ?? {},
    kind.env,
    (input.flags ?? {}) as Record<string, string | number | boolean | undefined>,
    kind.flags,
  );
  const value = Value.Default(kind.schema, overlaid.value) as File;
  const problems = [...overlaid.problems];
  const reported = new Set(problems.map((problem) => problem.path));
  for (const problem of [...validateConfigValue(kind.schema, value, overlaid.sources), ...kind.rules(value)]) {
    if (!reported.has(problem.path)) problems.push(problem);
    reported.add(problem.path);
  }
  if (problems.length > 0) return { ok: false, problems };
  // Frozen as a copy: the domain config shares arrays with the caller's object (etcd_endpoints,
  // fence_command), which freezing in place froze for the caller too. Copied only once the file
  // checked out, so a deeply nested unknown key never reaches a recursive copy.
  return { ok: true, config: deepFreeze(structuredClone(kind.toDomain(value))) };
}

const AGENT: ConfigKind<AgentConfigFile, AgentConfig> = {
  schema: AgentConfigSchema,
  env: AGENT_ENV,
  flags: AGENT_FLAGS,
  rules: agentRuleProblems,
  toDomain: toAgentConfig,
};

const MANAGER: ConfigKind<ManagerConfigFile, ManagerConfig> = {
  schema: ManagerConfigSchema,
  env: MANAGER_ENV,
  flags: MANAGER_FLAGS,
  rules: managerRuleProblems,
  toDomain: toManagerConfig,
};

/** Pure: resolves an agent config from an already parsed file, env and flags. */
export function resolveAgentConfigFile(input: ResolveInput<AgentFlags>): ConfigResult<AgentConfig> {
  return resolve(AGENT, input);
}

/** Pure: resolves a manager config from an already parsed file, env and flags. */
export function resolveManagerConfigFile(input: ResolveInput<ManagerFlags>): ConfigResult<ManagerConfig> {
  return resolve(MANAGER, input);
}

async function load<Flags extends object, Config>(
  input: LoadInput<Flags>,
  resolver: (input: ResolveInput<Flags>) => ConfigResult<Config>,
): Promise<ConfigResult<Config>> {
  const env = input.env ?? process.env;
  if (input.file === undefined) return resolver({ env, flags: input.flags });
  const parsed = await readConfigFile(input.file);
  if (!parsed.ok) return parsed;
  return resolver({ raw: parsed.raw, env, flags: input.flags });
}

/** Loads `validator-config.json` (when given), env and flags into a frozen {@link AgentConfig}. */
export function loadAgentConfig(input: LoadInput<AgentFlags>): Promise<ConfigResult<AgentConfig>> {
  return load(input, resolveAgentConfigFile);
}

/** Loads `manager-config.json` (when given), env and flags into a frozen {@link ManagerConfig}. */
export function loadManagerConfig(input: LoadInput<ManagerFlags>): Promise<ConfigResult<ManagerConfig>> {
  return load(input, resolveManagerConfigFile);
}
