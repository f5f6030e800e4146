export { NotifierError, NotifierOptionError, LoggerOptionError } from './errors';
export { REDACTED, createRedactor } from './redact';
export type { Redactor } from './redact';
export { LOG_LEVELS, createLogger } from './logger';
export type {
  AppLogger,
  ChildLoggerOptions,
  CreateLoggerOptions,
  LogLevelName,
  LogMethod,
  LoggerLevel,
  RootLogger,
} from './logger';
export {
  causeText,
  deposedText,
  duration,
  formatEvent,
  healthText,
  isCritical,
  nodeNameConflictText,
  reasonText,
  refusalText,
} from './format-event';
export type { FormatOptions } from './format-event';
export { escapeHtml, renderHtml, renderPlain } from './message-doc';
export type { MessageDoc, Span } from './message-doc';
export { createLogSink, createNotifier } from './notifier';
export type { CreateNotifierOptions, NotificationSink, Notifier, SinkReport, SinkStats } from './notifier';
export { createTelegramCommands } from './telegram-commands';
export type { TelegramCommand, TelegramCommands, TelegramCommandsOptions } from './telegram-commands';
export { createTelegramSink } from './telegram-sink';
export type { TelegramSinkOptions } from './telegram-sink';
