import type { Role } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import { createFinalBackupRetry } from '../src/final-backup-retry';
import type { BackupReport, TowerKeeper } from '../src/tower-keeper';
import { recordingLogger } from './support/recording-logger';

const unavailable: BackupReport = { status: 'failed', reason: 'unavailable', error: 'etcd has no quorum' };
const stored = {
  status: 'stored',
  meta: { fileName: 't', sha256: 'x', lastVotedSlot: 9, source: 's', takenAt: '' },
} as const;

/** A keeper whose quiet backups answer from `answers` in turn; the tower file is a flag. */
function fakeKeeper(answers: BackupReport[], clock: SimulatedClock) {
  const attempts: number[] = [];
  let fileExists = true;
  const keeper = {
    finalBackup: async (quiet?: boolean) => {
      attempts.push(quiet === true ? clock.now() : -1);
      return answers.shift() ?? unavailable;
    },
    removeTowerFile: async () => {
      fileExists = false;
      return { ok: true };
    },
  } as unknown as TowerKeeper;
  return { keeper, attempts, fileExists: () => fileExists };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

function setup(answers: BackupReport[], role: { now: Role } = { now: 'passive' }) {
  const clock = new SimulatedClock();
  const logger = recordingLogger();
  const { keeper, attempts, fileExists } = fakeKeeper(answers, clock);
  const retry = createFinalBackupRetry({ keeper, role: () => role.now, clock, logger });
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 500) {
      clock.advance(500);
      await settle();
    }
  };
  return { retry, run, attempts, logger, fileExists, role };
}

describe('final tower backup retry (F4)', () => {
  it('retries with a pause growing from 1 s to 5 s, then removes the tower file once the backup lands', async () => {
    const s = setup([unavailable, unavailable, unavailable, unavailable, stored]);
    s.retry.begin('etcd has no quorum');
    expect(s.retry.pending()).toBe('final tower backup pending: etcd has no quorum');
    await s.run(30_000);
    expect(s.attempts).toEqual([1_000, 3_000, 7_000, 12_000, 17_000]);
    expect(s.fileExists()).toBe(false);
    expect(s.retry.pending()).toBeNull();
  });

  it('logs the pending backup and its outcome once each, not every failed retry', async () => {
    const s = setup([unavailable, unavailable, unavailable, stored]);
    s.retry.begin('etcd has no quorum');
    await s.run(20_000);
    const said = s.logger.entries.filter((e) => e.level !== 'debug').map((e) => e.message);
    expect(said).toEqual([
      'final tower backup failed (etcd has no quorum); the tower file is kept and the backup is retried while passive',
      'final tower backup landed; tower file removed',
    ]);
  });

  it('stops and keeps the tower file when the store refuses the backup as fenced', async () => {
    const s = setup([unavailable, { status: 'failed', reason: 'fenced', error: 'another holder wrote revision 7' }]);
    s.retry.begin('etcd has no quorum');
    await s.run(20_000);
    expect(s.attempts).toHaveLength(2);
    expect(s.fileExists()).toBe(true);
    expect(s.retry.pending()).toBeNull();
    expect(s.logger.text()).toContain('refused as fenced');
  });

  it.each([['active'], ['activating'], ['unconfirmed']] as const)(
    'stops without removing the tower file once the role is %s',
    async (now) => {
      const s = setup([stored]);
      s.retry.begin('etcd has no quorum');
      s.role.now = now;
      await s.run(5_000);
      expect(s.attempts).toEqual([]);
      expect(s.fileExists()).toBe(true);
      expect(s.retry.pending()).toBeNull();
    },
  );

  it('waits while the demotion that failed its backup is still finishing', async () => {
    const s = setup([stored], { now: 'deactivating' });
    s.retry.begin('etcd has no quorum');
    await s.run(3_000);
    expect(s.attempts).toEqual([]);
    s.role.now = 'passive';
    await s.run(1_000);
    expect(s.attempts).toEqual([4_000]);
    expect(s.fileExists()).toBe(false);
  });

  it('retries nothing after cancel', async () => {
    const s = setup([stored]);
    s.retry.begin('etcd has no quorum');
    s.retry.cancel();
    await s.run(10_000);
    expect(s.attempts).toEqual([]);
    expect(s.fileExists()).toBe(true);
  });
});
