import { Api, GrammyError, HttpError } from 'grammy';
import { startFakeTelegram, waitFor } from '@failover/testkit';
import type { FakeTelegram } from '@failover/testkit';

describe('startFakeTelegram, driven by grammy', () => {
  let telegram: FakeTelegram;
  let api: Api;

  beforeEach(async () => {
    telegram = await startFakeTelegram();
    api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
  });

  afterEach(async () => {
    await telegram.stop();
  });

  it('answers getMe as a bot', async () => {
    const me = await api.getMe();
    expect(me.is_bot).toBe(true);
    expect(me.username).toBe('failover_test_bot');
  });

  it('records sendMessage with every parameter grammy sent', async () => {
    const sent = await api.sendMessage(-100123, '<b>hi</b>', { parse_mode: 'HTML' });
    expect(sent.text).toBe('<b>hi</b>');
    await expect(telegram.waitForMessages(1, 1000)).resolves.toEqual([
      { chat_id: -100123, text: '<b>hi</b>', parse_mode: 'HTML' },
    ]);
  });

  it('serves queued messages to getUpdates, and forgets them once a later offset confirms them', async () => {
    const first = telegram.sendUpdate({ chatId: -100123, text: '/status' });
    const updates = await api.getUpdates({ timeout: 0 });
    expect(updates).toMatchObject([
      {
        update_id: first,
        message: {
          chat: { id: -100123 },
          text: '/status',
          entities: [{ type: 'bot_command', offset: 0, length: 7 }],
        },
      },
    ]);
    expect(await api.getUpdates({ offset: first + 1, timeout: 0 })).toEqual([]);
  });

  it('holds a long poll until a message comes', async () => {
    const polled = api.getUpdates({ timeout: 30 });
    await waitFor(() => telegram.pollers() === 1, { description: 'the poll to wait' });
    telegram.sendUpdate({ chatId: 42, text: '/history' });
    await expect(polled).resolves.toMatchObject([{ message: { chat: { id: 42, type: 'private' }, text: '/history' } }]);
  });

  it('rejects a wrong token with 401 like the real API', async () => {
    const stranger = new Api('1:wrong', { apiRoot: telegram.apiRoot });
    await expect(stranger.sendMessage(1, 'x')).rejects.toMatchObject({ error_code: 401 });
    expect(telegram.messages).toEqual([]);
  });

  it('fails the next calls with 429 and retry_after, then accepts again', async () => {
    telegram.failNext(1, { status: 429, retryAfter: 3 });
    const error: unknown = await api.sendMessage(1, 'first').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(429);
    expect((error as GrammyError).parameters.retry_after).toBe(3);
    await api.sendMessage(1, 'second');
    expect(telegram.messages.map((m) => m.text)).toEqual(['second']);
    expect(telegram.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('refuses connections while down and serves again on the same apiRoot after', async () => {
    await telegram.setDown(true);
    await expect(api.sendMessage(1, 'lost')).rejects.toBeInstanceOf(HttpError);
    await telegram.setDown(false);
    await api.sendMessage(1, 'back');
    expect(telegram.messages.map((m) => m.text)).toEqual(['back']);
  });

  it('answers 502 while down in 5xx mode', async () => {
    await telegram.setDown(true, '5xx');
    await expect(api.sendMessage(1, 'x')).rejects.toMatchObject({ error_code: 502 });
    await telegram.setDown(false);
    await api.sendMessage(1, 'y');
    expect(telegram.messages).toHaveLength(1);
  });

  it('rejects waitForMessages with a description when too few messages arrive', async () => {
    await api.sendMessage(1, 'only one');
    await expect(telegram.waitForMessages(2, 100)).rejects.toThrow(/2 Telegram message\(s\) \(got 1\)/);
  });
});
