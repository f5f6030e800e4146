import { systemClock } from '@failover/protocol';
import { waitFor } from '@failover/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTowerWatcher, type TowerWatcher } from '../src/tower-watcher';
import { recordingLogger } from './support/recording-logger';

let dir: string;
let watcher: TowerWatcher | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'failover-watcher-'));
});

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('the tower watcher', () => {
  it('backs the tower up when it changes while active', async () => {
    const towerFile = path.join(dir, 'tower-1_9-X.bin');
    let backups = 0;
    watcher = createTowerWatcher({
      towerFile,
      isActive: () => true,
      backup: async () => void (backups += 1),
      clock: systemClock,
      logger: recordingLogger(),
      pollMs: 20,
    });
    watcher.start();
    writeFileSync(towerFile, 'votes');
    await waitFor(() => backups > 0, { description: 'a backup after the tower changed' });
  });

  // Regression: a backup that threw was swallowed without a word, leaving the newest votes out of the store.
  it('logs an error when a backup throws instead of swallowing it', async () => {
    const towerFile = path.join(dir, 'tower-1_9-X.bin');
    const logger = recordingLogger();
    watcher = createTowerWatcher({
      towerFile,
      isActive: () => true,
      backup: () => Promise.reject(new Error('store exploded')),
      clock: systemClock,
      logger,
      pollMs: 20,
    });
    watcher.start();
    writeFileSync(towerFile, 'votes');
    await waitFor(
      () => logger.entries.some((e) => e.level === 'error' && JSON.stringify(e.fields).includes('store exploded')),
      { description: 'the error logged' },
    );
  });
});
