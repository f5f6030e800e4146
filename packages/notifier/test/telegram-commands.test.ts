import { SimulatedClock } from '@failover/core/testing';
import { createTelegramCommands, NotifierOptionError } from '@failover/notifier';
import type { TelegramCommand, TelegramCommands, TelegramCommandsOptions } from '@failover/notifier';
import { startFakeTelegram, waitFor } from '@failover/testkit';
import type { FakeTelegram, RecordedMessage } from '@failover/testkit';
import { captureLogger } from './support/capture';
import type { CapturedLogger } from './support/capture';

const CHAT = -1001234567890;

describe('Telegram commands against a local Bot API', () => {
  let telegram: FakeTelegram;
  let captured: CapturedLogger;
  let commands: TelegramCommands | undefined;
  const asked: TelegramCommand[] = [];

  beforeEach(async () => {
    telegram = await startFakeTelegram();
    captured = captureLogger();
    asked.length = 0;
  });

  afterEach(async () => {
    await commands?.stop();
    commands = undefined;
    await telegram.stop();
    expect(captured.lines().join('\n')).not.toContain(telegram.token);
  });

  function start(overrides: Partial<TelegramCommandsOptions> = {}): TelegramCommands {
    commands = createTelegramCommands({
      token: telegram.token,
      allowedChatIds: [String(CHAT)],
      apiRoot: telegram.apiRoot,
      logger: captured.logger,
      answer: async (command) => {
        asked.push(command);
        return command === 'status' ? 'state: watching <ok> & well' : 'no failover recorded';
      },
      ...overrides,
    });
    commands.start();
    return commands;
  }

  async function answerIn(chat: number, from: number): Promise<RecordedMessage> {
    return waitFor(() => telegram.messages.slice(from).find((m) => Number(m.chat_id) === chat), {
      description: `an answer in chat ${chat}`,
      timeoutMs: 10_000,
    });
  }

  it('answers /status and /history from the allowed chat as preformatted text', async () => {
    start();
    telegram.sendUpdate({ chatId: CHAT, text: '/status' });
    const status = await answerIn(CHAT, 0);
    expect(status).toMatchObject({ text: '<pre>state: watching &lt;ok&gt; &amp; well</pre>', parse_mode: 'HTML' });
    telegram.sendUpdate({ chatId: CHAT, text: '/history@failover_test_bot' });
    await expect(answerIn(CHAT, 1)).resolves.toMatchObject({ text: '<pre>no failover recorded</pre>' });
    expect(asked).toEqual(['status', 'history']);
  });

  it('ignores every other chat, and logs its chat id and command without the message text', async () => {
    start();
    telegram.sendUpdate({ chatId: 777, text: '/status my-password-123' });
    telegram.sendUpdate({ chatId: CHAT, text: '/status' });
    await answerIn(CHAT, 0);
    expect(telegram.messages.filter((m) => Number(m.chat_id) === 777)).toEqual([]);
    expect(asked).toEqual(['status']);
    const ignored = captured
      .records()
      .find((r) => r['msg'] === 'telegram message from a chat that is not allowed; ignored');
    expect(ignored).toMatchObject({ chat_id: 777, command: 'status' });
    expect(captured.lines().join('\n')).not.toContain('my-password-123');
  });

  it('cuts a long answer to what Telegram takes, never inside an escaped character', async () => {
    start({ answer: async () => 'a&b'.repeat(2_000) });
    telegram.sendUpdate({ chatId: CHAT, text: '/history' });
    const { text } = await answerIn(CHAT, 0);
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toMatch(/^<pre>(a&amp;b)+a?(&amp;)?\n… \(cut\)<\/pre>$/);
  });

  it('tells the allowed chat which commands exist when it sends another', async () => {
    start();
    telegram.sendUpdate({ chatId: CHAT, text: '/switchover now' });
    await expect(answerIn(CHAT, 0)).resolves.toMatchObject({ text: 'Read-only commands: /status, /history' });
    expect(asked).toEqual([]);
  });

  it('backs off while Telegram is down and answers once it is back', async () => {
    const clock = new SimulatedClock(0);
    await telegram.setDown(true);
    start({ clock, retryBaseMs: 1_000 });
    await waitFor(() => clock.pending === 1, { description: 'a retry to be scheduled' });
    expect(captured.records().find((r) => r['msg'] === 'telegram getUpdates failed; commands wait')).toMatchObject({
      failures: 1,
      retry_in_ms: 1_000,
    });
    await telegram.setDown(false);
    telegram.sendUpdate({ chatId: CHAT, text: '/status' });
    clock.advance(1_000);
    await answerIn(CHAT, 0);
  });

  it('does not poll while it is told not to, as a manager that follows', async () => {
    const clock = new SimulatedClock(0);
    let leads = false;
    start({ clock, isPolling: () => leads, idleCheckMs: 500 });
    telegram.sendUpdate({ chatId: CHAT, text: '/status' });
    await waitFor(() => clock.pending === 1, { description: 'the idle wait' });
    expect(telegram.calls.filter((c) => c.method === 'getUpdates')).toEqual([]);
    leads = true;
    clock.advance(500);
    await answerIn(CHAT, 0);
  });

  it('stops polling when Telegram rejects the token', async () => {
    start({ token: '1:wrong' });
    await waitFor(
      () => captured.records().some((r) => r['msg'] === 'telegram rejected the bot token; commands are off'),
      { description: 'the 401 to be logged' },
    );
    expect(telegram.calls.filter((c) => c.method === 'getUpdates')).toHaveLength(1);
  });

  it('refuses a malformed token and an empty list of chats', () => {
    expect(() => start({ token: 'nope' })).toThrow(NotifierOptionError);
    expect(() => start({ allowedChatIds: [] })).toThrow(/must name at least one chat/);
  });
});
