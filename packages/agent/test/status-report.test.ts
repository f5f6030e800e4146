import { SimulatedClock } from '@failover/core/testing';
import type { ProcessSnapshot } from '../src/process-probe';
import { buildStatus } from '../src/status-report';
import type { TowerKeeper, TowerState } from '../src/tower-keeper';
import type { SampleView, ValidatorSample } from '../src/validator-sampler';

const NOW = 1_700_000_000_000;
const RPC = 'http://127.0.0.1:8899';

function sample(process: ProcessSnapshot | Error, overrides: Partial<ValidatorSample> = {}): ValidatorSample {
  return {
    startedAt: NOW - 300,
    finishedAt: NOW - 250,
    process:
      process instanceof Error
        ? { ok: false, error: `process probe failed: ${process.message}` }
        : { ok: true, snapshot: process },
    health: { ok: true, value: true, endpoint: RPC },
    slot: { ok: true, value: 900, endpoint: RPC },
    identity: { ok: true, value: 'Ident', endpoint: RPC },
    ...overrides,
  };
}

function sources(view: SampleView, tower: Partial<TowerState> = {}) {
  const state: TowerState = { lastBackup: null, lastBackupAt: null, lastError: null, store: 'directory /x', ...tower };
  return {
    sampler: {
      view: () => view,
      start: async () => undefined,
      refresh: async () => undefined,
      stop: async () => undefined,
    },
    keeper: { state: () => state } as unknown as TowerKeeper,
    role: () => 'active' as const,
    dryRun: false,
    agentVersion: '0.1.0',
    clock: new SimulatedClock(NOW),
  };
}

const fresh = (s: ValidatorSample): SampleView => ({ sample: s, ageMs: 250, overdue: null });
const healthy: ProcessSnapshot = { running: true, pids: [1], uptimeSeconds: 100, recentRestarts: 0, crashLoop: false };

