import { DEFAULT_PLAN_TIMEOUTS, DEFAULT_VOTE_PROOF_RULES } from '@failover/core';
import {
  toManagerMachineOptions,
  toNodeStatus,
  toUnreachableReason,
  resolveManagerConfigFile,
} from '@failover/protocol';
import type { AgentCallError, StatusResponse } from '@failover/protocol';

const wire: StatusResponse = {
  process_running: true,
  process_uptime: 300,
  process_healthy: true,
  validator_slot: 5000,
  network_slot: 0,
  slot_diff: 0,
  is_healthy: true,
  is_active: false,
  last_tower_backup: 1_700_000_000,
  timestamp: 1_700_000_005,
  role: 'passive',
  tower: { last_vote_slot: 4990, sha256: 'ab'.repeat(32), backed_up_at: 1_700_000_000 },
};

describe('toNodeStatus', () => {
  it('turns wire seconds into domain milliseconds and snake_case into camelCase', () => {
    expect(toNodeStatus(wire)).toEqual({
      processRunning: true,
      processUptimeSec: 300,
      processHealthy: true,
      validatorSlot: 5000,
      networkSlot: 0,
      slotDiff: 0,
      rpcHealthy: true,
      isActive: false,
      lastTowerBackup: 1_700_000_000_000,
      role: 'passive',
      tower: { lastVoteSlot: 4990, sha256: 'ab'.repeat(32), backedUpAt: 1_700_000_000_000 },
      timestamp: 1_700_000_005_000,
    });
  });

  // Regression: process_healthy was read as the getHealth answer and is_healthy dropped, so an RPC-unhealthy passive looked healthy.
  it.each([
    ['getHealth fails while the process runs', { is_healthy: false }, { processHealthy: true, rpcHealthy: false }],
    [
      'the agent sees a crash loop while getHealth answers',
      { process_healthy: false },
      { processHealthy: false, rpcHealthy: true },
    ],
  ])('keeps the process check and getHealth apart when %s', (_name, fields, expected) => {
    expect(toNodeStatus({ ...wire, ...fields })).toMatchObject(expected);
  });

  // F3: a promotion that failed with its undo is reported distinctly, so the manager never takes it for a voter.
  it('carries the role unconfirmed to the domain, with is_active still true', () => {
    expect(toNodeStatus({ ...wire, is_active: true, role: 'unconfirmed' })).toMatchObject({
      isActive: true,
      role: 'unconfirmed',
    });
  });

  it.each([0, -62135596800])('reads last_tower_backup %d (the Go zero time) as never', (value) => {
    expect(toNodeStatus({ ...wire, last_tower_backup: value }).lastTowerBackup).toBeNull();
  });

  it('carries the instant the agent saw the validator exit, in milliseconds as sent, and nothing when not sent', () => {
    const exited = { ...wire, process_running: false, process_exited_at: 1_700_000_000_123 };
    expect(toNodeStatus(exited).processExitedAt).toBe(1_700_000_000_123);
    expect('processExitedAt' in toNodeStatus(wire)).toBe(false);
  });

  it("carries the validator's Alpenglow genesis, null when it has not migrated, absent when not reported", () => {
    const blockId = '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi';
    expect(toNodeStatus({ ...wire, ag_genesis_cert: { slot: 7000, block_id: blockId } }).alpenglowGenesis).toEqual({
      slot: 7000,
      blockId,
    });
    expect(toNodeStatus({ ...wire, ag_genesis_cert: null }).alpenglowGenesis).toBeNull();
    expect('alpenglowGenesis' in toNodeStatus(wire)).toBe(false);
  });
});

describe('toUnreachableReason', () => {
  it.each([
    [{ kind: 'unreachable', url: 'u', code: 'ECONNREFUSED', message: 'm' }, 'refused'],
    [{ kind: 'timeout', url: 'u', timeoutMs: 5, message: 'm' }, 'timeout'],
    [{ kind: 'rejected', url: 'u', status: 401, code: 'FAILOVER_AUTH_SKEW', message: 'm' }, 'rejected'],
    [{ kind: 'invalid-response', url: 'u', status: 200, message: 'm' }, 'error'],
  ] as [AgentCallError, string][])('maps a %j failure', (error, reason) => {
    expect(toUnreachableReason(error)).toBe(reason);
  });
});

