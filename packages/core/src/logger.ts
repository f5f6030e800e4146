/**
 * The one logging interface of the apps' parts, injected like the clock. Fields come first and
 * the message second, as pino and fastify call it: fastify's logger and the notifier's winston
 * logger both satisfy it, so a part logs through whatever the app was given. Its methods are
 * the `LogLevel`s, so a `LogEffect` is written as `logger[level](fields ?? {}, message)`.
 */

/** Where the parts of both apps write their log lines. Fields never carry a secret. */
export interface Logger {
  /** Detail for diagnosing a run; hidden at the default level. */
  debug(fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Something happened as it should. */
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Something an operator should look at; the program carries on. */
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Something failed. */
  error(fields: Readonly<Record<string, unknown>>, message: string): void;
}
