import type { ProcessSnapshot } from '../src/process-probe';
import { buildStatus } from '../src/status-report';
import type { TowerKeeper, TowerState } from '../src/tower-keeper';
import type { LocalRpc } from '../src/validator-rpc';

const rpc: LocalRpc = {
  getHealth: async () => ({ ok: true, value: true }),
  getSlot: async () => ({ ok: true, value: 900 }),
  getIdentity: async () => ({ ok: true, value: 'Ident' }),
  getVersion: async () => ({ ok: true, value: '2.3.0' }),
};

function sources(snapshot: ProcessSnapshot | Error, tower: Partial<TowerState> = {}) {
  const state: TowerState = { lastBackup: null, lastBackupAt: null, lastError: null, store: 'directory /x', ...tower };
  return {
    probe: { probe: async () => (snapshot instanceof Error ? Promise.reject(snapshot) : snapshot) },
    localRpc: rpc,
    keeper: { state: () => state } as unknown as TowerKeeper,
    role: () => 'active' as const,
    dryRun: false,
    agentVersion: '0.1.0',
    now: () => 1_700_000_000_000,
  };
}

const healthy: ProcessSnapshot = { running: true, pids: [1], uptimeSeconds: 100, recentRestarts: 0, crashLoop: false };

describe('status answer', () => {
  it('marks a crash-looping validator unhealthy and says why', async () => {
    const status = await buildStatus(sources({ ...healthy, uptimeSeconds: 3, recentRestarts: 3, crashLoop: true }));
    expect(status).toMatchObject({ process_running: true, process_healthy: false, error: 'validator restarted 3 times recently (crash loop)' });
  });

  it('reports a probe failure as not running, and still answers', async () => {
    const status = await buildStatus(sources(new Error('EACCES /proc')));
    expect(status).toMatchObject({ process_running: false, process_healthy: false, validator_slot: 900, error: 'process probe failed: EACCES /proc' });
  });

  it('reports the last backup and a backup failure since', async () => {
    const status = await buildStatus(
      sources(healthy, {
        lastBackup: { fileName: 't.bin', sha256: 'a'.repeat(64), lastVotedSlot: 880, source: 's', takenAt: '' },
        lastBackupAt: 1_699_999_990_000,
        lastError: { message: 'etcd unavailable', at: 1_699_999_999_000 },
      }),
    );
    expect(status).toMatchObject({
      last_tower_backup: 1_699_999_990,
      tower: { last_vote_slot: 880, sha256: 'a'.repeat(64), backed_up_at: 1_699_999_990 },
      error: 'tower backup failed: etcd unavailable',
      timestamp: 1_700_000_000,
    });
  });
});