describe('toManagerMachineOptions', () => {
  it('carries the config values core decides with', () => {
    const result = resolveManagerConfigFile({
      raw: {
        validator1: { endpoint: 'http://a' },
        validator2: { endpoint: 'http://b' },
        misses_before_failover: 3,
        slot_diff_threshold: 50,
        stale_vote_slot_threshold: 200,
        failover_cooldown: '1m',
      },
      flags: { passive: 'http://a' },
    });
    if (!result.ok) throw new Error('config did not load');
    expect(toManagerMachineOptions(result.config)).toMatchObject({
      missesBeforeFailover: 3,
      cooldownMs: 60_000,
      dryRun: true,
      initialActive: 'validator2',
      health: { slotDiffThreshold: 50 },
      voteProof: { staleVoteSlotThreshold: 200 },
    });
  });

  // Regression: the file's default stale_vote_slot_threshold was 150 and core's 128, so embedding core and running the manager proved differently.
  it('gives core the same proof threshold and step limits whether the file sets them or not', () => {
    const result = resolveManagerConfigFile({
      raw: { validator1: { endpoint: 'http://a' }, validator2: { endpoint: 'http://b' } },
      env: {},
    });
    if (!result.ok) throw new Error('config did not load');
    const options = toManagerMachineOptions(result.config);
    expect(options.voteProof?.staleVoteSlotThreshold).toBe(DEFAULT_VOTE_PROOF_RULES.staleVoteSlotThreshold);
    expect(options.planTimeouts).toEqual({
      demoteMs: DEFAULT_PLAN_TIMEOUTS.demoteMs,
      promoteMs: DEFAULT_PLAN_TIMEOUTS.promoteMs,
      // fence_timeout 60s + guard_bound 45s + 10s to read the proof.
      proveStoppedVotingMs: 115_000,
    });
  });

  it("maps the manager's hooks to the plan's hook points, each step outlasting its hook's own limit", () => {
    const load = (hooks: unknown): ReturnType<typeof toManagerMachineOptions> => {
      const result = resolveManagerConfigFile({
        raw: { validator1: { endpoint: 'http://a' }, validator2: { endpoint: 'http://b' }, hooks },
        env: {},
      });
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return toManagerMachineOptions(result.config);
    };
    const both = load({
      pre_failover: { command: '/usr/local/bin/page.sh', must_succeed: true, timeout: '10s' },
      post_failover: { command: 'logger done' },
    });
    expect(both.hooks).toEqual({ preFailover: 'must-succeed', postFailover: true });
    expect(both.planTimeouts).toMatchObject({ preFailoverMs: 25_000, postFailoverMs: 45_000 });
    expect(load({ pre_failover: { command: 'x' } }).hooks).toEqual({ preFailover: 'may-fail', postFailover: false });
    const none = load(undefined);
    expect(none.hooks).toEqual({ preFailover: null, postFailover: false });
    expect(none.planTimeouts).not.toHaveProperty('preFailoverMs');
  });

  it.each([
    ['an agent hook', { pre_promote: { command: 'x' } }, '/hooks/pre_promote', 'unknown key "pre_promote"'],
    [
      'must_succeed on post_failover',
      { post_failover: { command: 'x', must_succeed: true } },
      '/hooks/post_failover/must_succeed',
      'unknown key "must_succeed"',
    ],
    ['a hook without its command', { pre_failover: { must_succeed: true } }, '/hooks/pre_failover/command', ''],
  ])("refuses %s among the manager's hooks, with its path", (_case, hooks, path, message) => {
    const result = resolveManagerConfigFile({
      raw: { validator1: { endpoint: 'http://a' }, validator2: { endpoint: 'http://b' }, hooks },
      env: {},
    });
    expect(result.ok ? [] : result.problems).toEqual([
      expect.objectContaining({ path, message: expect.stringContaining(message) }),
    ]);
  });

  it('maps demote_timeout and promote_timeout to the plan step limits', () => {
    const result = resolveManagerConfigFile({
      raw: {
        validator1: { endpoint: 'http://a' },
        validator2: { endpoint: 'http://b' },
        demote_timeout: '15m',
        promote_timeout: '20m',
      },
      env: {},
    });
    if (!result.ok) throw new Error('config did not load');
    expect(toManagerMachineOptions(result.config).planTimeouts).toMatchObject({
      demoteMs: 900_000,
      promoteMs: 1_200_000,
    });
  });

  it('gives the proof step time to run fence_command and wait out guard_bound', () => {
    const result = resolveManagerConfigFile({
      raw: {
        validator1: { endpoint: 'http://a' },
        validator2: { endpoint: 'http://b' },
        guard_bound: '30s',
        fence_command: ['ipmitool', '-H', '{ip}', 'chassis', 'power', 'off'],
        fence_timeout: '20s',
      },
      env: {},
    });
    if (!result.ok) throw new Error('config did not load');
    expect(result.config).toMatchObject({
      guardBoundMs: 30_000,
      fenceCommand: ['ipmitool', '-H', '{ip}', 'chassis', 'power', 'off'],
      fenceTimeoutMs: 20_000,
    });
    expect(toManagerMachineOptions(result.config).planTimeouts?.proveStoppedVotingMs).toBe(60_000);
  });

  it('refuses an empty fence_command or a shell string, with its key', () => {
    for (const fence_command of [[], 'ipmitool power off']) {
      const result = resolveManagerConfigFile({
        raw: { validator1: { endpoint: 'http://a' }, validator2: { endpoint: 'http://b' }, fence_command },
        env: {},
      });
      expect(result.ok).toBe(false);
      expect(JSON.stringify(!result.ok && result.problems)).toContain('fence_command');
    }
  });
});
