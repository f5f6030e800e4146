import type { AgentAction, PlanStep } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { CommandResult, CommandRunner } from '../src/command-runner';
import type { FinalBackupRetry } from '../src/final-backup-retry';
import { createStepExecutor } from '../src/role-steps';
import type { TowerKeeper } from '../src/tower-keeper';
import { recordingLogger } from './support/recording-logger';

const STAKED = 'Stake11111111111111111111111111111111111111';
const UNSTAKED = 'Vote111111111111111111111111111111111111111';
const LOCKED =
  'ERR     Cannot set-identity because Firedancer is already in the process of switching keys. To recover, run the `set-identity` command again with the `--force` argument.';

// The Frankendancer profile's commands, as the config loader builds them.
const FRANKENDANCER = {
  identityChange: 'fdctl set-identity --config c.toml --require-tower staked.json',
  identityRemove: 'fdctl set-identity --config c.toml unstaked.json',
  identityChangeForce: 'fdctl set-identity --config c.toml --require-tower --force staked.json',
  identityRemoveForce: 'fdctl set-identity --config c.toml --force unstaked.json',
  identityReadback: 'fdctl get-identity --config c.toml',
};

const step = (kind: AgentAction['kind']): PlanStep<AgentAction> => ({
  action: { kind } as AgentAction,
  attempts: 2,
  timeoutMs: 1_000,
  onFailure: 'stop',
  why: '',
});

type Outcome = Partial<Pick<CommandResult, 'ok' | 'stdout' | 'stderr' | 'timedOut'>>;

/** A step executor over a runner that answers each command line from `answer`, recording the lines. */
function executor(answer: (template: string) => Outcome, dryRun = false) {
  const ran: string[] = [];
  const runner: CommandRunner = {
    run: async (_label, template) => {
      ran.push(template);
      const outcome = answer(template);
      const ok = outcome.ok ?? true;
      return {
        ok,
        exitCode: ok ? 0 : outcome.timedOut ? null : 1,
        stdout: outcome.stdout ?? '',
        stderr: outcome.stderr ?? '',
        durationMs: 1,
        timedOut: outcome.timedOut ?? false,
        dryRun: false,
        command: template,
      };
    },
  };
  const logger = recordingLogger();
  const run = createStepExecutor({
    commands: FRANKENDANCER,
    runner,
    keeper: {} as TowerKeeper,
    stakedIdentity: STAKED,
    node: 'validator-a',
    currentIdentity: async () => ({ ok: true, value: STAKED, endpoint: 'rpc' }),
    probe: { probe: async () => ({ running: true, pids: [], uptimeSeconds: 0, recentRestarts: 0, crashLoop: false }) },
    symlinkPubkey: async () => null,
    finalBackupRetry: { begin: () => undefined, cancel: () => undefined } as unknown as FinalBackupRetry,
    dryRun,
    clock: new SimulatedClock(),
    logger,
    confirmBackoffMs: 0,
  });
  return { run, ran, logger };
}

describe('identity steps of the Frankendancer profile', () => {
  it('reads the identity back with get-identity after set-identity, and succeeds on the staked key', async () => {
    const { run, ran } = executor((t) => (t.includes('get-identity') ? { stdout: `${STAKED}\n` } : {}));
    await expect(run(step('set-identity'), 1)).resolves.toEqual({ ok: true });
    expect(ran).toEqual([FRANKENDANCER.identityChange, FRANKENDANCER.identityReadback]);
  });

  it('fails the step when get-identity reads back another key than expected', async () => {
    const { run } = executor((t) => (t.includes('get-identity') ? { stdout: `${UNSTAKED}\n` } : {}));
    await expect(run(step('set-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: `identity_change_command ran, but get-identity reads back ${UNSTAKED}, not the staked identity ${STAKED}`,
    });
    const demoting = executor((t) => (t.includes('get-identity') ? { stdout: `${STAKED}\n` } : {}));
    await expect(demoting.run(step('remove-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: 'identity_remove_command ran, but get-identity reads back ' + STAKED + ', still the staked identity',
    });
  });

  it('fails the step when get-identity fails or prints no key', async () => {
    const failing = executor((t) => (t.includes('get-identity') ? { ok: false, stderr: 'ERR no validator' } : {}));
    await expect(failing.run(step('set-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: 'identity_change_command ran, but get-identity exited with 1: ERR no validator',
    });
    const silent = executor(() => ({}));
    await expect(silent.run(step('remove-identity'), 1)).resolves.toEqual({
      ok: false,
      detail: 'identity_remove_command ran, but get-identity printed no pubkey',
    });
  });

  it('runs the next attempt with --force once after a switch left half done, then without', async () => {
    let locked = true;
    const { run, ran, logger } = executor((t) => {
      if (t.includes('get-identity')) return { stdout: `${UNSTAKED}\n` };
      if (locked && !t.includes('--force')) return { ok: false, stderr: LOCKED };
      locked = false;
      return {};
    });
    await expect(run(step('remove-identity'), 1)).resolves.toMatchObject({ ok: false });
    await expect(run(step('remove-identity'), 2)).resolves.toEqual({ ok: true });
    await expect(run(step('remove-identity'), 1)).resolves.toEqual({ ok: true });
    expect(ran.filter((t) => !t.includes('get-identity'))).toEqual([
      FRANKENDANCER.identityRemove,
      FRANKENDANCER.identityRemoveForce,
      FRANKENDANCER.identityRemove,
    ]);
    expect(logger.text()).toContain(
      'the last key switch was left half done; identity_remove_command runs with --force',
    );
  });

  it('forces the next switch after one that timed out, whichever direction it goes', async () => {
    let first = true;
    const { run, ran } = executor((t) => {
      if (t.includes('get-identity')) return { stdout: `${UNSTAKED}\n` };
      if (first) {
        first = false;
        return { ok: false, timedOut: true };
      }
      return {};
    });
    await run(step('set-identity'), 1);
    await run(step('remove-identity'), 1);
    expect(ran[1]).toBe(FRANKENDANCER.identityRemoveForce);
  });

  it('does not force after an ordinary failure, such as a missing tower', async () => {
    const { run, ran } = executor((t) =>
      t.includes('get-identity') ? { stdout: `${STAKED}\n` } : { ok: false, stderr: 'ERR unable to load tower' },
    );
    await run(step('set-identity'), 1);
    await run(step('set-identity'), 2);
    expect(ran).toEqual([FRANKENDANCER.identityChange, FRANKENDANCER.identityChange]);
  });

  it('reads nothing back in dry-run, where nothing was switched', async () => {
    const { run, ran } = executor(() => ({}), true);
    await expect(run(step('set-identity'), 1)).resolves.toEqual({ ok: true });
    expect(ran).toEqual([FRANKENDANCER.identityChange]);
  });
});
