import { PassThrough } from 'node:stream';
import { runManagerCli } from '../src/cli';
import { fetchControlStatus, type ControlTarget } from '../src/control-client';
import { startRig, type ManagerProcess, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API, and the manager run as a process of its own
// (twice in the first test): minutes of budget on a 2-core machine.
jest.setTimeout(180_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** `failover-manager SUBCOMMAND --config FILE …`, in-process, as an operator types it: what it printed and its exit code. */
async function cli(r: Rig, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [command = '', ...rest] = args;
  const code = await runManagerCli([command, '--config', r.managerConfigPath, ...rest], {
    stdout,
    stderr,
    env: {},
    stopSignal: new Promise<string>(() => undefined),
  });
  return { code, out, err };
}

/** Starts the manager as a process and waits until it sees validator1 voting as the active. */
async function startWatching(r: Rig): Promise<{ manager: ManagerProcess; control: ControlTarget }> {
  const [v1] = r.cluster.validators;
  await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
  const manager = r.spawnManager();
  const control = await r.control();
  await r.cluster.waitFor(
    `the manager to see v1 active\n${manager.output()}`,
    async () => (await fetchControlStatus(control).catch(() => undefined))?.active === 'validator1' || undefined,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return { manager, control };
}

function messages(r: Rig, text: string): string[] {
  return r.telegram.messages.filter((m) => m.text.includes(text)).map((m) => m.text);
}

/**
 * Nobody took the identity over while the manager ran `ms` more heartbeats past a crashed active:
 * the simulator's judge sees no violation, validator2 runs its own identity, no failover began.
 */
async function expectNoFailoverFor(r: Rig, ms: number): Promise<void> {
  const [, v2] = r.cluster.validators;
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(messages(r, 'Failover started')).toEqual([]);
  expect(await v2!.identity()).not.toBe(r.cluster.stakedPubkey);
  expect(await r.cluster.judge.violations()).toEqual([]);
}

async function expectFailoverToValidator2(r: Rig): Promise<void> {
  const [, v2] = r.cluster.validators;
  await r.cluster.waitFor(
    'a failover complete message',
    async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  await r.cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 15_000 });
  expect(await v2!.identity()).toBe(r.cluster.stakedPubkey);
  expect(await r.cluster.judge.violations()).toEqual([]);
}

describe('maintenance mode against the real programs', () => {
  it('paused, a crashed active is not replaced, also by a restarted manager; once resumed it is', async () => {
    rig = await startRig();
    const r = rig;
    const [v1] = r.cluster.validators;
    const { manager, control } = await startWatching(r);

    const paused = await cli(r, 'pause', '--reason', 'kernel upgrade');
    expect(paused).toMatchObject({ code: 0, err: '' });
    expect(paused.out).toMatch(/^paused: kernel upgrade \(since .*, until resumed\)/);
    await r.cluster.waitFor('the pause message', async () => messages(r, 'paused for maintenance')[0], {
      timeoutMs: 10_000,
      intervalMs: 50,
    });

    await v1!.crash();
    const blocked = await r.cluster.waitFor(
      'a blocked message with the pause as its cause',
      async () =>
        messages(r, 'Failover blocked').find((text) => text.includes('paused for maintenance (kernel upgrade)')),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    expect(blocked).toContain('until resumed');
    await expectNoFailoverFor(r, 3_000);

    // A restart reads the pause back from the journal.
    manager.process.kill('SIGKILL');
    await manager.exited;
    const again = r.spawnManager();
    await r.cluster.waitFor(
      `the restarted manager to report itself paused\n${again.output()}`,
      async () =>
        (await fetchControlStatus(control).catch(() => undefined))?.paused?.reason === 'kernel upgrade' || undefined,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const status = await cli(r, 'status');
    expect(status.out).toMatch(/^PAUSED: kernel upgrade \(since .*, until resumed\); no automatic failover/m);
    await r.cluster.waitFor(
      'the restarted manager to hold for the pause',
      async () => (await fetchControlStatus(control)).hold?.startsWith('paused for maintenance') || undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await expectNoFailoverFor(r, 2_000);

    const resumed = await cli(r, 'resume', '--reason', 'upgrade done');
    expect(resumed).toMatchObject({ code: 0, err: '' });
    expect(resumed.out).toMatch(/^resumed: automatic failover armed again \(it was paused: kernel upgrade/);
    await expectFailoverToValidator2(r);
    expect(messages(r, 'Automatic failover resumed')[0]).toContain('upgrade done');
    expect((await fetchControlStatus(control)).paused).toBeNull();
  });

  it('a pause given a duration expires by itself, and the failover it held back runs', async () => {
    rig = await startRig();
    const r = rig;
    const [v1] = r.cluster.validators;
    await startWatching(r);

    expect((await cli(r, 'pause', '--reason', 'quick reboot', '--for', '4s')).code).toBe(0);
    await v1!.crash();
    await r.cluster.waitFor(
      'a blocked message with the pause as its cause',
      async () => messages(r, 'Failover blocked').find((text) => text.includes('quick reboot')),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    expect(messages(r, 'Failover started')).toEqual([]);
    await r.cluster.waitFor('the pause to expire', async () => messages(r, 'Maintenance pause expired')[0], {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    await expectFailoverToValidator2(r);

    const refused = await cli(r, 'resume');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('refused (not-paused): the manager is not paused\n');
  });
});
