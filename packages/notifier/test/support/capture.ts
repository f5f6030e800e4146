import { Writable } from 'node:stream';
import { createLogger } from '@failover/notifier';
import type { CreateLoggerOptions, RootLogger } from '@failover/notifier';

/** A real logger whose console output is kept in memory, one entry per line. */
export interface CapturedLogger {
  logger: RootLogger;
  lines(): string[];
  records(): Array<Record<string, unknown>>;
}

export function captureLogger(options: CreateLoggerOptions = {}): CapturedLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ format: 'json', level: 'trace', ...options, stream });
  const lines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '');
  return {
    logger,
    lines,
    records: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
