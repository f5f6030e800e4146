import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import { WaitTimeoutError } from './errors';

/** A `sendMessage` call the fake accepted: its parameters as grammy sent them. */
export interface RecordedMessage {
  chat_id: number | string;
  text: string;
  parse_mode?: string;
  [param: string]: unknown;
}

/** Any Bot API call the fake received, accepted or failed on purpose. */
export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** HTTP status the fake answered with. */
  status: number;
}

/** How the next calls fail, for {@link FakeTelegram.failNext}. */
export interface InjectedFailure {
  /** HTTP status and Bot API `error_code`, e.g. 429, 500, 502. */
  status: number;
  /** Seconds, sent as `parameters.retry_after` (Telegram sends it with 429 Too Many Requests). */
  retryAfter?: number;
  /** @default a Telegram-like description for the status */
  description?: string;
}

/** A message a user sends the bot, for {@link FakeTelegram.sendUpdate}. */
export interface InjectedMessage {
  /** The chat it is sent in; the bot's answer goes to the same chat. */
  chatId: number | string;
  text: string;
  /** @default the chat id, as in a private chat */
  fromId?: number;
}

/** How the fake is "down": no TCP listener at all, or an HTTP 502 from a broken gateway. */
export type DownMode = 'refuse' | '5xx';

/** A local Bot API server for tests; grammy talks to it through its `apiRoot` client option. */
export interface FakeTelegram {
  /** `http://127.0.0.1:PORT`, no trailing slash: grammy's `apiRoot`. */
  readonly apiRoot: string;
  /** The bot token the fake accepts; any other gets 401 like the real API. */
  readonly token: string;
  /** Every accepted `sendMessage`, in arrival order. */
  readonly messages: RecordedMessage[];
  /** Every call received, including failed ones. */
  readonly calls: RecordedCall[];
  /** The next `n` calls fail with `failure` (a 429 carries `retry_after`). */
  failNext(n: number, failure: InjectedFailure): void;
  /** Down: `refuse` closes the listener (connection refused), `5xx` answers 502. @default mode 'refuse' */
  setDown(down: boolean, mode?: DownMode): Promise<void>;
  /**
   * Queues a message from a user, served by `getUpdates` (long polling, as the real API: a poll
   * with `timeout` waits for it); resolves with its `update_id`.
   */
  sendUpdate(message: InjectedMessage): number;
  /** How many `getUpdates` long polls are waiting for a message now. */
  pollers(): number;
  /** Resolves with the messages once at least `n` were accepted; rejects after `timeoutMs`. */
  waitForMessages(n: number, timeoutMs?: number): Promise<RecordedMessage[]>;
  stop(): Promise<void>;
}

const BOT_ID = 7000000001;

/**
 * Starts a fake Telegram Bot API on a free loopback port: `POST /bot<token>/<method>` answers
 * `{ ok: true, result }` for `getMe`, `sendMessage` (recorded) and `getUpdates` (the messages
 * queued with `sendUpdate`), and the real API's error shape
 * `{ ok: false, error_code, description, parameters? }` otherwise.
 */
