/**
 * Errors thrown by `@failover/notifier`.
 *
 * Only construction throws (bad options are a start-up problem the operator must fix);
 * delivery problems at run time are logged and never thrown into the monitoring loop.
 * Messages never contain a token or other secret: they name the option instead.
 */

/** Base class of every error `@failover/notifier` throws; `code` is stable across releases. */
export class NotifierError extends Error {
  /** Stable machine-readable code, e.g. `FAILOVER_NOTIFIER_OPTION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Thrown when a notifier or sink is created with an option it cannot use. */
export class NotifierOptionError extends NotifierError {
  /** The option, e.g. `telegram.chatId`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('FAILOVER_NOTIFIER_OPTION', `${option} ${problem}`);
    this.option = option;
  }
}

/** Thrown when `createLogger` is given an option it cannot use (unknown level, format). */
export class LoggerOptionError extends NotifierError {
  /** The option, e.g. `level`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('FAILOVER_LOGGER_OPTION', `${option} ${problem}`);
    this.option = option;
  }
}
