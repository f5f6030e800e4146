import { resolveAgentConfigFile, systemClock, type AgentConfig, type RpcResult } from '@failover/protocol';
import type { CommandResult, CommandRunner } from '../src/command-runner';
import { runHostGuard, type HostGuardOutcome } from '../src/host-guard';
import type { ProcessSnapshot, ValidatorProbe } from '../src/process-probe';
import { recordingLogger } from './support/recording-logger';

const STAKED = 'Stake11111111111111111111111111111111111111';
const UNSTAKED = 'Other11111111111111111111111111111111111111';

function config(extra: Record<string, unknown> = {}): AgentConfig {
  const raw: Record<string, unknown> = {
    validator_identity: STAKED,
    ledger_path: '/ledger',
    dry_run: false,
    process_name: 'agave-validator',
    identity_remove_command: 'set-identity unstaked.json',
    passive_identity_symlink_command: 'ln -sf unstaked.json identity.json',
    guard_kill_after: '300ms',
    ...extra,
  };
  const resolved = resolveAgentConfigFile({
    raw: Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)),
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return resolved.config;
}

/** A host: a validator that runs until killed, answers with `identity` unless frozen. */
function host(options: { identity: string; frozen?: boolean; removeWorks?: boolean; killWorks?: boolean }) {
  let running = true;
  let identity = options.identity;
  const ran: string[] = [];
  const killed: number[] = [];
  const result = (command: string): CommandResult => ({
    ok: true,
    exitCode: 0,
    stdout: '',
    stderr: '',
    durationMs: 1,
    timedOut: false,
    dryRun: false,
    command,
  });
  const runner: CommandRunner = {
    run(label, template) {
      ran.push(label);
      if (label === 'identity_remove_command' && options.removeWorks !== false && !options.frozen) identity = UNSTAKED;
      return Promise.resolve(result(template));
    },
  };
  const snapshot = (): ProcessSnapshot => ({
    running,
    pids: running ? [4242, 4243] : [],
    uptimeSeconds: 0,
    recentRestarts: 0,
    crashLoop: false,
  });
  const probe: ValidatorProbe = { probe: () => Promise.resolve(snapshot()) };
  const currentIdentity = (): Promise<RpcResult<string>> =>
    Promise.resolve(
      options.frozen || !running
        ? { ok: false, reason: 'timeout', message: 'local RPC did not answer', endpoint: 'rpc' }
        : { ok: true, value: identity, endpoint: 'rpc' },
    );
  const signal = (pid: number): void => {
    killed.push(pid);
    if (options.killWorks !== false) running = false;
  };
  return { runner, probe, currentIdentity, signal, ran, killed };
}

async function guard(
  h: ReturnType<typeof host>,
  extra: Record<string, unknown> = {},
): Promise<{ outcome: HostGuardOutcome; ms: number }> {
  const started = systemClock.now();
  const outcome = await runHostGuard({
    config: config(extra),
    runner: h.runner,
    probe: h.probe,
    currentIdentity: h.currentIdentity,
    clock: systemClock,
    logger: recordingLogger(),
    signal: h.signal,
    pollMs: 20,
  });
  return { outcome, ms: systemClock.now() - started };
}

describe('runHostGuard', () => {
  it('removes the staked identity with identity_remove_command after pointing the symlink at the unstaked key', async () => {
    const h = host({ identity: STAKED });
    const { outcome } = await guard(h);
    expect(outcome).toMatchObject({ status: 'unstaked', how: 'identity-removed' });
    expect(h.ran).toEqual(['passive_identity_symlink_command', 'identity_remove_command']);
    expect(h.killed).toEqual([]);
  });

  it('leaves a validator that already runs unstaked alone, but still points the symlink away', async () => {
    const h = host({ identity: UNSTAKED });
    await expect(guard(h)).resolves.toMatchObject({ outcome: { status: 'unstaked', how: 'already-unstaked' } });
    expect(h.ran).toEqual(['passive_identity_symlink_command']);
  });

  it('kills a frozen validator once guard_kill_after has passed without the identity removed', async () => {
    const h = host({ identity: STAKED, frozen: true });
    const { outcome, ms } = await guard(h);
    expect(outcome).toMatchObject({ status: 'killed', pids: [4242, 4243] });
    expect(h.killed).toEqual([4242, 4243]);
    expect(ms).toBeGreaterThanOrEqual(290);
  });

  it('kills a validator that keeps the staked identity whatever identity_remove_command says', async () => {
    const h = host({ identity: STAKED, removeWorks: false });
    await expect(guard(h)).resolves.toMatchObject({ outcome: { status: 'killed' } });
  });

  it('kills at once when no identity_remove_command is configured', async () => {
    const h = host({ identity: STAKED });
    const { outcome, ms } = await guard(h, { identity_remove_command: undefined });
    expect(outcome).toMatchObject({ status: 'killed' });
    expect(ms).toBeLessThan(290);
  });

  it('fails, and says the validator still runs, when SIGKILL did not end it', async () => {
    const h = host({ identity: STAKED, frozen: true, killWorks: false });
    const { outcome } = await guard(h);
    expect(outcome).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('agave-validator still runs as 4242, 4243') as string,
    });
  }, 15_000);

  it('kills nothing in dry-run', async () => {
    const h = host({ identity: STAKED, frozen: true });
    await expect(guard(h, { dry_run: true })).resolves.toMatchObject({ outcome: { status: 'dry-run' } });
    expect(h.killed).toEqual([]);
  });
});
