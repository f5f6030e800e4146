/**
 * Renders the generated files from the schemas: `schemas/*.schema.json` (for `"$schema"`
 * in a config file) and `docs/configuration.md`. A test compares them with the committed
 * copies, so the docs cannot drift from the code; `npm run generate` rewrites them.
 */
import type { TSchema } from '@sinclair/typebox';
import { AgentConfigSchema, HookSchema, VetoHookSchema } from '../config/agent-config-schema';
import { isDurationSchema } from '../config/duration';
import {
  ManagerConfigSchema,
  PostFailoverHookSchema,
  PreFailoverHookSchema,
  ValidatorEndpointSchema,
} from '../config/manager-config-schema';
import { AGENT_ENV, AGENT_FLAGS, MANAGER_ENV, MANAGER_FLAGS } from '../config/overrides';
import type { OverrideSpec } from '../config/overrides';

type Node = TSchema & {
  type?: string;
  anyOf?: Node[];
  const?: unknown;
  items?: Node;
  properties?: Record<string, Node>;
  required?: string[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

const GENERATED =
  'generated from the TypeBox schemas in packages/protocol — do not edit; run `npm run generate -w @failover/protocol`';

/** Published JSON Schema files, by file name. */
export function jsonSchemaFiles(): Record<string, string> {
  const file = (schema: TSchema): string =>
    `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $comment: GENERATED, ...schema }, null, 2)}\n`;
  return {
    'validator-config.schema.json': file(AgentConfigSchema),
    'manager-config.schema.json': file(ManagerConfigSchema),
  };
}

function typeOf(schema: Node): string {
  if (isDurationSchema(schema)) return 'duration';
  if (schema.anyOf !== undefined)
    return schema.anyOf
      .map((member) => (member.const !== undefined ? `\`"${String(member.const)}"\`` : typeOf(member)))
      .join(' \\| ');
  if (schema.type === 'array') return schema.items === undefined ? 'array' : `${typeOf(schema.items)}[]`;
  if (schema.type === 'integer') {
    const range = schema.minimum !== undefined ? ` ≥ ${schema.minimum}` : '';
    return `integer${range}${schema.maximum !== undefined ? `, ≤ ${schema.maximum}` : ''}`;
  }
  if (schema.type === 'string' && schema.pattern !== undefined) return 'string (checked)';
  return schema.type ?? 'any';
}

function table(schema: Node, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(key) === true ? ' (required)' : '';
    const fallback = property.default === undefined ? '' : `\`${JSON.stringify(property.default)}\``;
    const description = (property.description ?? '').replace(/\|/g, '\\|');
    rows.push(
      `| \`${prefix}${key}\`${required} | ${property.type === 'object' ? 'object' : typeOf(property)} | ${fallback} | ${description} |`,
    );
  }
  return rows;
}

function overrides(title: string, specs: readonly OverrideSpec[]): string[] {
  return [`| ${title} | key |`, '|---|---|', ...specs.map((spec) => `| \`${spec.name}\` | \`${spec.key}\` |`)];
}

/** The text of docs/configuration.md. */
export function renderConfigReference(): string {
  const header = '| key | type | default | description |\n|---|---|---|---|';
  return [
    '# Configuration reference',
    '',
    `<!-- ${GENERATED} -->`,
    '',
    "Both programs read a JSON file with the Go tool's snake_case keys; a Go tool config works unchanged.",
    'Stages: file → env → flags (precedence flags > env > file > defaults) → validation → start.',
    'Every problem is reported at once with its key path, and the program exits with code 2.',
    '',
    '- **Durations** are strings with a unit: `"500ms"`, `"5s"`, `"2m"`, `"1h30m"` (units ns, us, ms, s, m, h).',
    '  A bare number is refused: the Go tool read `5` as five nanoseconds.',
    '- **Unknown keys** are refused, with the closest known key suggested. Compatibility keys that are',
    '  accepted: `$schema` (point it at `packages/protocol/schemas/<file>.schema.json` for editor completion),',
    "  and in the manager file the Go tool's `active_validator` / `passive_validator`.",
    '- **Empty strings** on the Go tool\'s keys mean "not set", as in the Go tool. Values the Go tool treated',
    '  as opaque (commands, paths, IPs, pubkeys) are not format-checked, so placeholders survive a migration;',
    '  new keys are checked strictly ("string (checked)").',
    '- **Secrets** (`telegram_bot_token`, the file behind `auth_secret_file`) never appear in logs or messages.',
    '',
    '## validator-config.json (failover-agent)',
    '',
    header,
    ...table(AgentConfigSchema as Node),
    '',
    '### hooks.pre_promote',
    '',
    header,
    ...table(VetoHookSchema as Node),
    '',
    '### hooks.post_promote / hooks.pre_demote / hooks.post_demote',
    '',
    header,
    ...table(HookSchema as Node),
    '',
    ...overrides('env', AGENT_ENV),
    '',
    ...overrides('flag', AGENT_FLAGS),
    '',
    '## manager-config.json (failover-manager)',
    '',
    header,
    ...table(ManagerConfigSchema as Node),
    '',
    '### validator1 / validator2',
    '',
    header,
    ...table(ValidatorEndpointSchema as Node),
    '',
    '### hooks.pre_failover',
    '',
    header,
    ...table(PreFailoverHookSchema as Node),
    '',
    '### hooks.post_failover',
    '',
    header,
    ...table(PostFailoverHookSchema as Node),
    '',
    ...overrides('env', MANAGER_ENV),
    '',
    ...overrides('flag', MANAGER_FLAGS),
    '',
  ].join('\n');
}
