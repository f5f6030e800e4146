import type { FailoverEvent } from '@failover/core';
import { formatEvent } from './format-event';
import type { FormatOptions } from './format-event';
import { renderPlain } from './message-doc';
import type { AppLogger, LogLevelName } from './logger';

/**
 * Tells operators what happened. `notify` returns at once and never throws: the monitoring
 * loop that calls it must keep its rhythm whether Telegram is slow, down or rate-limiting.
 */
export interface Notifier {
  /** Hands the event to every sink; never blocks, never throws. */
  notify(event: FailoverEvent): void;
  /** Resolves when every sink has delivered or given up on what it holds, or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Stops every sink; queued messages not yet delivered are dropped (and logged). Call `flush` first to wait for them. */
  close(): Promise<void>;
  /** What each queueing sink holds and has done since it was made, for metrics; sinks that keep no queue are left out. */
  stats(): readonly SinkReport[];
}

/** Counts a queueing sink keeps from its start; every count only grows but `queued`. */
export interface SinkStats {
  /** Messages waiting, the one in flight included. */
  readonly queued: number;
  /** Messages the destination accepted. */
  readonly delivered: number;
  /** Messages given up after their last attempt. */
  readonly failed: number;
  /** Messages dropped unsent: pushed out of a full queue, or left in it when the sink closed. */
  readonly dropped: number;
  /** Attempts that failed, retried ones included. */
  readonly failedAttempts: number;
}

/** {@link SinkStats} of one sink, named. */
export interface SinkReport extends SinkStats {
  readonly sink: string;
}

/** One destination of notifications. The same no-block, no-throw contract as {@link Notifier}. */
export interface NotificationSink {
  /** For logs, e.g. `telegram`. */
  readonly name: string;
  deliver(event: FailoverEvent): void;
  flush(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  /** A sink with a queue says what it holds and has done. */
  stats?(): SinkStats;
}

/** Options of {@link createNotifier}. */
export interface CreateNotifierOptions {
  /** Every event is also written here as one line: the log sink is always on. */
  logger: AppLogger;
  /** Further sinks, e.g. {@link createTelegramSink}'s. @default [] */
  sinks?: readonly NotificationSink[];
  /** Wording of the log lines. */
  format?: FormatOptions;
}

/** Fans each event out to the log sink and `sinks`; a failing sink is logged and skipped. */
export function createNotifier(options: CreateNotifierOptions): Notifier {
  const { logger } = options;
  const sinks = [createLogSink(logger, options.format), ...(options.sinks ?? [])];
  const report = (sink: NotificationSink, what: string, error: unknown): void => {
    logger.error({ sink: sink.name, err: error }, `notification sink ${sink.name} failed to ${what}`);
  };
  return {
    notify(event: FailoverEvent): void {
      for (const sink of sinks) {
        try {
          sink.deliver(event);
        } catch (error) {
          report(sink, 'accept an event', error);
        }
      }
    },
    async flush(timeoutMs: number): Promise<void> {
      await Promise.all(
        sinks.map((sink) => sink.flush(timeoutMs).catch((error: unknown) => report(sink, 'flush', error))),
      );
    },
    async close(): Promise<void> {
      await Promise.all(sinks.map((sink) => sink.close().catch((error: unknown) => report(sink, 'close', error))));
    },
    stats(): readonly SinkReport[] {
      return sinks.flatMap((sink) => (sink.stats === undefined ? [] : [{ sink: sink.name, ...sink.stats() }]));
    },
  };
}

const LEVEL_OF: Readonly<Record<FailoverEvent['type'], LogLevelName>> = {
  started: 'info',
  stopped: 'info',
  'failover-started': 'warn',
  'failover-complete': 'info',
  // A failed failover may leave nobody voting (L2): the loudest level short of fatal.
  'failover-failed': 'error',
  'rolled-back': 'error',
  blocked: 'warn',
  unblocked: 'info',
  unreachable: 'warn',
  'back-online': 'info',
  'status-report': 'info',
  activated: 'info',
  // Two holders of the staked identity were seen: as loud as a failed failover.
  'fence-started': 'error',
  'fence-ended': 'warn',
  'config-warning': 'warn',
  // The change stands; what failed beside it (a hook) needs a look, not an emergency.
  'role-change-warning': 'warn',
  // Nobody may be voting while this is true (L2).
  'no-vote-yet': 'error',
  // A plan was half done when the manager stopped; the pair may be in between.
  'failover-resumed': 'warn',
  // A manager that can no longer command is as serious as one that failed to.
  deposed: 'error',
  // Two managers: at most one may act, and only terms keep it so.
  'other-manager': 'error',
  'node-name-conflict': 'error',
  // Nothing fails over until it ends: an operator's choice, but one that must be seen.
  paused: 'warn',
  resumed: 'info',
};

/** A sink writing each event as one structured line: the event's fields plus its wording. */
export function createLogSink(logger: AppLogger, format?: FormatOptions): NotificationSink {
  const log = logger.child({ component: 'notifier' });
  return {
    name: 'log',
    deliver(event: FailoverEvent): void {
      const { type, ...fields } = event;
      // A fence that could not demote leaves a possible second voter: error, not warn.
      const level = event.type === 'fence-ended' && !event.ok ? 'error' : LEVEL_OF[type];
      log[level]({ event: type, ...fields }, renderPlain(formatEvent(event, format)));
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
