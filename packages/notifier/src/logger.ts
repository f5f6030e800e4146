import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import type { Clock, Logger } from '@failover/core';
import { systemClock } from '@failover/protocol';
import winston from 'winston';
import type DailyRotateFile from 'winston-daily-rotate-file';
import { LoggerOptionError } from './errors';
import { prepareFields, renderJson, renderText } from './internal/log-line';
import type { Serializer } from './internal/log-line';
import { createRedactor } from './redact';
import type { Redactor } from './redact';

/** Severities, most severe first; the names pino and fastify use. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** A severity a line can be logged at. */
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** A logger's threshold: a severity, or `silent` for nothing. */
export type LoggerLevel = LogLevelName | 'silent';

/**
 * One logging method, called pino-style as fastify does: `log.info('text')`,
 * `log.info({ node: 'validator1' }, 'text')` or `log.error(err, 'text')`.
 */
export type LogMethod = (fieldsOrMessage: unknown, message?: string, ...rest: unknown[]) => void;

/** Options of {@link AppLogger.child}, as fastify passes them. */
export interface ChildLoggerOptions {
  /** Threshold of the child only. @default the parent's */
  level?: string;
  /** Field serializers, e.g. fastify's `req`/`res`/`err`. */
  serializers?: Record<string, Serializer>;
}

/**
 * The logger each app creates once: core's {@link Logger} for its parts, and also fastify 5's
 * `loggerInstance` (which needs `fatal`/`trace`/`silent`, `child` and `level`), so HTTP
 * request logs and the apps' own lines go to the same place in the same format.
 */
export interface AppLogger extends Logger {
  /** Current threshold; assigning an unknown name throws `FAILOVER_LOGGER_OPTION`. */
  level: string;
  fatal: LogMethod;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  trace: LogMethod;
  /** Logs nothing (fastify calls it for routes whose log level is `silent`). */
  silent: LogMethod;
  /** A logger adding `bindings` to every line. */
  child(bindings: Record<string, unknown>, options?: ChildLoggerOptions): AppLogger;
}

/** The logger {@link createLogger} returns: an {@link AppLogger} that owns its outputs. */
export interface RootLogger extends AppLogger {
  /** Flushes and closes file outputs. Lines logged afterwards are dropped. */
  close(): Promise<void>;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LoggerLevel;
  /** `text` for people, `json` for log shippers. @default 'text' */
  format?: 'text' | 'json';
  /** Also write to this file (the Go tool's `log_file`). */
  file?: string;
  /**
   * `daily` writes `<name>-YYYY-MM-DD<ext>` beside `file` and keeps a symlink at `file` to
   * the current one. @default 'none'
   */
  rotate?: 'none' | 'daily';
  /** With daily rotation, how many files or days to keep (winston-daily-rotate-file syntax). @default '14d' */
  maxFiles?: string;
  /** Where console lines go. @default process.stdout */
  stream?: NodeJS.WritableStream;
  /** Write to `stream` at all; set false to log only to `file`. @default true */
  console?: boolean;
  /** Secret values (bot token, shared secret) masked as `[REDACTED]` wherever they appear in a line. */
  redact?: readonly string[];
  /** Source of timestamps. @default systemClock */
  clock?: Clock;
}

const SEVERITY: Readonly<Record<LoggerLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

const WINSTON_LEVELS: Record<LogLevelName, number> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
const MESSAGE = Symbol.for('message');

interface Shared {
  readonly sink: winston.Logger;
  readonly render: (record: Parameters<typeof renderText>[0]) => string;
  readonly redact: Redactor;
  readonly clock: Clock;
  readonly withStacks: boolean;
  closed: boolean;
}

