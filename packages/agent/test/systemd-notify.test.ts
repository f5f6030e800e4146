import { tempDir, waitFor, type TempDir } from '@failover/testkit';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServiceNotifier } from '../src/systemd-notify';
import { recordingLogger } from './support/recording-logger';

let dir: TempDir;
let sent: string;
let binary: string;

beforeEach(() => {
  dir = tempDir('agent-notify');
  sent = path.join(dir.path, 'sent');
  // Stands in for systemd-notify: records each message with the socket it was sent to.
  binary = path.join(dir.path, 'notify');
  writeFileSync(binary, `#!/bin/sh\necho "$NOTIFY_SOCKET $1" >> ${sent}\n`);
  chmodSync(binary, 0o755);
});
afterEach(() => dir.remove());

const lines = (): string[] => (existsSync(sent) ? readFileSync(sent, 'utf8').trim().split('\n') : []);

describe('createServiceNotifier', () => {
  it('does nothing outside a notify service', async () => {
    const notifier = createServiceNotifier({ env: {}, logger: recordingLogger(), binary });
    notifier.ready();
    notifier.alive();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines()).toEqual([]);
  });

  it('says READY=1, then WATCHDOG=1 at most every third of WATCHDOG_USEC', async () => {
    let now = 0;
    const notifier = createServiceNotifier({
      env: { NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '3000000' },
      logger: recordingLogger(),
      binary,
      now: () => now,
    });
    notifier.ready();
    await waitFor(() => lines().length === 1, { description: 'READY=1', timeoutMs: 5_000 });
    now = 500;
    notifier.alive();
    now = 1_000;
    // Asked every poll: a ping is skipped while the previous notifier run has not ended.
    await waitFor(
      () => {
        notifier.alive();
        return lines().length === 2;
      },
      { description: 'one WATCHDOG=1', timeoutMs: 5_000 },
    );
    now = 1_500;
    notifier.alive();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines()).toEqual(['/run/notify READY=1', '/run/notify WATCHDOG=1']);
  });

  it('feeds no watchdog that is meant for another process', async () => {
    let now = 0;
    const notifier = createServiceNotifier({
      env: { NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '3000000', WATCHDOG_PID: '1' },
      logger: recordingLogger(),
      binary,
      now: () => now,
      pid: 4242,
    });
    now = 10_000;
    notifier.alive();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines()).toEqual([]);
  });

  it('logs once when the notifier cannot run', async () => {
    const logger = recordingLogger();
    const notifier = createServiceNotifier({
      env: { NOTIFY_SOCKET: '/run/notify' },
      logger,
      binary: path.join(dir.path, 'missing'),
    });
    notifier.ready();
    await waitFor(() => logger.entries.length > 0, { description: 'the failure logged', timeoutMs: 5_000 });
    expect(logger.entries[0]).toMatchObject({ level: 'error', message: expect.stringContaining('READY=1 failed') });
  });
});
