import type { Clock, FailoverEvent } from '@failover/core';
import { sleep, systemClock } from '@failover/protocol';
import type * as GrammyModule from 'grammy';
import { NotifierOptionError } from './errors';
import { formatEvent, isCritical } from './format-event';
import type { FormatOptions } from './format-event';
import { renderHtml } from './message-doc';
import type { AppLogger } from './logger';
import type { NotificationSink, SinkStats } from './notifier';
import { createRedactor } from './redact';
import type { Redactor } from './redact';

/** Options of {@link createTelegramSink}. */
export interface TelegramSinkOptions {
  /** Bot token from @BotFather (`telegram_bot_token`); never logged. */
  token: string;
  /** Chat to post to (`telegram_chat_id`); negative for groups. */
  chatId: string | number;
  /** Where delivery problems are logged. */
  logger: AppLogger;
  /** Bot API root, no trailing slash; tests point it at a local fake. @default 'https://api.telegram.org' */
  apiRoot?: string;
  /** Messages waiting beyond the one in flight; past it the oldest non-critical is dropped. @default 50 */
  queueSize?: number;
  /** Attempts per message before giving up with a logged error. @default 5 */
  maxAttempts?: number;
  /** First retry delay after a network or 5xx failure; doubles per attempt. @default 1000 */
  retryBaseMs?: number;
  /** Longest backoff delay (a 429's `retry_after` is honoured even when longer). @default 30000 */
  retryMaxMs?: number;
  /** Per-request timeout. @default 10000 */
  requestTimeoutMs?: number;
  /** Wording of the messages. */
  format?: FormatOptions;
  /** Timers for backoff waits. @default systemClock */
  clock?: Clock;
}

interface Pending {
  readonly type: FailoverEvent['type'];
  readonly critical: boolean;
  readonly html: string;
}

type Failure =
  | { readonly retry: false; readonly description: string }
  | { readonly retry: true; readonly description: string; readonly waitMs?: number };

/**
 * A sink posting HTML messages through grammy's `Api`. Messages go out one at a time, in
 * order, from a bounded queue; a slow or down Telegram only grows the queue, never the
 * caller's latency. Retries back off exponentially and honour 429 `retry_after`; errors
 * that retrying cannot fix (bad token, bot removed from the chat, bad markup) give up at once.
 */
