import { waitFor } from '@failover/testkit';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { statusUntil, TEST_TERM, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-hooks');

/** Starts both agents, b with `hooks`, and waits for a's first tower backup so b can be promoted. */
async function startWithHooks(hooks: Record<string, unknown>): Promise<[RunningAgent, RunningAgent]> {
  const agents = await bed.startAgents({
    configure: (config, v) => (v.name === 'b' ? { ...config, hooks } : config),
  });
  const [a, b] = agents as [RunningAgent, RunningAgent];
  await statusUntil(a, 'a first tower backup', (s) => s.ok && s.value.last_tower_backup > 0);
  return [a, b];
}

/** The `FAILOVER_*` variables a hook wrote with `env`, as a map. */
function hookEnv(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('FAILOVER_'));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('hooks around role changes, on the real agent and simulated validators', () => {
  it('refuses become_active before anything changed when a must_succeed pre_promote fails', async () => {
    const c = bed.cluster;
    const marker = path.join(bed.dir.path, 'pre-promote-ran');
    const [, b] = await startWithHooks({
      pre_promote: { command: `touch ${marker}; echo "not in the window" >&2; exit 3`, must_succeed: true },
    });
    const vb = c.validator('b');

    const promoted = await b.client.failover({ action: 'become_active', reason: 'planned switchover' });
    expect(promoted).toMatchObject({
      ok: false,
      error: {
        status: 422,
        code: 'FAILOVER_HOOK_REFUSED',
        message: expect.stringContaining('pre_promote failed and must succeed; nothing was changed, still passive'),
        details: { hook: 'pre_promote', reason: expect.stringContaining('not in the window') },
      },
    });
    expect(existsSync(marker)).toBe(true);
    expect(await vb.identity()).toBe(vb.unstakedPubkey);
    // Nothing was restored either: the change stopped before its first step.
    expect(existsSync(vb.towerPath(c.stakedPubkey))).toBe(false);
    await expect(b.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'passive' } });
    // The holder never stopped: it keeps voting, and nobody voted beside it.
    const before = Math.max(...(await c.judge.votes()).filter((v) => v.validator === 'a').map((v) => v.slot));
    await waitFor(async () => (await c.judge.votes()).some((v) => v.validator === 'a' && v.slot > before), {
      description: 'a to keep voting',
      timeoutMs: 15_000,
    });
    expect((await c.judge.votes()).some((v) => v.validator === 'b')).toBe(false);
    expect(await c.judge.violations()).toEqual([]);
  });

  it("check_promote runs a refusing pre_promote and changes nothing: 422 with the hook's reason, the holder keeps voting", async () => {
    const c = bed.cluster;
    const runs = path.join(bed.dir.path, 'pre-promote-runs');
    const [a, b] = await startWithHooks({
      pre_promote: { command: `echo run >> ${runs}; echo "not in the window" >&2; exit 3`, must_succeed: true },
    });
    const vb = c.validator('b');

    const checked = await b.client.failover({ action: 'check_promote', reason: 'planned switchover' });
    expect(checked).toMatchObject({
      ok: false,
      error: {
        status: 422,
        code: 'FAILOVER_HOOK_REFUSED',
        details: { hook: 'pre_promote', reason: expect.stringContaining('not in the window') },
      },
    });
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    expect(await vb.identity()).toBe(vb.unstakedPubkey);
    expect(existsSync(vb.towerPath(c.stakedPubkey))).toBe(false);
    await expect(b.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'passive' } });
    await expect(a.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active' } });
    expect(await c.judge.violations()).toEqual([]);
  });

  it('runs pre_promote once when check_promote passed and become_active says so', async () => {
    const c = bed.cluster;
    const runs = path.join(bed.dir.path, 'pre-promote-runs');
    const [a, b] = await startWithHooks({ pre_promote: { command: `echo run >> ${runs}`, must_succeed: true } });

    const checked = await b.client.failover({ action: 'check_promote', reason: 'planned switchover' });
    expect(checked).toMatchObject({ ok: true, value: { success: true, message: 'pre_promote passed' } });
    await a.client.failover({ action: 'become_passive', reason: 'planned switchover' });
    const promoted = await b.client.failover({
      action: 'become_active',
      reason: 'planned switchover',
      prePromoteChecked: true,
    });
    expect(promoted).toMatchObject({ ok: true, value: { success: true } });
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    await waitFor(async () => (await c.judge.votes()).some((v) => v.validator === 'b'), {
      description: 'b to vote with the staked identity',
      timeoutMs: 15_000,
    });
    expect(await c.judge.violations()).toEqual([]);
  });

  it('answers check_promote at once without a pre_promote hook', async () => {
    const [, b] = await startWithHooks({ post_promote: { command: 'true' } });
    const checked = await b.client.failover({ action: 'check_promote', reason: 'planned switchover' });
    expect(checked).toMatchObject({ ok: true, value: { success: true, message: 'no pre_promote hook configured' } });
  });

  it('keeps the promotion when post_promote fails, and reports the failure in the answer', async () => {
    const c = bed.cluster;
    const [a, b] = await startWithHooks({ post_promote: { command: 'echo "dns update failed" >&2; exit 1' } });
    const vb = c.validator('b');

    const demoted = await a.client.failover({ action: 'become_passive', reason: 'planned switchover' });
    expect(demoted).toMatchObject({ ok: true, value: { success: true } });
    const promoted = await b.client.failover({ action: 'become_active', reason: 'planned switchover' });
    expect(promoted).toMatchObject({
      ok: true,
      value: { success: true, message: expect.stringContaining('warning: post_promote: post_promote exited with 1') },
    });
    expect(promoted.ok && promoted.value.message).toContain('dns update failed');
    expect(await vb.identity()).toBe(c.stakedPubkey);
    await expect(b.client.status()).resolves.toMatchObject({ ok: true, value: { role: 'active', is_active: true } });
    await waitFor(async () => (await c.judge.votes()).some((v) => v.validator === 'b'), {
      description: 'b to vote with the staked identity',
      timeoutMs: 15_000,
    });
    expect(await c.judge.violations()).toEqual([]);
  });

  it('describes the change to the hook in its environment', async () => {
    const c = bed.cluster;
    const envFile = path.join(bed.dir.path, 'hook-env');
    const [a, b] = await startWithHooks({ pre_promote: { command: `env > ${envFile}`, must_succeed: true } });
    await a.client.failover({ action: 'become_passive', reason: 'planned switchover' });

    // A reason with a newline and shell syntax reaches the hook as data, on one line.
    const reason = 'upgrade to 2.1\n$(touch /tmp/never) `id`';
    const promoted = await b.client.failover({ action: 'become_active', reason });
    expect(promoted).toMatchObject({ ok: true, value: { success: true } });
    const status = await b.client.status();
    expect(hookEnv(envFile)).toEqual({
      FAILOVER_HOOK: 'pre_promote',
      FAILOVER_ROLE_FROM: 'passive',
      FAILOVER_ROLE_TO: 'active',
      FAILOVER_NODE: status.ok ? status.value.node_name : 'unknown',
      FAILOVER_IDENTITY: c.stakedPubkey,
      FAILOVER_ORIGIN: 'request',
      FAILOVER_REASON: 'upgrade to 2.1 $(touch /tmp/never) `id`',
      FAILOVER_TERM: String(TEST_TERM.term),
    });
  });

  it('kills a hanging hook and what it started at its time limit, and counts it as failed', async () => {
    const c = bed.cluster;
    const pidFile = path.join(bed.dir.path, 'sleeper.pid');
    const [, b] = await startWithHooks({
      pre_promote: { command: `sleep 300 & echo $! > ${pidFile}; wait`, must_succeed: true, timeout: '1s' },
    });
    const vb = c.validator('b');

    const promoted = await b.client.failover({ action: 'become_active', reason: 'planned switchover' });
    expect(promoted).toMatchObject({
      ok: false,
      error: { code: 'FAILOVER_HOOK_REFUSED', message: expect.stringContaining('pre_promote failed and must succeed') },
    });
    expect(!promoted.ok && promoted.error.message).toMatch(/timed out/);
    const sleeper = Number(readFileSync(pidFile, 'utf8').trim());
    await waitFor(async () => !isRunning(sleeper), { description: "the hook's sleep to be killed", timeoutMs: 10_000 });
    expect(await vb.identity()).toBe(vb.unstakedPubkey);
    expect(await c.judge.violations()).toEqual([]);
  });
});
