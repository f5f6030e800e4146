import type { NodeId, StepResult } from '@failover/core';
import { systemClock } from '@failover/protocol';
import { proveHostFenced, runFenceCommand, type FenceCommand, type HostFence } from '../src/host-fence';

const placeholders = (node: NodeId): Record<string, string> => ({
  node,
  node_name: `${node}-host`,
  ip: node === 'validator1' ? '10.0.0.1' : '10.0.0.2',
  endpoint: 'http://10.0.0.1:8080',
});
const command = (argv: string[], timeoutMs = 5_000): FenceCommand => ({ argv, timeoutMs, placeholders });
const proven = (): Promise<StepResult> => Promise.resolve({ ok: true });

/** A fence whose agent went silent `silentMs` ago. */
function fence(silentMs: number, guardBoundMs: number, fenceCommand?: FenceCommand): HostFence {
  const since = systemClock.now() - silentMs;
  return { guardBoundMs, ...(fenceCommand ? { fenceCommand } : {}), silentSince: () => since };
}

describe('runFenceCommand', () => {
  it('is proof when it exits 0', async () => {
    await expect(runFenceCommand(command(['true']), 'validator1')).resolves.toMatchObject({ ok: true });
  });

  it('is no proof when it exits non-zero, and says its output', async () => {
    const result = await runFenceCommand(command(['sh', '-c', 'echo "ipmi: no route" >&2; exit 4']), 'validator1');
    expect(result).toEqual({ ok: false, detail: 'sh exited with 4: ipmi: no route' });
  });

  it('is killed after fence_timeout and is no proof', async () => {
    const result = await runFenceCommand(command(['sleep', '30'], 200), 'validator1');
    expect(result).toMatchObject({ ok: false, detail: expect.stringContaining('timed out after 200 ms') as string });
  });

  it('says so when the program does not exist', async () => {
    const result = await runFenceCommand(command(['/nonexistent/ipmitool']), 'validator1');
    expect(result).toMatchObject({ ok: false, detail: expect.stringContaining('could not run') as string });
  });

  it("fills each argument's placeholders with the node's values, one argument each, with no shell", async () => {
    const argv = ['sh', '-c', 'test "$1" = validator2 && test "$2" = 10.0.0.2 && test "$3" = "validator2-host; x"'];
    const ok = await runFenceCommand(command([...argv, 'fence', '{node}', '{ip}', '{node_name}; x']), 'validator2');
    expect(ok).toMatchObject({ ok: true });
  });
});

describe('proveHostFenced', () => {
  const env = { clock: systemClock };

  it('is the vote proof alone without host-fence settings', async () => {
    await expect(proveHostFenced(undefined, 'validator1', systemClock.now() + 1_000, env, proven)).resolves.toEqual({
      ok: true,
    });
  });

  it('promotes on a fence command that exits 0 without asking the vote account', async () => {
    const proveVote = jest.fn(proven);
    const result = await proveHostFenced(
      fence(0, 60_000, command(['true'])),
      'validator1',
      systemClock.now() + 1_000,
      env,
      proveVote,
    );
    expect(result).toEqual({ ok: true });
    expect(proveVote).not.toHaveBeenCalled();
  });

  it('waits out guard_bound within the step, then proves the vote again', async () => {
    const proveVote = jest.fn(proven);
    const started = systemClock.now();
    const result = await proveHostFenced(fence(0, 300, undefined), 'validator1', started + 5_000, env, proveVote);
    expect(result).toEqual({ ok: true });
    expect(systemClock.now() - started).toBeGreaterThanOrEqual(290);
    expect(proveVote).toHaveBeenCalledTimes(2);
  });

  it('refuses when guard_bound ends after the step, naming guard_bound', async () => {
    const result = await proveHostFenced(fence(0, 60_000), 'validator1', systemClock.now() + 1_000, env, proven);
    expect(result).toMatchObject({ ok: false, detail: expect.stringContaining('guard_bound') as string });
  });

  it('refuses on a failed fence command without the vote proof, and names both', async () => {
    const noVote = (): Promise<StepResult> =>
      Promise.resolve({ ok: false, detail: 'vote account last voted 3 slots ago' });
    const result = await proveHostFenced(
      fence(120_000, 30_000, command(['false'])),
      'validator1',
      systemClock.now() + 1_000,
      env,
      noVote,
    );
    expect(result).toEqual({
      ok: false,
      detail: 'vote account last voted 3 slots ago; fence_command failed: false exited with 1',
    });
  });

  it('promotes on the vote proof once guard_bound has passed, after a failed fence command', async () => {
    const result = await proveHostFenced(
      fence(120_000, 30_000, command(['false'])),
      'validator1',
      systemClock.now() + 1_000,
      env,
      proven,
    );
    expect(result).toEqual({ ok: true });
  });
});
