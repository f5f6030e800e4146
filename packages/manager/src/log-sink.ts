/** Where the manager's log lines go: winston in production, an array in tests. */
import type { LogLevel } from '@failover/core';

/** One structured log line; `fields` never carry secrets (the machine never sees any). */
export interface LogSink {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}
