/**
 * Schema validation of a config object, with messages written for operators: every
 * problem at once, unknown keys with the closest known key, durations with a unit hint,
 * enums with their allowed values.
 */
import { Kind } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { closestKey } from '../internal/closest-key';
import { durationNumberHint, isDurationSchema } from './duration';
import { describeSource } from './problems';
import type { ConfigProblem, ConfigSource } from './problems';

type SchemaNode = TSchema & {
  properties?: Record<string, TSchema>;
  anyOf?: TSchema[];
  const?: unknown;
  items?: TSchema;
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Finds keys the schema does not declare, recursing into declared nested objects. */
function unknownKeyProblems(schema: SchemaNode, value: unknown, path: string): ConfigProblem[] {
  if (schema.properties === undefined || !isPlainObject(value)) return [];
  const known = Object.keys(schema.properties);
  const problems: ConfigProblem[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${escapePointer(key)}`;
    const childSchema = schema.properties[key] as SchemaNode | undefined;
    if (childSchema === undefined) {
      const suggestion = closestKey(key, known);
      problems.push({
        path: childPath,
        message: `unknown key "${key}"${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`,
      });
    } else {
      problems.push(...unknownKeyProblems(childSchema, child, childPath));
    }
  }
  return problems;
}

function literalChoices(schema: SchemaNode): string[] | undefined {
  if (schema.anyOf === undefined) return undefined;
  const choices = schema.anyOf.map((member) => (member as SchemaNode).const);
  return choices.every((choice) => typeof choice === 'string') ? (choices as string[]) : undefined;
}

function describeError(schema: SchemaNode, value: unknown, fallback: string): string {
  if (isDurationSchema(schema)) {
    if (typeof value === 'number') return durationNumberHint(value);
    if (typeof value === 'string') {
      return `"${value}" is not a duration; write a number with a unit (ns, us, ms, s, m, h), e.g. "5s" or "500ms"`;
    }
    return 'expected a duration string with a unit, e.g. "5s"';
  }
  const choices = literalChoices(schema);
  if (choices !== undefined) return `expected one of ${choices.map((c) => `"${c}"`).join(', ')}`;
  if (schema[Kind] === 'String' && schema.pattern !== undefined && typeof value === 'string') {
    return `does not match the expected form ${schema.pattern}`;
  }
  return fallback.charAt(0).toLowerCase() + fallback.slice(1);
}

/**
 * Validates `value` against `schema` and returns every problem; `sources` names the env
 * variable or flag a value came from (keyed by JSON Pointer) so the message can say so.
 */
export function validateConfigValue(
  schema: TSchema,
  value: unknown,
  sources: ReadonlyMap<string, ConfigSource> = new Map(),
): ConfigProblem[] {
  if (!isPlainObject(value)) return [{ path: '', message: 'the config must be a JSON object ({ ... })' }];
  const problems = unknownKeyProblems(schema as SchemaNode, value, '');
  const seen = new Set(problems.map((problem) => problem.path));
  for (const error of Value.Errors(schema, value)) {
    // Unknown keys were reported above with a suggestion; TypeBox's version says less.
    if (error.type === ValueErrorType.ObjectAdditionalProperties) continue;
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const message = describeError(error.schema as SchemaNode, error.value, error.message);
    problems.push({ path: error.path, message: `${message}${describeSource(sources.get(error.path))}` });
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
