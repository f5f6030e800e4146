import { PassThrough } from 'node:stream';
import { createLogger } from '@failover/notifier';
import { resolveManagerConfigFile } from '@failover/protocol';
import type { RecordedMessage } from '@failover/testkit';
import { createBotCommands } from '../src/bot-commands';
import { fetchControlStatus, requestSwitchover, type ControlTarget } from '../src/control-client';
import { startRig, type Rig } from './support/failover-rig';

// The real manager, real agents and simulator, and the fake Bot API serving getUpdates.
jest.setTimeout(180_000);

/** The chat the rig's manager notifies (`telegram_chat_id`). */
const ALLOWED_CHAT = -1001234;
const OTHER_CHAT = 5550001;

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Starts the manager in-process and waits until it sees validator1 active. */
async function startWatching(r: Rig): Promise<ControlTarget> {
  await r.startManager();
  const control = await r.control();
  await r.cluster.waitFor(
    'the manager to see v1 active',
    async () => (await fetchControlStatus(control).catch(() => undefined))?.active === 'validator1' || undefined,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return control;
}

/** Sends `text` from `chatId` and waits for the bot's answer in `answerChat`. */
async function ask(r: Rig, chatId: number, text: string, timeoutMs = 30_000): Promise<RecordedMessage> {
  const before = r.telegram.messages.length;
  r.telegram.sendUpdate({ chatId, text });
  return r.cluster.waitFor(
    `an answer to ${text} in chat ${chatId}`,
    async () =>
      r.telegram.messages.slice(before).find((m) => Number(m.chat_id) === chatId && m.text.startsWith('<pre>')),
    { timeoutMs, intervalMs: 50 },
  );
}

describe('Telegram commands against the real manager', () => {
  it('answers /status and /history in the allowed chat, and nothing to any other chat', async () => {
    rig = await startRig();
    const r = rig;
    const control = await startWatching(r);

    const status = await ask(r, ALLOWED_CHAT, '/status');
    expect(status.parse_mode).toBe('HTML');
    expect(status.text).toMatch(/^<pre>NODE +ROLE/);
    expect(status.text).toContain('validator1');
    expect(status.text).toContain('active: validator1');

    for await (const line of requestSwitchover(control, { reason: 'kernel upgrade', wait_for_leader_gap_slots: 0 }))
      if (line.type === 'done') expect(line.outcome).toBe('completed');
    await r.cluster.waitFor(
      'the switchover to complete',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const history = await ask(r, ALLOWED_CHAT, '/history@failover_test_bot');
    expect(history.text).toContain('switchover validator1 → validator2');
    expect(history.text).toContain('reason: planned switchover: kernel upgrade');
    expect(history.text).toContain('completed in');

    // Updates are handled in order: once the allowed chat's answer is in, the other was dropped.
    r.telegram.sendUpdate({ chatId: OTHER_CHAT, text: '/status hunter2-not-for-logs' });
    await ask(r, ALLOWED_CHAT, '/status');
    expect(r.telegram.messages.filter((m) => Number(m.chat_id) === OTHER_CHAT)).toEqual([]);
    const log = r.managerLog.join('\n');
    expect(log).toContain('telegram message from a chat that is not allowed; ignored');
    expect(log).toContain(String(OTHER_CHAT));
    expect(log).not.toContain('hunter2');
    expect(log).not.toContain(r.telegram.token);
  });

  it('keeps monitoring while Telegram is down, and answers again once it is back', async () => {
    rig = await startRig();
    const r = rig;
    const control = await startWatching(r);
    await r.telegram.setDown(true);
    const [v1] = r.cluster.validators;
    // The monitor goes on: a crash of the active is still seen and failed over.
    await v1!.crash();
    await r.cluster.waitFor(
      'the manager to fail over to validator2 with Telegram down',
      async () => (await fetchControlStatus(control).catch(() => undefined))?.active === 'validator2' || undefined,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(await r.cluster.judge.violations()).toEqual([]);

    await r.telegram.setDown(false);
    // The polls back off while Telegram is down (up to a minute between two).
    const status = await ask(r, ALLOWED_CHAT, '/status', 90_000);
    expect(status.text).toContain('active: validator2');
  });
});

describe('createBotCommands', () => {
  const base = {
    validator1: { endpoint: 'http://127.0.0.1:1' },
    validator2: { endpoint: 'http://127.0.0.1:2' },
    telegram_bot_token: '7000000001:AAtoken',
    telegram_chat_id: '-1001234',
  };
  const commandsOf = (raw: Record<string, unknown>) => {
    const resolved = resolveManagerConfigFile({ raw, env: {} });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    return createBotCommands({
      config: resolved.config,
      logger: createLogger({ stream: new PassThrough() }),
      status: () => {
        throw new Error('not asked');
      },
      journalFile: undefined,
      leads: () => true,
    });
  };

  it('is on whenever Telegram is configured, and off with telegram_commands: false or without Telegram', () => {
    expect(commandsOf(base)).toBeDefined();
    expect(commandsOf({ ...base, telegram_commands: false })).toBeUndefined();
    const { telegram_bot_token: _token, telegram_chat_id: _chat, ...withoutTelegram } = base;
    expect(commandsOf(withoutTelegram)).toBeUndefined();
  });
});
