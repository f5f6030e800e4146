/**
 * Durations in config files: strings with a unit, as the Go tool wrote them (`"500ms"`,
 * `"5s"`, `"2m"`, `"1h30m"`). The grammar is the subset of Go's `time.ParseDuration` that
 * operators actually write, so every Go config keeps working.
 *
 * A bare number is refused on purpose: Go read `5` as five *nanoseconds*, so a config that
 * says `"heartbeat_interval": 5` almost certainly does not mean what it says.
 */
import { Type } from '@sinclair/typebox';
import type { TString } from '@sinclair/typebox';

/**
 * Pattern every duration string must match: one or more `<number><unit>` groups, units
 * `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`; or `"0"`.
 */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GROUP = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;
const WHOLE = new RegExp(DURATION_PATTERN);

/**
 * A TypeBox schema for a duration string. `defaultValue` is the documented default, also
 * written as a duration string.
 */
export function Duration(description: string, defaultValue?: string): TString {
  return Type.String({
    pattern: DURATION_PATTERN,
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });
}

/** Whether a schema node is a duration built by {@link Duration}. */
export function isDurationSchema(schema: unknown): boolean {
  return (
    typeof schema === 'object' && schema !== null && (schema as { pattern?: unknown }).pattern === DURATION_PATTERN
  );
}

/**
 * Parses a duration string into milliseconds; `undefined` when the text is not a duration.
 * Sub-millisecond units give fractional milliseconds.
 */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  if (text === '0') return 0;
  let total = 0;
  for (const match of text.matchAll(GROUP)) {
    const unit = UNIT_MS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  return total;
}

/**
 * Formats milliseconds as the shortest exact duration string (`120000` → `"2m"`,
 * `1500` → `"1500ms"`), for messages and generated docs.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The hint for a number written where a duration belongs, suggesting the unit the number
 * most likely meant (seconds for small values, milliseconds for large ones). The loader
 * prefixes it with the key: `heartbeat_interval: 5 is a number; write a duration with a
 * unit, e.g. "5s"`.
 */
export function durationNumberHint(value: number): string {
  const example = value >= 100 ? `"${value}ms"` : `"${value}s"`;
  return `${value} is a number; write a duration with a unit, e.g. ${example}`;
}
