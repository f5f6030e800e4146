import type { Logger, LogLevel } from '@failover/core';

export interface LogEntry {
  readonly level: LogLevel;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A logger that keeps every entry, for assertions on what the agent said. */
export function recordingLogger(): Logger & { entries: LogEntry[]; text: () => string } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: Readonly<Record<string, unknown>>, message: string) => {
    entries.push({ level, fields, message });
  };
  return {
    entries,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    text: () => entries.map((e) => `${e.level} ${e.message} ${JSON.stringify(e.fields)}`).join('\n'),
  };
}
