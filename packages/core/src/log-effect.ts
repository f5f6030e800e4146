/**
 * The log line both machines emit as an effect. Fields are plain values; nothing secret is
 * ever put in them (the machines never see keypairs or tokens).
 */

/** A log level, as winston and fastify both know it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** "Write this log line": executed by the app's logger. */
export interface LogEffect {
  /** Discriminant. */
  readonly kind: 'log';
  /** Severity. */
  readonly level: LogLevel;
  /** One sentence about what happened. */
  readonly message: string;
  /** Structured context. */
  readonly fields?: Readonly<Record<string, unknown>>;
}
