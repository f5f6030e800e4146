import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { LocalRpc, RpcResult } from '@failover/protocol';
import { systemClock } from '@failover/protocol';
import { createProcessProbe } from '../src/process-probe';
import { createProcessWatch, type ProcessWatch } from '../src/process-watch';
import { createValidatorSampler, type ValidatorSampler } from '../src/validator-sampler';

/** A probe loop far slower than any wait below: only the watch's own checks can see an exit in time. */
const PROBE_INTERVAL_MS = 600_000;

const noRpc = (): Promise<RpcResult<never>> =>
  Promise.resolve({ ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: 'http://127.0.0.1:1' });
const localRpc: LocalRpc = { getHealth: noRpc, getSlot: noRpc, getIdentity: noRpc, getVersion: noRpc };

const children: ChildProcess[] = [];

/** A real process whose /proc comm is `name`, once it has set its title. */
async function spawnNamed(name: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', `process.title = ${JSON.stringify(name)}; console.log('up'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(child);
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

interface Rig {
  readonly watch: ProcessWatch;
  readonly sampler: ValidatorSampler;
  stop(): Promise<void>;
}

async function rig(name: string): Promise<Rig> {
  const probe = createProcessProbe({ processName: name, clock: systemClock });
  const watch = createProcessWatch({ clock: systemClock, confirm: () => sampler.refresh(1_000), checkIntervalMs: 20 });
  const sampler = createValidatorSampler({
    probe,
    localRpc,
    clock: systemClock,
    intervalMs: PROBE_INTERVAL_MS,
    onSample: (sample) => watch.observe(sample),
  });
  await sampler.start();
  watch.start();
  return {
    watch,
    sampler,
    async stop() {
      await watch.stop();
      await sampler.stop();
    },
  };
}

const rigs: Rig[] = [];
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.stop()));
  await Promise.all(
    children
      .splice(0)
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(kill),
  );
});

const uniqueName = (): string => `fw-${randomBytes(4).toString('hex')}`;

describe('process watch', () => {
  it('sees the validator exit between probes and answers a held wait with the instant it saw', async () => {
    const name = uniqueName();
    const child = await spawnNamed(name);
    const r = await rig(name);
    rigs.push(r);
    expect(r.watch.current()).toEqual({ running: true, exitedAt: null });

    const held = r.watch.wait(true, PROBE_INTERVAL_MS);
    const killedAt = Date.now();
    await kill(child);
    const seen = await held;

    expect(seen.running).toBe(false);
    expect(seen.exitedAt).toBeGreaterThanOrEqual(killedAt);
    expect(r.sampler.view().sample?.process).toMatchObject({ ok: true, snapshot: { running: false } });
  });

  it('never reports an exit it did not see: a validator down since the start is only not running', async () => {
    const r = await rig(uniqueName());
    rigs.push(r);
    expect(r.watch.current()).toEqual({ running: false, exitedAt: null });
    await expect(r.watch.wait(true, 1_000)).resolves.toEqual({ running: false, exitedAt: null });
  });

  it('takes a validator already running again at the confirming probe (a restart) for no exit', async () => {
    const name = uniqueName();
    const first = await spawnNamed(name);
    const r = await rig(name);
    rigs.push(r);
    // The replacement starts before the first one dies, so the confirming probe cannot miss it.
    const second = await spawnNamed(name);
    await kill(first);
    // Long enough for several checks, each of which now finds the replacement.
    await expect(r.watch.wait(true, 500)).resolves.toEqual({ running: true, exitedAt: null });
    expect(r.sampler.view().sample?.process).toMatchObject({ ok: true, snapshot: { pids: [second.pid] } });
  });

  it('answers a wait at once when the process is already otherwise, and every held wait when it stops', async () => {
    const name = uniqueName();
    await spawnNamed(name);
    const r = await rig(name);
    await expect(r.watch.wait(false, PROBE_INTERVAL_MS)).resolves.toEqual({ running: true, exitedAt: null });
    const held = r.watch.wait(true, PROBE_INTERVAL_MS);
    await r.stop();
    await expect(held).resolves.toEqual({ running: true, exitedAt: null });
  });
});