export async function startFakeTelegram(): Promise<FakeTelegram> {
  // A token of the real shape (`<bot id>:<35 chars>`), random so that a test asserting "the
  // token appears in no log line" cannot pass by accident.
  const token = `${BOT_ID}:AA${randomBytes(24).toString('base64url').slice(0, 33)}`;
  const messages: RecordedMessage[] = [];
  const calls: RecordedCall[] = [];
  const failures: InjectedFailure[] = [];
  const waiters = new Set<() => void>();
  let downMode: DownMode | undefined;
  let nextMessageId = 1;
  // Updates not yet confirmed by a getUpdates with a higher offset, and the polls waiting for one.
  const updates: Array<{ update_id: number; message: Record<string, unknown> }> = [];
  const pollers = new Set<() => void>();
  let nextUpdateId = 1;
  let stopped = false;

  let httpServer: Server | undefined;
  const sockets = new Set<Socket>();
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      const server = createServer(handler);
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      httpServer = server;
      return server;
    },
  });
  // grammy sends JSON; multipart (file uploads) is not used by the notifier.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.all<{ Params: { token: string; method: string }; Body: Record<string, unknown> | undefined }>(
    '/bot:token/:method',
    async (request, reply) => {
      const method = request.params.method;
      const params = request.body ?? {};
      const answer = (status: number, body: unknown): unknown => {
        calls.push({ method, params, status });
        return reply.code(status).send(body);
      };
      if (downMode === '5xx') return answer(502, { ok: false, error_code: 502, description: 'Bad Gateway' });
      if (request.params.token !== token)
        return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const failure = failures.shift();
      if (failure !== undefined) return answer(failure.status, errorBody(failure));
      switch (method) {
        case 'getMe':
          return answer(200, {
            ok: true,
            result: { id: BOT_ID, is_bot: true, first_name: 'Failover Test', username: 'failover_test_bot' },
          });
        case 'getUpdates': {
          const offset = Number(params.offset ?? 0);
          // A poll with an offset confirms every update before it, as the real API does.
          while (updates.length > 0 && (updates[0]?.update_id ?? 0) < offset) updates.shift();
          const timeoutMs = Math.min(Number(params.timeout ?? 0), 50) * 1000;
          if (updates.length === 0 && timeoutMs > 0 && !stopped) await waitForUpdate(timeoutMs);
          return answer(200, { ok: true, result: updates.filter((u) => u.update_id >= offset) });
        }
        case 'sendMessage': {
          if (typeof params.text !== 'string' || params.text === '' || params.chat_id === undefined) {
            return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
          }
          const message = params as RecordedMessage;
          messages.push(message);
          for (const wake of [...waiters]) wake();
          return answer(200, {
            ok: true,
            result: {
              message_id: nextMessageId++,
              date: Math.floor(Date.now() / 1000),
              chat: { id: message.chat_id, type: 'private' },
              text: message.text,
            },
          });
        }
        default:
          return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      }
    },
  );

  function waitForUpdate(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pollers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      pollers.add(done);
    });
  }

  await app.ready();
  const server = httpServer;
  if (server === undefined) throw new Error('fastify did not create the HTTP server');
  await listen(server, 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake Telegram has no TCP address');
  const port = address.port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    messages,
    calls,
    failNext(n: number, failure: InjectedFailure): void {
      for (let i = 0; i < n; i += 1) failures.push(failure);
    },
    async setDown(down: boolean, mode: DownMode = 'refuse'): Promise<void> {
      const wasRefusing = downMode === 'refuse';
      downMode = down ? mode : undefined;
      if (downMode === 'refuse' && !wasRefusing) {
        // Stop listening and drop kept-alive connections, so clients get ECONNREFUSED/ECONNRESET.
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
      } else if (downMode !== 'refuse' && wasRefusing) {
        await listen(server, port);
      }
    },
    sendUpdate(message: InjectedMessage): number {
      const updateId = nextUpdateId++;
      const chatId = typeof message.chatId === 'string' ? Number(message.chatId) : message.chatId;
      updates.push({
        update_id: updateId,
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: chatId < 0 ? 'supergroup' : 'private' },
          from: { id: message.fromId ?? Math.abs(chatId), is_bot: false, first_name: 'Operator' },
          text: message.text,
          ...(message.text.startsWith('/')
            ? { entities: [{ type: 'bot_command', offset: 0, length: message.text.split(/\s/)[0]?.length ?? 0 }] }
            : {}),
        },
      });
      for (const wake of [...pollers]) wake();
      return updateId;
    },
    pollers: () => pollers.size,
    waitForMessages(n: number, timeoutMs = 5000): Promise<RecordedMessage[]> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...messages]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new WaitTimeoutError(`${n} Telegram message(s) (got ${messages.length})`, timeoutMs));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const wake of [...pollers]) wake();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

function errorBody(failure: InjectedFailure): unknown {
  const description =
    failure.description ??
    (failure.status === 429 ? `Too Many Requests: retry after ${failure.retryAfter ?? 1}` : `Internal Server Error`);
  return {
    ok: false,
    error_code: failure.status,
    description,
    ...(failure.retryAfter === undefined ? {} : { parameters: { retry_after: failure.retryAfter } }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
