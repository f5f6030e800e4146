import {
  advanceSequence,
  becomePassiveSteps,
  demoteStrayIdentitySteps,
  startSequence,
  type AgentAction,
  type PlanStep,
  type SequenceOutcome,
} from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { RpcResult } from '@failover/protocol';
import type { CommandRunner } from '../src/command-runner';
import { createStepExecutor } from '../src/role-steps';
import type { FinalBackupRetry } from '../src/final-backup-retry';
import type { BackupReport, TowerKeeper } from '../src/tower-keeper';
import { recordingLogger } from './support/recording-logger';

const STAKED = 'Stake11111111111111111111111111111111111111';
const RPC = 'http://127.0.0.1:8899';
const step = (kind: AgentAction['kind']): PlanStep<AgentAction> => ({
  action: { kind } as AgentAction,
  attempts: 1,
  timeoutMs: 1_000,
  onFailure: 'stop',
  why: '',
});

interface ExecutorOptions {
  identity?: RpcResult<string>;
  exitCode?: number;
  dryRun?: boolean;
  commands?: Record<string, string>;
  running?: boolean;
  symlinkPubkey?: string | null;
  restore?: TowerKeeper['restore'];
  /** What the process probe does; overrides `running`. */
  probe?: () => Promise<{ running: boolean }>;
  /** What each final backup attempt reports, in turn. @default no-tower */
  finalBackups?: BackupReport[];
  /** `validator_restart_command` ends only when this settles. @default at once */
  restartGate?: Promise<void>;
}