describe('status answer', () => {
  it('answers from the latest probe, with its age', () => {
    expect(buildStatus(sources(fresh(sample(healthy))))).toMatchObject({
      process_running: true,
      is_healthy: true,
      validator_slot: 900,
      identity_pubkey: 'Ident',
      probe_age_ms: 250,
    });
  });

  it("reports the validator's Alpenglow genesis, null when it has not migrated or predates getAgGenesisCert", () => {
    const genesis = (result: ValidatorSample['genesis']) =>
      buildStatus(sources(fresh(sample(healthy, result === undefined ? {} : { genesis: result })))).ag_genesis_cert;
    expect(genesis({ ok: true, value: { slot: 7000, blockId: 'Block1' }, endpoint: RPC })).toEqual({
      slot: 7000,
      block_id: 'Block1',
    });
    expect(genesis({ ok: true, value: null, endpoint: RPC })).toBeNull();
    expect(
      genesis({ ok: false, reason: 'rpc_error', message: 'Method not found', code: -32601, endpoint: RPC }),
    ).toBeNull();
    expect(genesis({ ok: false, reason: 'timeout', message: 'no answer', endpoint: RPC })).toBeUndefined();
    expect(genesis(undefined)).toBeUndefined();
  });

  it('marks a crash-looping validator unhealthy and says why', () => {
    const status = buildStatus(
      sources(fresh(sample({ ...healthy, uptimeSeconds: 3, recentRestarts: 3, crashLoop: true }))),
    );
    expect(status).toMatchObject({
      process_running: true,
      process_healthy: false,
      error: 'validator restarted 3 times recently (crash loop)',
    });
  });

  it('says when the agent saw the validator exit, only beside a process that is not running', () => {
    const down = sample({ running: false, pids: [], uptimeSeconds: 0, recentRestarts: 0, crashLoop: false });
    const exitedAt = NOW - 40;
    expect(buildStatus({ ...sources(fresh(down)), exitedAt: () => exitedAt })).toMatchObject({
      process_running: false,
      process_exited_at: exitedAt,
    });
    expect(buildStatus({ ...sources(fresh(down)), exitedAt: () => null })).not.toHaveProperty('process_exited_at');
    // A probe that found it running again outranks an exit not yet cleared.
    expect(buildStatus({ ...sources(fresh(sample(healthy))), exitedAt: () => exitedAt })).not.toHaveProperty(
      'process_exited_at',
    );
  });

  it('reports a probe failure as not running, and still answers', () => {
    const status = buildStatus(sources(fresh(sample(new Error('EACCES /proc')))));
    expect(status).toMatchObject({
      process_running: false,
      process_healthy: false,
      validator_slot: 900,
      error: 'process probe failed: EACCES /proc',
    });
  });

  it('names each RPC call that failed in the probe', () => {
    const failed = sample(healthy, {
      health: { ok: false, reason: 'timeout', message: 'no answer within 1000 ms', endpoint: RPC },
      identity: { ok: false, reason: 'timeout', message: 'no answer within 1000 ms', endpoint: RPC },
    });
    const status = buildStatus(sources(fresh(failed)));
    expect(status).toMatchObject({
      is_healthy: false,
      error: 'getHealth: no answer within 1000 ms; getIdentity: no answer within 1000 ms',
    });
    expect(status.identity_pubkey).toBeUndefined();
  });

  it('drops the RPC readings of an overdue probe and calls the RPC unhealthy', () => {
    const status = buildStatus(
      sources({ sample: sample(healthy), ageMs: 1_800, overdue: 'local RPC did not answer within 1400 ms' }),
    );
    expect(status).toMatchObject({
      process_running: true,
      is_healthy: false,
      validator_slot: 0,
      probe_age_ms: 1_800,
      error: 'local RPC did not answer within 1400 ms',
    });
    expect(status.identity_pubkey).toBeUndefined();
  });

  it('answers before the first probe finished, as unhealthy', () => {
    const status = buildStatus(
      sources({ sample: null, ageMs: null, overdue: 'no probe of the validator has finished yet' }),
    );
    expect(status).toMatchObject({
      process_running: false,
      is_healthy: false,
      error: 'no probe of the validator has finished yet',
    });
    expect(status.probe_age_ms).toBeUndefined();
  });

  it('reports the last backup and a backup failure since', () => {
    const status = buildStatus(
      sources(fresh(sample(healthy)), {
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

  it('reports the vote history beside the tower, and its backup failure', () => {
    const backup = { fileName: 'v.bin', sha256: 'b'.repeat(64), lastVotedSlot: 884, source: 's', takenAt: '' };
    const voteHistory: TowerState = {
      lastBackup: backup,
      lastBackupAt: 1_699_999_995_000,
      lastError: { message: 'not signed by the identity', at: NOW },
      store: 'directory /x',
    };
    expect(buildStatus(sources(fresh(sample(healthy)), { voteHistory }))).toMatchObject({
      vote_history: { newest_slot: 884, sha256: 'b'.repeat(64), backed_up_at: 1_699_999_995 },
      error: 'vote history backup failed: not signed by the identity',
    });
    expect(buildStatus(sources(fresh(sample(healthy))))).not.toHaveProperty('vote_history');
  });

  it("says a demotion's final tower backup is pending, instead of a bare backup failure, until it lands (F4)", () => {
    const lastError = { message: 'etcd unavailable', at: NOW };
    const status = buildStatus({
      ...sources(fresh(sample(healthy)), { lastError }),
      pendingFinalBackup: () => 'final tower backup pending: etcd unavailable',
    });
    expect(status.error).toBe('final tower backup pending: etcd unavailable');
  });

  it('names the tower a step-down kept aside, and how to put it back', () => {
    const files = ['/ledger/tower-1_9-X.bin.fenced-20231114T221310000Z'];
    const status = buildStatus(sources(fresh(sample(healthy)), { keptAside: { files, reason: 'fenced', at: NOW } }));
    expect(status.error).toBe(
      `the step-down (fenced) at ${new Date(NOW).toISOString()} kept the tower aside as ${files[0]}; ` +
        'to restore it, rename it back without the suffix while this node is passive and promote this node (docs/safety.md)',
    );
    expect(status.is_healthy).toBe(true);
  });
});
