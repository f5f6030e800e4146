import type { Clock } from '@failover/core';
import { sleep, systemClock } from '@failover/protocol';
import type * as GrammyModule from 'grammy';
import { NotifierOptionError } from './errors';
import type { AppLogger } from './logger';
import { escapeHtml } from './message-doc';
import { createRedactor } from './redact';

/** The read-only commands the bot answers. */
export type TelegramCommand = 'status' | 'history';

/** Options of {@link createTelegramCommands}. */
export interface TelegramCommandsOptions {
  /** Bot token (`telegram_bot_token`); never logged. */
  readonly token: string;
  /** The chats whose commands are answered (`telegram_chat_id`); every other chat is ignored. */
  readonly allowedChatIds: readonly (string | number)[];
  /** The answer to a command, as plain text; sent as preformatted text, cut to Telegram's limit. */
  readonly answer: (command: TelegramCommand) => Promise<string>;
  /** Whether to poll now; a manager that does not lead leaves the bot to the one that does. @default always */
  readonly isPolling?: () => boolean;
  readonly logger: AppLogger;
  /** Bot API root, no trailing slash. @default 'https://api.telegram.org' */
  readonly apiRoot?: string;
  /** How long one `getUpdates` waits for a message (long polling). @default 25 */
  readonly pollTimeoutSeconds?: number;
  /** First wait after a failed poll; doubles up to `retryMaxMs`. @default 1000 */
  readonly retryBaseMs?: number;
  /** @default 60000 */
  readonly retryMaxMs?: number;
  /** Between two looks at `isPolling` while it says no. @default 5000 */
  readonly idleCheckMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** The bot's command loop. */
export interface TelegramCommands {
  /** Starts polling in the background; returns at once. */
  start(): void;
  /** Stops polling, cancelling a poll in flight; resolves once the loop ended. */
  stop(): Promise<void>;
}

// Telegram refuses messages over 4096 characters; `<pre>` fits in the margin.
const MAX_TEXT = 4000;
const COMMAND = /^\/([a-z]+)(?:@[A-Za-z0-9_]+)?(?:\s|$)/;

/**
 * Answers `/status` and `/history` through long polling (`getUpdates`), in a loop of its own:
 * a slow or unreachable Telegram delays only this loop, never the caller. Only the allowed
 * chats are answered; a message from any other chat is dropped and logged with its chat id and
 * the command it names, never with its text. Failures back off and are logged with the token
 * redacted; a rejected token (401) stops the loop.
 */
export function createTelegramCommands(options: TelegramCommandsOptions): TelegramCommands {
  const { token } = options;
  if (!/^\d+:[\w-]+$/.test(token))
    throw new NotifierOptionError('telegram token', 'must look like <bot id>:<secret> as issued by @BotFather');
  if (options.allowedChatIds.length === 0)
    throw new NotifierOptionError('telegram allowed chat ids', 'must name at least one chat');
  const allowed = new Set(options.allowedChatIds.map((id) => String(id).trim()));
  const clock = options.clock ?? systemClock;
  const pollTimeoutSeconds = options.pollTimeoutSeconds ?? 25;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const idleCheckMs = options.idleCheckMs ?? 5000;
  const redact = createRedactor([token]);
  const log = options.logger.child({ component: 'notifier', sink: 'telegram-commands' });
  const abort = new AbortController();
  // grammy types its signal with the abort-controller shim; Node's native signal is what it uses.
  const signal = abort.signal as unknown as Parameters<GrammyModule.Api['getUpdates']>[1];
  let loop: Promise<void> | undefined;
  let stopped = false;

  const answer = async (api: GrammyModule.Api, chatId: number, command: TelegramCommand): Promise<void> => {
    let text: string;
    try {
      text = await options.answer(command);
    } catch (error) {
      text = `/${command} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    await api.sendMessage(chatId, `<pre>${fitted(redact(text))}</pre>`, { parse_mode: 'HTML' }, signal);
    log.info({ chat_id: chatId, command }, `answered /${command}`);
  };

  const handle = async (api: GrammyModule.Api, update: GrammyModule.Context['update']): Promise<void> => {
    const message = update.message;
    if (message?.text === undefined) return;
    const name = COMMAND.exec(message.text)?.[1];
    const chatId = message.chat.id;
    if (!allowed.has(String(chatId))) {
      log.warn({ chat_id: chatId, command: name ?? null }, 'telegram message from a chat that is not allowed; ignored');
      return;
    }
    if (name === 'status' || name === 'history') {
      await answer(api, chatId, name);
      return;
    }
    await api.sendMessage(chatId, 'Read-only commands: /status, /history', {}, signal);
  };

  const run = async (): Promise<void> => {
    const grammy = await import('grammy');
    const api = new grammy.Api(token, {
      apiRoot: options.apiRoot ?? 'https://api.telegram.org',
      // Beyond the long poll's own wait, or every quiet poll would end as a timeout.
      timeoutSeconds: pollTimeoutSeconds + 10,
    });
    let offset: number | undefined;
    let failures = 0;
    while (!stopped) {
      if (options.isPolling !== undefined && !options.isPolling()) {
        await sleep(clock, idleCheckMs, abort.signal);
        continue;
      }
      try {
        const updates = await api.getUpdates(
          { ...(offset === undefined ? {} : { offset }), timeout: pollTimeoutSeconds, allowed_updates: ['message'] },
          signal,
        );
        failures = 0;
        for (const update of updates) {
          offset = update.update_id + 1;
          await handle(api, update).catch((error: unknown) => {
            if (!stopped)
              log.warn(
                { update_id: update.update_id, error: describe(error, grammy, redact) },
                'telegram answer failed',
              );
          });
        }
      } catch (error) {
        if (stopped) break;
        failures += 1;
        if (error instanceof grammy.GrammyError && error.error_code === 401) {
          log.error({ error: describe(error, grammy, redact) }, 'telegram rejected the bot token; commands are off');
          return;
        }
        const waitMs = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
        // A 409 is another poller of the same bot (a second manager, a webhook): loud, as two bots answer.
        const level =
          failures === 1 || (error instanceof grammy.GrammyError && error.error_code === 409) ? 'warn' : 'debug';
        log[level](
          { error: describe(error, grammy, redact), failures, retry_in_ms: waitMs },
          'telegram getUpdates failed; commands wait',
        );
        await sleep(clock, waitMs, abort.signal);
      }
    }
  };

  return {
    start() {
      if (loop !== undefined || stopped) return;
      loop = run().catch((error: unknown) => {
        log.error(
          { error: redact(error instanceof Error ? error.message : String(error)) },
          'telegram commands stopped',
        );
      });
    },
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}

/**
 * The text escaped for HTML, cut so that the escaped form fits Telegram's limit: cutting the
 * escaped form could split an entity (`&amp;`), which Telegram refuses.
 */
function fitted(text: string): string {
  let kept = text;
  let escaped = escapeHtml(kept);
  if (escaped.length <= MAX_TEXT) return escaped;
  while (escaped.length > MAX_TEXT - CUT_NOTICE.length) {
    kept = kept.slice(0, Math.floor(kept.length * 0.9));
    escaped = escapeHtml(kept);
  }
  return `${escaped}${CUT_NOTICE}`;
}

const CUT_NOTICE = '\n… (cut)';

function describe(error: unknown, grammy: typeof GrammyModule, redact: (text: string) => string): string {
  if (error instanceof grammy.GrammyError) return redact(`Telegram answered ${error.error_code}: ${error.description}`);
  // The inner error's message holds the request URL, and the URL holds the token.
  if (error instanceof grammy.HttpError)
    return redact(`network error: ${error.error instanceof Error ? error.error.message : String(error.error)}`);
  return redact(error instanceof Error ? error.message : String(error));
}