function executor(options: ExecutorOptions) {
  const ran: Array<[string, string]> = [];
  const tower = { exists: true, keptAside: [] as string[], retries: [] as string[], cancels: 0 };
  const finalBackupRetry = {
    begin: (reason: string) => tower.retries.push(reason),
    cancel: () => (tower.cancels += 1),
  } as unknown as FinalBackupRetry;
  const runner: CommandRunner = {
    run: async (label, template) => {
      ran.push([label, template]);
      if (label === 'validator_restart_command') await options.restartGate;
      const exitCode = options.exitCode ?? 0;
      return {
        ok: exitCode === 0,
        exitCode,
        stdout: '',
        stderr: exitCode ? 'boom' : '',
        durationMs: 1,
        timedOut: false,
        dryRun: false,
        command: template,
      };
    },
  };
  const keeper = {
    finalBackup: async (): Promise<BackupReport> => options.finalBackups?.shift() ?? { status: 'no-tower' },
    removeTowerFile: async () => {
      tower.exists = false;
      return { ok: true };
    },
    setAsideTowerFile: async (reason: string) => {
      tower.exists = false;
      tower.keptAside.push(reason);
      return { ok: true, keptAs: [`/ledger/tower.bin.${reason}-20261203T000000000Z`] };
    },
    restore: options.restore ?? (async () => ({ ok: false as const, code: 'FAILOVER_TOWER_NO_BACKUP', error: 'none' })),
  } as unknown as TowerKeeper;
  const logger = recordingLogger();
  const run = createStepExecutor({
    commands: options.commands ?? {
      identityChange: 'set-identity staked',
      identityRemove: 'set-identity unstaked',
      validatorRestart: 'restart',
      passiveIdentitySymlink: 'link unstaked',
    },
    runner,
    keeper,
    stakedIdentity: STAKED,
    node: 'validator-a',
    currentIdentity: async () => options.identity ?? { ok: true, value: STAKED, endpoint: RPC },
    probe: {
      probe: async () => {
        const { running } = options.probe ? await options.probe() : { running: options.running ?? true };
        return { running, pids: [], uptimeSeconds: 0, recentRestarts: 0, crashLoop: false };
      },
    },
    symlinkPubkey: async () => options.symlinkPubkey ?? null,
    finalBackupRetry,
    dryRun: options.dryRun ?? false,
    clock: new SimulatedClock(),
    logger,
    confirmBackoffMs: 0,
  });
  return { run, ran, tower, logger };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

async function demote(run: ReturnType<typeof executor>['run']): Promise<SequenceOutcome<AgentAction>> {
  let next = startSequence(becomePassiveSteps());
  while (next.kind === 'run') next = advanceSequence(next.run, await run(next.run.current, next.run.attempt));
  return next.result;
}

describe('role-change steps', () => {
  it.each([
    ['set-identity', 'identity_change_command', 'set-identity staked'],
    ['remove-identity', 'identity_remove_command', 'set-identity unstaked'],
  ] as const)('%s runs %s', async (kind, label, template) => {
    const { run, ran } = executor({});
    await expect(run(step(kind), 1)).resolves.toEqual({ ok: true });
    expect(ran).toEqual([[label, template]]);
  });

  it('reports a failing command with its exit code and stderr', async () => {
    const { run } = executor({ exitCode: 2 });
    await expect(run(step('set-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: 'identity_change_command exited with 2: boom',
    });
  });

  it('skips an unconfigured symlink command but fails an unconfigured identity command', async () => {
    const { run } = executor({ commands: {} });
    await expect(run(step('active-symlink'), 1)).resolves.toEqual({ ok: true });
    await expect(run(step('remove-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: 'identity_remove_command is not configured',
    });
  });

  it.each([
    ['confirm-identity', STAKED, true],
    ['confirm-identity', 'Other1111111111111111111111111111111111111', false],
    ['confirm-unstaked', 'Other1111111111111111111111111111111111111', true],
    ['confirm-unstaked', STAKED, false],
  ] as const)('%s with the validator on %s: ok is %s', async (kind, value, ok) => {
    const { run } = executor({ identity: { ok: true, value, endpoint: RPC } });
    await expect(run(step(kind), 1)).resolves.toMatchObject({ ok });
  });

  it('cannot confirm anything while the RPC is down', async () => {
    const { run } = executor({ identity: { ok: false, reason: 'timeout', message: 'no answer', endpoint: RPC } });
    await expect(run(step('confirm-unstaked'), 1)).resolves.toMatchObject({
      ok: false,
      detail: expect.stringContaining('no answer'),
    });
  });

  // Regression: a crashed validator cannot answer getIdentity, so its demotion failed and the failover aborted.
  it('confirms the demotion of a validator that is down when the identity symlink names an unstaked keypair', async () => {
    const { run } = executor({
      identity: { ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC },
      running: false,
      symlinkPubkey: 'Other1111111111111111111111111111111111111',
    });
    await expect(run(step('confirm-unstaked'), 1)).resolves.toEqual({ ok: true });
  });

  it.each([
    ['the validator runs', { running: true, symlinkPubkey: 'Other1111111111111111111111111111111111111' }],
    ['the symlink names the staked keypair', { running: false, symlinkPubkey: STAKED }],
    ['the symlink cannot be read', { running: false, symlinkPubkey: null }],
  ] as const)('does not confirm a silent validator when %s', async (_name, evidence) => {
    const { run } = executor({
      identity: { ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC },
      ...evidence,
    });
    await expect(run(step('confirm-unstaked'), 1)).resolves.toMatchObject({ ok: false });
  });

  it('passes min_tower_slot to the restore and hands a stale refusal back with its slots', async () => {
    const floors: Array<number | undefined> = [];
    const towerStale = { minTowerSlot: 900, towerLastVoteSlot: 850 };
    const { run } = executor({
      restore: async (floor) => {
        floors.push(floor);
        return { ok: false, code: 'FAILOVER_TOWER_STALE', error: 'ends at 850', towerStale };
      },
    });
    const restore: PlanStep<AgentAction> = {
      ...step('restore-tower'),
      action: { kind: 'restore-tower', minTowerSlot: 900 },
    };
    await expect(run(restore, 1)).resolves.toEqual({
      ok: false,
      detail: 'FAILOVER_TOWER_STALE: ends at 850',
      towerStale,
    });
    expect(floors).toEqual([900]);
  });

  it('passes min_vote_history_slot to the restore beside min_tower_slot', async () => {
    const floors: Array<Array<number | undefined>> = [];
    const { run } = executor({
      restore: async (minTowerSlot, minVoteHistorySlot) => {
        floors.push([minTowerSlot, minVoteHistorySlot]);
        return { ok: false, code: 'FAILOVER_VOTE_HISTORY_STALE', error: 'ends at 140' };
      },
    });
    const restore: PlanStep<AgentAction> = {
      ...step('restore-tower'),
      action: { kind: 'restore-tower', minTowerSlot: 900, minVoteHistorySlot: 905 },
    };
    await expect(run(restore, 1)).resolves.toEqual({ ok: false, detail: 'FAILOVER_VOTE_HISTORY_STALE: ends at 140' });
    expect(floors).toEqual([[900, 905]]);
  });

  it('reports a refused restore with its code', async () => {
    const { run } = executor({});
    await expect(run(step('restore-tower'), 1)).resolves.toEqual({
      ok: false,
      detail: 'FAILOVER_TOWER_NO_BACKUP: none',
    });
  });

  it.each([
    ['the process probe finds the validator running', true, async () => ({ running: true })],
    ['the process probe fails', true, async (): Promise<{ running: boolean }> => Promise.reject(new Error('EACCES'))],
    ['the process probe finds no validator', false, async () => ({ running: false })],
  ] as const)('remove-identity when %s: identity_remove_command runs is %s', async (_name, runsCommand, probe) => {
    const { run, ran } = executor({ probe });
    const result = await run(step('remove-identity'), 1);
    expect(ran).toEqual(runsCommand ? [['identity_remove_command', 'set-identity unstaked']] : []);
    expect(result).toMatchObject(
      runsCommand ? { ok: true } : { ok: false, detail: expect.stringContaining('not running') },
    );
  });

  // Benchmark finding: three set-identity CLI calls against a crashed validator's closed admin
  // socket held every unplanned failover up by 0.3-0.9 s before the restart that works. Then the
  // restart itself held it: 0.1-0.4 s on the simulator, and on a real validator, whose RPC takes
  // minutes to come up, a confirmation that could only fail while its process runs again.
  it('demotes a stopped validator on its unstaked symlink without waiting for its restart, which follows the confirmation', async () => {
    let release = (): void => undefined;
    const restartGate = new Promise<void>((resolve) => (release = resolve));
    const { run, ran, logger } = executor({
      running: false,
      identity: { ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC },
      symlinkPubkey: 'Other1111111111111111111111111111111111111',
      restartGate,
    });
    const outcome = await demote(run);
    expect(outcome.outcome).toBe('completed');
    await settle();
    expect(ran.map(([label]) => label)).toEqual(['passive_identity_symlink_command', 'validator_restart_command']);
    release();
    await settle();
    expect(logger.text()).toContain('validator_restart_command done: the validator starts on the unstaked keypair');
  });

  it('restarts a stopped validator within the demotion when no identity symlink can tell what it would start on', async () => {
    let restarted = false;
    const { run, ran } = executor({
      probe: async () => ({ running: restarted }),
      identity: { ok: true, value: 'Other1111111111111111111111111111111111111', endpoint: RPC },
      symlinkPubkey: null,
    });
    const runStep = (s: PlanStep<AgentAction>, attempt: number) =>
      run(s, attempt).then((result) => {
        if (s.action.kind === 'restart-validator') restarted = true;
        return result;
      });
    const outcome = await demote(runStep);
    expect(outcome.outcome).toBe('completed');
    expect(ran.map(([label]) => label)).toEqual(['passive_identity_symlink_command', 'validator_restart_command']);
  });

  it('does not restart a stopped validator that came back on its own before the demotion let go of it', async () => {
    let probes = 0;
    const { run, ran } = executor({
      // Down for the remove-identity step and the confirmation, running again after.
      probe: async () => ({ running: ++probes > 2 }),
      identity: { ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC },
      symlinkPubkey: 'Other1111111111111111111111111111111111111',
    });
    expect((await demote(run)).outcome).toBe('completed');
    await settle();
    expect(ran.map(([label]) => label)).toEqual(['passive_identity_symlink_command']);
  });

  // Regression F4 (docs/chaos.md): a final backup lost to an etcd outage was followed by the
  // removal of the tower file, which then held the only copy of the last votes (S2).
  it.each([
    [
      'is stored',
      false,
      [],
      [{ status: 'stored', meta: { fileName: 't', sha256: 'x', lastVotedSlot: 9, source: 's', takenAt: '' } }],
    ],
    ['fails twice (etcd unavailable)', true, ['etcd unavailable'], [failed('unavailable'), failed('unavailable')]],
    ['fails, then is stored', false, [], [failed('unavailable'), { status: 'unchanged' }]],
    ['is refused as fenced', true, [], [failed('fenced'), failed('fenced')]],
  ] as const)(
    'when the final backup %s, the demotion keeps the tower file: %s, and retries the backup for %j',
    async (_case, kept, retried, finalBackups) => {
      const { run, tower } = executor({ finalBackups: [...finalBackups], identity: UNSTAKED });
      const outcome = await demote(run);
      expect(outcome.outcome).toBe('completed');
      expect(tower.exists).toBe(kept);
      expect(tower.retries).toEqual(retried);
    },
  );

  it('a stray-identity demotion after a failed one sets the tower file aside and drops the pending retry', async () => {
    const { run, tower, logger } = executor({
      finalBackups: [failed('unavailable'), failed('unavailable')],
      identity: UNSTAKED,
    });
    await demote(run);
    const cancelsBefore = tower.cancels;
    const keepAside = demoteStrayIdentitySteps('stray-identity').at(-1)!;
    await expect(run(keepAside, 1)).resolves.toEqual({ ok: true });
    expect(tower.exists).toBe(false);
    expect(tower.keptAside).toEqual(['stray-identity']);
    expect(tower.cancels).toBe(cancelsBefore + 1);
    expect(logger.text()).toContain('/ledger/tower.bin.stray-identity-20261203T000000000Z');
  });
});

const UNSTAKED = { ok: true, value: 'Other1111111111111111111111111111111111111', endpoint: RPC } as const;

function failed(reason: 'unavailable' | 'fenced'): BackupReport {
  return { status: 'failed', reason, error: `etcd ${reason}` };
}