/** Creates the winston-backed {@link RootLogger}: one line per event, secrets masked. */
export function createLogger(options: CreateLoggerOptions = {}): RootLogger {
  const level = checkLevel(options.level ?? 'info', 'level');
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw new LoggerOptionError('format', `must be "text" or "json", got ${JSON.stringify(format)}`);
  const transports: winston.transport[] = [];
  if (options.console ?? true)
    transports.push(new winston.transports.Stream({ stream: options.stream ?? process.stdout }));
  if (options.file !== undefined)
    transports.push(fileTransport(options.file, options.rotate ?? 'none', options.maxFiles ?? '14d'));
  const sink = winston.createLogger({
    levels: WINSTON_LEVELS,
    // Thresholds are applied per AppLogger (children may differ); winston passes everything.
    level: 'trace',
    format: winston.format((info) => {
      (info as Record<symbol, unknown>)[MESSAGE] = info.message;
      return info;
    })(),
    transports,
    exitOnError: false,
  });
  const shared: Shared = {
    sink,
    render: format === 'json' ? renderJson : renderText,
    redact: createRedactor(options.redact ?? []),
    clock: options.clock ?? systemClock,
    withStacks: format === 'json',
    closed: false,
  };
  const root = buildLogger(shared, level, {}, {}) as RootLogger;
  root.close = async (): Promise<void> => {
    if (shared.closed) return;
    shared.closed = true;
    const finished = transports.map((t) => new Promise<void>((resolve) => t.once('finish', () => resolve())));
    sink.end();
    const flushed = Promise.all(finished).then(() => Promise.all(transports.map(endRotatingStream)));
    await Promise.race([flushed, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
  };
  return root;
}

function buildLogger(
  shared: Shared,
  initialLevel: LoggerLevel,
  bindings: Readonly<Record<string, unknown>>,
  serializers: Readonly<Record<string, Serializer>>,
): AppLogger {
  let threshold = initialLevel;
  const write = (levelName: LogLevelName, fieldsOrMessage: unknown, message?: string): void => {
    if (shared.closed || SEVERITY[levelName] < SEVERITY[threshold]) return;
    try {
      const { fields, text } = splitArguments(fieldsOrMessage, message);
      const record = {
        time: shared.clock.now(),
        level: levelName,
        message: text,
        fields: prepareFields({ ...bindings, ...fields }, serializers, shared.withStacks),
      };
      shared.sink.log({ level: levelName, message: shared.redact(shared.render(record)) });
    } catch {
      // Logging must never break the caller; a line that cannot be rendered is lost.
    }
  };
  const method =
    (levelName: LogLevelName): LogMethod =>
    (fieldsOrMessage, message) =>
      write(levelName, fieldsOrMessage, message);
  return {
    get level(): string {
      return threshold;
    },
    set level(next: string) {
      threshold = checkLevel(next, 'level');
    },
    fatal: method('fatal'),
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
    trace: method('trace'),
    silent: () => undefined,
    child(childBindings: Record<string, unknown>, options?: ChildLoggerOptions): AppLogger {
      const childLevel = options?.level === undefined ? threshold : checkLevel(options.level, 'child level');
      return buildLogger(
        shared,
        childLevel,
        { ...bindings, ...childBindings },
        { ...serializers, ...options?.serializers },
      );
    },
  };
}

function splitArguments(
  fieldsOrMessage: unknown,
  message: string | undefined,
): { fields: Record<string, unknown>; text: string } {
  if (typeof fieldsOrMessage === 'string') return { fields: {}, text: fieldsOrMessage };
  if (fieldsOrMessage instanceof Error)
    return { fields: { err: fieldsOrMessage }, text: message ?? fieldsOrMessage.message };
  if (fieldsOrMessage !== null && typeof fieldsOrMessage === 'object') {
    const fields = fieldsOrMessage as Record<string, unknown>;
    // pino's convention: `{ msg }` in the object stands in for the message argument.
    const { msg, ...rest } = fields;
    return {
      fields: typeof msg === 'string' && message === undefined ? rest : fields,
      text: message ?? (typeof msg === 'string' ? msg : ''),
    };
  }
  return { fields: fieldsOrMessage === undefined ? {} : { value: fieldsOrMessage }, text: message ?? '' };
}

function checkLevel(level: string, option: string): LoggerLevel {
  if (Object.hasOwn(SEVERITY, level)) return level as LoggerLevel;
  throw new LoggerOptionError(
    option,
    `must be one of ${[...LOG_LEVELS, 'silent'].join(', ')}; got ${JSON.stringify(level)}`,
  );
}

/** The DailyRotateFile transports made here; the class itself is not loaded to test against. */
const rotating = new WeakSet<winston.transport>();

// winston's 'finish' on a DailyRotateFile transport only means the line reached the
// transport; the rotating file stream behind it still buffers until it is ended itself.
function endRotatingStream(transport: winston.transport): Promise<void> {
  const stream = rotating.has(transport)
    ? (transport as unknown as { logStream?: NodeJS.WritableStream }).logStream
    : undefined;
  return new Promise((resolve) => (stream === undefined ? resolve() : stream.end(() => resolve())));
}

// Loaded when a logger first asks for daily rotation, not with this module: it and the file
// rotator it loads are memory that a process logging only to stdout (journald) never needs.
// A synchronous require keeps createLogger synchronous, so no line can come before the file.
function loadDailyRotateFile(): typeof DailyRotateFile {
  return createRequire(__filename)('winston-daily-rotate-file') as typeof DailyRotateFile;
}

function fileTransport(file: string, rotate: 'none' | 'daily', maxFiles: string): winston.transport {
  if (rotate === 'none') return new winston.transports.File({ filename: file });
  if (rotate !== 'daily')
    throw new LoggerOptionError('rotate', `must be "none" or "daily", got ${JSON.stringify(rotate)}`);
  const ext = extname(file);
  const name = basename(file, ext);
  const DailyRotateFile = loadDailyRotateFile();
  const transport = new DailyRotateFile({
    dirname: dirname(file),
    filename: `${name}-%DATE%${ext}`,
    datePattern: 'YYYY-MM-DD',
    maxFiles,
    // The configured path keeps pointing at today's file, so `tail -f agent.log` still works.
    createSymlink: true,
    symlinkName: basename(file),
    auditFile: join(dirname(file), `.${name}-audit.json`),
  });
  rotating.add(transport);
  return transport;
}