export function createTelegramSink(options: TelegramSinkOptions): NotificationSink {
  const { token, chatId } = options;
  if (!/^\d+:[\w-]+$/.test(token))
    throw new NotifierOptionError('telegram token', 'must look like <bot id>:<secret> as issued by @BotFather');
  if (String(chatId).trim() === '') throw new NotifierOptionError('telegram chat id', 'must not be empty');
  const queueSize = positive(options.queueSize ?? 50, 'telegram queueSize');
  const maxAttempts = positive(options.maxAttempts ?? 5, 'telegram maxAttempts');
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 30000;
  const clock = options.clock ?? systemClock;
  const redact = createRedactor([token]);
  const log = options.logger.child({ component: 'notifier', sink: 'telegram' });
  // grammy (with node-fetch and its URL polyfills, 3 MB of heap) is loaded with the first
  // message: a process that never notifies through Telegram, such as the agent, never pays for it.
  let connecting: Promise<Telegram> | undefined;
  const connect = (): Promise<Telegram> =>
    (connecting ??= import('grammy').then((grammy) => ({
      grammy,
      api: new grammy.Api(token, {
        apiRoot: options.apiRoot ?? 'https://api.telegram.org',
        timeoutSeconds: Math.max(1, Math.ceil((options.requestTimeoutMs ?? 10000) / 1000)),
      }),
    })));

  const queue: Pending[] = [];
  const abort = new AbortController();
  // grammy types its signal with the abort-controller shim; Node's native signal is what it uses.
  const signal = abort.signal as unknown as Parameters<GrammyModule.Api['sendMessage']>[3];
  const idleWaiters = new Set<() => void>();
  let pumping: Promise<void> | undefined;
  let closed = false;
  let inFlight = 0;
  const counts = { delivered: 0, failed: 0, dropped: 0, failedAttempts: 0 };

  const send = async (item: Pending): Promise<void> => {
    for (let attempt = 1; !closed; attempt += 1) {
      let telegram: Telegram | undefined;
      try {
        telegram = await connect();
        await telegram.api.sendMessage(
          chatId,
          item.html,
          { parse_mode: 'HTML', link_preview_options: { is_disabled: true } },
          signal,
        );
        counts.delivered += 1;
        if (attempt > 1)
          log.info({ event: item.type, attempts: attempt }, 'telegram notification delivered after retrying');
        return;
      } catch (error) {
        if (closed) break;
        counts.failedAttempts += 1;
        const failure = classify(error, redact, telegram);
        if (!failure.retry || attempt >= maxAttempts) {
          counts.failed += 1;
          log.error(
            { event: item.type, attempts: attempt, error: failure.description },
            'telegram notification given up',
          );
          return;
        }
        const waitMs = failure.waitMs ?? Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
        log.warn(
          { event: item.type, attempt, retryInMs: waitMs, error: failure.description },
          `telegram notification failed; retrying in ${waitMs} ms`,
        );
        // close() wakes it early, with the same abort that cancels a request in flight.
        await sleep(clock, waitMs, abort.signal);
      }
    }
    // Closed before the message got through.
    counts.dropped += 1;
  };

  const pump = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && !closed; item = queue.shift()) {
      inFlight = 1;
      await send(item);
      inFlight = 0;
    }
    pumping = undefined;
    for (const wake of [...idleWaiters]) wake();
  };

  return {
    name: 'telegram',
    deliver(event: FailoverEvent): void {
      if (closed) {
        log.warn({ event: event.type }, 'telegram sink is closed; notification not sent');
        return;
      }
      queue.push({
        type: event.type,
        critical: isCritical(event),
        html: renderHtml(formatEvent(event, options.format)),
      });
      if (queue.length > queueSize) {
        const index = queue.findIndex((p) => !p.critical);
        // All critical: the oldest goes; newer news about the same identity supersedes it.
        const [dropped] = queue.splice(index === -1 ? 0 : index, 1);
        counts.dropped += 1;
        log.warn(
          { event: dropped?.type, critical: dropped?.critical, queueSize },
          'telegram queue full; dropped the oldest notification',
        );
      }
      pumping ??= pump();
    },
    flush(timeoutMs: number): Promise<void> {
      if (pumping === undefined) return Promise.resolve();
      return new Promise((resolve) => {
        // A real-time bound: flush is how a stopping process limits its own shutdown.
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          idleWaiters.delete(done);
          resolve();
        }
        idleWaiters.add(done);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      abort.abort();
      if (queue.length > 0) log.warn({ dropped: queue.length }, 'telegram sink closed with undelivered notifications');
      counts.dropped += queue.length;
      queue.length = 0;
      await pumping;
    },
    stats(): SinkStats {
      return { queued: queue.length + inFlight, ...counts };
    },
  };
}

/** grammy once loaded, and the client made with it. */
interface Telegram {
  readonly grammy: typeof GrammyModule;
  readonly api: GrammyModule.Api;
}

// Without `telegram`, grammy did not load, so the error cannot be one of its own.
function classify(error: unknown, redact: Redactor, telegram: Telegram | undefined): Failure {
  if (telegram !== undefined && error instanceof telegram.grammy.GrammyError) {
    const description = redact(`Telegram answered ${error.error_code}: ${error.description}`);
    if (error.error_code === 429) {
      const retryAfter = error.parameters.retry_after;
      return { retry: true, description, ...(retryAfter === undefined ? {} : { waitMs: retryAfter * 1000 }) };
    }
    // 400 (bad markup, chat not found), 401 (token revoked), 403 (bot removed): the same
    // request will fail the same way.
    return error.error_code >= 500 ? { retry: true, description } : { retry: false, description };
  }
  if (telegram !== undefined && error instanceof telegram.grammy.HttpError) {
    // The inner error's message holds the request URL, and the URL holds the token.
    const inner = error.error instanceof Error ? error.error.message : String(error.error);
    return { retry: true, description: redact(`network error: ${inner}`) };
  }
  return { retry: true, description: redact(error instanceof Error ? error.message : String(error)) };
}

function positive(value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new NotifierOptionError(option, `must be a positive integer, got ${value}`);
  return value;
}
