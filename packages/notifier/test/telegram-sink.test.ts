import { SimulatedClock } from '@failover/core/testing';
import type { FailoverEvent } from '@failover/core';
import { startFakeTelegram, waitFor } from '@failover/testkit';
import type { FakeTelegram } from '@failover/testkit';
import { createTelegramSink, NotifierOptionError } from '@failover/notifier';
import type { NotificationSink, TelegramSinkOptions } from '@failover/notifier';
import { captureLogger } from './support/capture';
import type { CapturedLogger } from './support/capture';
import { AT, everyEvent } from './support/events';

const CHAT = -1001234567890;
const complete = everyEvent.find((e) => e.type === 'failover-complete')!;
const status = everyEvent.find((e) => e.type === 'status-report')!;
const unreachable = (detail: string): FailoverEvent => ({
  type: 'unreachable',
  at: AT,
  node: 'validator1',
  reason: 'timeout',
  detail,
});

describe('the Telegram sink against a local Bot API', () => {
  let telegram: FakeTelegram;
  let clock: SimulatedClock;
  let captured: CapturedLogger;
  let sink: NotificationSink | undefined;

  beforeEach(async () => {
    telegram = await startFakeTelegram();
    clock = new SimulatedClock(AT);
    captured = captureLogger();
  });

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await telegram.stop();
    // Whatever happened in the test, the token never reached a log line.
    expect(captured.lines().join('\n')).not.toContain(telegram.token);
  });

  function createSink(overrides: Partial<TelegramSinkOptions> = {}): NotificationSink {
    sink = createTelegramSink({
      token: telegram.token,
      chatId: CHAT,
      apiRoot: telegram.apiRoot,
      logger: captured.logger,
      clock,
      ...overrides,
    });
    return sink;
  }

  // The sink has failed once and is waiting on the simulated clock to retry.
  async function retryScheduled(): Promise<void> {
    await waitFor(() => clock.pending === 1, { description: 'a retry to be scheduled', timeoutMs: 3000 });
  }

  it('posts the formatted failover message as HTML to the configured chat', async () => {
    createSink().deliver(complete);
    const [message] = await telegram.waitForMessages(1);
    expect(message).toMatchObject({ chat_id: CHAT, parse_mode: 'HTML' });
    expect(message?.text).toMatch(/^🔄 <b>Failover complete<\/b>\n/);
    expect(message?.text).toContain('<b>validator1</b> → <b>validator2</b>');
    expect(message?.text).toContain('✓ promote validator2: <code>1.3 s</code>');
  });

  it('escapes values so Telegram accepts the message', async () => {
    createSink().deliver(unreachable('connect <ECONNREFUSED> & more'));
    const [message] = await telegram.waitForMessages(1);
    expect(message?.text).toBe('🔴 <b>validator1 unreachable</b>\ntimeout: connect &lt;ECONNREFUSED&gt; &amp; more');
  });

  it('keeps the order of notifications', async () => {
    const s = createSink();
    for (let i = 0; i < 5; i += 1) s.deliver(unreachable(`#${i}`));
    const messages = await telegram.waitForMessages(5);
    expect(messages.map((m) => m.text.split(': ')[1])).toEqual(['#0', '#1', '#2', '#3', '#4']);
  });

  it('waits exactly retry_after seconds after a 429 before trying again', async () => {
    telegram.failNext(1, { status: 429, retryAfter: 7 });
    createSink().deliver(complete);
    await retryScheduled();
    expect(captured.records().find((r) => r.level === 'warn')).toMatchObject({
      retryInMs: 7000,
      error: 'Telegram answered 429: Too Many Requests: retry after 7',
    });
    clock.advance(6999);
    expect(telegram.calls).toHaveLength(1);
    clock.advance(1);
    await telegram.waitForMessages(1);
    expect(telegram.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('returns from deliver at once while Telegram is down, and delivers after it comes back', async () => {
    await telegram.setDown(true);
    const s = createSink();
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) s.deliver(unreachable(`#${i}`));
    expect(performance.now() - started).toBeLessThan(50);
    await retryScheduled();
    await telegram.setDown(false);
    clock.advance(1000);
    const messages = await telegram.waitForMessages(20);
    expect(messages[0]?.text).toContain('#0');
    const warning = captured.records().find((r) => r.level === 'warn');
    expect(String(warning?.error)).toMatch(/^network error: .*ECONNREFUSED/);
    expect(String(warning?.error)).toContain('[REDACTED]');
  });

  it('backs off exponentially and gives up after maxAttempts with a logged error', async () => {
    telegram.failNext(3, { status: 502 });
    createSink({ maxAttempts: 3, retryBaseMs: 100 }).deliver(complete);
    await retryScheduled();
    clock.advance(100);
    await waitFor(() => telegram.calls.length === 2 && clock.pending === 1, { description: 'the second attempt' });
    clock.advance(199);
    expect(telegram.calls).toHaveLength(2);
    clock.advance(1);
    await waitFor(() => captured.records().some((r) => r.level === 'error'), { description: 'the give-up line' });
    expect(captured.records().filter((r) => r.level === 'error')).toEqual([
      expect.objectContaining({
        msg: 'telegram notification given up',
        event: 'failover-complete',
        attempts: 3,
        error: 'Telegram answered 502: Internal Server Error',
      }),
    ]);
    expect(telegram.messages).toEqual([]);
    expect(sink?.stats?.()).toEqual({ queued: 0, delivered: 0, failed: 1, dropped: 0, failedAttempts: 3 });
  });

  it('gives up at once on an error retrying cannot fix', async () => {
    const s = createSink({ token: '7000000001:AAwrong-token' });
    s.deliver(complete);
    await waitFor(() => captured.records().some((r) => r.level === 'error'), { description: 'the give-up line' });
    expect(telegram.calls.map((c) => c.status)).toEqual([401]);
    expect(captured.lines().join('\n')).not.toContain('AAwrong-token');
  });

  it('drops the oldest non-critical notification when the queue is full, and says so', async () => {
    telegram.failNext(1, { status: 500 });
    const s = createSink({ queueSize: 2 });
    s.deliver(unreachable('in flight'));
    await retryScheduled();
    s.deliver(status);
    s.deliver(unreachable('critical 1'));
    s.deliver(unreachable('critical 2'));
    clock.advance(1000);
    const messages = await telegram.waitForMessages(3);
    expect(messages.map((m) => m.text.split('\n')[1])).toEqual([
      'timeout: in flight',
      'timeout: critical 1',
      'timeout: critical 2',
    ]);
    expect(captured.records()).toContainEqual(
      expect.objectContaining({
        msg: 'telegram queue full; dropped the oldest notification',
        event: 'status-report',
        critical: false,
      }),
    );
    await s.flush(3000);
    expect(s.stats?.()).toEqual({ queued: 0, delivered: 3, failed: 0, dropped: 1, failedAttempts: 1 });
  });

  it('flush resolves once the queue is delivered', async () => {
    const s = createSink();
    s.deliver(complete);
    s.deliver(status);
    await s.flush(3000);
    expect(telegram.messages).toHaveLength(2);
  });

  it('close drops what is still queued, logs how much, and sends nothing more', async () => {
    await telegram.setDown(true);
    const s = createSink();
    s.deliver(complete);
    s.deliver(status);
    await retryScheduled();
    // The message waiting for its retry counts as queued.
    expect(s.stats?.()).toEqual({ queued: 2, delivered: 0, failed: 0, dropped: 0, failedAttempts: 1 });
    await s.close();
    await telegram.setDown(false);
    s.deliver(complete);
    clock.advance(60_000);
    expect(clock.pending).toBe(0);
    expect(captured.records()).toContainEqual(
      expect.objectContaining({ msg: 'telegram sink closed with undelivered notifications', dropped: 1 }),
    );
    expect(telegram.messages).toEqual([]);
    // The one waiting in the queue and the one waiting for its retry.
    expect(s.stats?.()).toMatchObject({ queued: 0, delivered: 0, dropped: 2 });
  });

  it.each([
    [
      'a token without the bot id',
      { token: 'secret-without-id' },
      'FAILOVER_NOTIFIER_OPTION: telegram token must look like',
    ],
    ['an empty chat id', { chatId: ' ' }, 'FAILOVER_NOTIFIER_OPTION: telegram chat id must not be empty'],
    [
      'a zero queue',
      { queueSize: 0 },
      'FAILOVER_NOTIFIER_OPTION: telegram queueSize must be a positive integer, got 0',
    ],
  ])('refuses %s, without echoing the token', (_name, overrides, message) => {
    const error: unknown = (() => {
      try {
        createSink(overrides);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NotifierOptionError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('secret-without-id');
  });
});
