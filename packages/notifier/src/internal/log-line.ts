/*
 * Renders one log event as exactly one line, in text or JSON. Whatever the fields hold —
 * newlines in a command's stderr, an Error with a cause, a circular object from a library —
 * the output stays one line, so log shippers and `grep` see one event per line.
 */

/** A field value serializer, as fastify passes them to `child(bindings, { serializers })`. */
export type Serializer = (value: unknown) => unknown;

/** What a line is made of. */
export interface LogRecord {
  readonly time: number;
  readonly level: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const RESERVED = new Set(['time', 'level', 'msg']);
const MAX_DEPTH = 8;

/** Applies serializers to the fields that have one, and turns values into plain JSON data. */
export function prepareFields(
  fields: Readonly<Record<string, unknown>>,
  serializers: Readonly<Record<string, Serializer>>,
  withStacks: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(fields)) {
    const serializer = serializers[key];
    let value: unknown = raw;
    if (serializer !== undefined) {
      try {
        value = serializer(raw);
      } catch {
        // A broken serializer must not lose the log line.
        value = '[unserializable]';
      }
    }
    out[RESERVED.has(key) ? `_${key}` : key] = toPlain(value, withStacks, new WeakSet(), 0);
  }
  return out;
}

function toPlain(value: unknown, withStacks: boolean, seen: WeakSet<object>, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (typeof value !== 'object') return String(value);
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) return errorToPlain(value, withStacks, seen, depth);
  if (Array.isArray(value)) return value.map((item) => toPlain(item, withStacks, seen, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const plain = toPlain(item, withStacks, seen, depth + 1);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

function errorToPlain(
  error: Error,
  withStacks: boolean,
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (withStacks && error.stack !== undefined) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = toPlain(error.cause, withStacks, seen, depth + 1);
  return out;
}

/** `{"time":…,"level":…,"msg":…,…fields}` on one line. */
export function renderJson(record: LogRecord): string {
  return JSON.stringify({
    time: new Date(record.time).toISOString(),
    level: record.level,
    msg: record.message,
    ...record.fields,
  });
}

/** `2026-01-01T00:00:00.000Z INFO  message key=value key2="two words"` on one line. */
export function renderText(record: LogRecord): string {
  const parts = [new Date(record.time).toISOString(), record.level.toUpperCase().padEnd(5), oneLine(record.message)];
  for (const [key, value] of Object.entries(record.fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${textValue(value)}`);
  }
  return parts.join(' ');
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+,=-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
