import type { FailoverEvent } from '@failover/core';
import { startFakeTelegram } from '@failover/testkit';
import { createNotifier, createTelegramSink } from '@failover/notifier';
import type { NotificationSink } from '@failover/notifier';
import { captureLogger } from './support/capture';
import { everyEvent } from './support/events';

const levels: Array<[FailoverEvent['type'], string]> = [
  ['started', 'info'],
  ['stopped', 'info'],
  ['failover-started', 'warn'],
  ['failover-complete', 'info'],
  ['failover-failed', 'error'],
  ['rolled-back', 'error'],
  ['blocked', 'warn'],
  ['unblocked', 'info'],
  ['unreachable', 'warn'],
  ['back-online', 'info'],
  ['status-report', 'info'],
  ['activated', 'info'],
  ['failover-resumed', 'warn'],
  ['deposed', 'error'],
  ['other-manager', 'error'],
  ['node-name-conflict', 'error'],
  ['paused', 'warn'],
  ['resumed', 'info'],
];

describe('createNotifier', () => {
  it.each(levels)('logs a %s event as one %s line with its fields and wording', (type, level) => {
    const { logger, records } = captureLogger();
    const event = everyEvent.find((e) => e.type === type)!;
    createNotifier({ logger }).notify(event);
    const lines = records();
    expect(lines).toHaveLength(1);
    const { type: _type, ...fields } = event;
    expect(lines[0]).toMatchObject({ level, event: type, component: 'notifier', at: fields.at });
    expect(typeof lines[0]?.msg).toBe('string');
  });

  it('words the log line like the message, without markup', () => {
    const { logger, records } = captureLogger();
    createNotifier({ logger }).notify(everyEvent.find((e) => e.type === 'unreachable')!);
    expect(records()[0]?.msg).toBe('validator1 unreachable; timeout: no answer in 5s');
  });

  it('never throws into the caller when a sink throws, and logs the failure', async () => {
    const { logger, records } = captureLogger();
    const broken: NotificationSink = {
      name: 'broken',
      deliver: () => {
        throw new Error('sink exploded');
      },
      flush: () => Promise.reject(new Error('flush exploded')),
      close: () => Promise.resolve(),
    };
    const notifier = createNotifier({ logger, sinks: [broken] });
    expect(() => notifier.notify(everyEvent[0]!)).not.toThrow();
    await expect(notifier.flush(100)).resolves.toBeUndefined();
    expect(
      records()
        .filter((r) => r.level === 'error')
        .map((r) => r.msg),
    ).toEqual(['notification sink broken failed to accept an event', 'notification sink broken failed to flush']);
  });

  it('fans out to Telegram and flush waits for delivery', async () => {
    const telegram = await startFakeTelegram();
    const { logger, lines } = captureLogger();
    const notifier = createNotifier({
      logger,
      sinks: [createTelegramSink({ token: telegram.token, chatId: 42, apiRoot: telegram.apiRoot, logger })],
    });
    try {
      for (const event of everyEvent) notifier.notify(event);
      await notifier.flush(5000);
      expect(telegram.messages).toHaveLength(everyEvent.length);
      expect(lines()).toHaveLength(everyEvent.length);
    } finally {
      await notifier.close();
      await telegram.stop();
    }
  });
});
