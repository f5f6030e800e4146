import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimulatedClock } from '@failover/core/testing';
import { systemClock } from '@failover/protocol';
import {
  argv0Name,
  createProcessProbe,
  isExited,
  parseStartTicks,
  type ProcessSnapshot,
  type ValidatorProbe,
} from '../src/process-probe';

const children: ChildProcess[] = [];

function spawnNamed(title: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['-e', `process.title = ${JSON.stringify(title)}; setInterval(() => {}, 1000);`],
    { stdio: 'ignore' },
  );
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function probeUntil(probe: ValidatorProbe, accept: (s: ProcessSnapshot) => boolean): Promise<ProcessSnapshot> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const snapshot = await probe.probe();
    if (accept(snapshot)) return snapshot;
    if (Date.now() > deadline) throw new Error(`probe never matched; last ${JSON.stringify(snapshot)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pid of a zombie whose /proc/PID/comm is `name`. */
async function waitForZombie(name: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trimEnd() !== name) continue;
        if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) return Number(entry);
      } catch {
        // gone between readdir and read
      }
    }
    if (Date.now() > deadline) throw new Error(`no zombie named ${name} appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const uniqueName = (prefix: string): string => `${prefix}${randomBytes(3).toString('hex')}`;

afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
});

describe('process probe', () => {
  it('reports not running when no process has the exact name', async () => {
    const probe = createProcessProbe({ processName: uniqueName('absent-'), clock: systemClock });
    expect(await probe.probe()).toEqual({
      running: false,
      pids: [],
      uptimeSeconds: 0,
      recentRestarts: 0,
      crashLoop: false,
    });
  });

  it('finds a process by its exact name and not by a prefix of it', async () => {
    const name = uniqueName('fo-');
    const child = spawnNamed(name);
    const probe = createProcessProbe({ processName: name, clock: systemClock });
    const snapshot = await probeUntil(probe, (s) => s.running);
    expect(snapshot.pids).toEqual([child.pid]);
    expect(snapshot.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect((await createProcessProbe({ processName: name.slice(0, -1), clock: systemClock }).probe()).running).toBe(
      false,
    );
  });

  it('matches names longer than 15 characters on argv[0], which /proc/PID/comm truncates', async () => {
    const name = uniqueName('solana-validator-');
    const child = spawnNamed(name);
    const probe = createProcessProbe({ processName: name, clock: systemClock });
    const snapshot = await probeUntil(probe, (s) => s.running);
    expect(snapshot.pids).toEqual([child.pid]);
    const sameFirst15 = createProcessProbe({ processName: `${name.slice(0, 15)}zz`, clock: systemClock });
    expect((await sameFirst15.probe()).running).toBe(false);
  });

  // Regression: a killed validator not yet reaped by its parent was reported as running, so a
  // crash looked like "RPC unreachable" until the zombie went.
  it('reports a process that exited but is not yet reaped (a zombie) as not running', async () => {
    const name = uniqueName('fo-');
    const dir = mkdtempSync(path.join(tmpdir(), 'failover-zombie-'));
    const program = path.join(dir, name);
    copyFileSync('/bin/true', program);
    // `exec sleep` replaces the shell with a parent that never waits: the exited child stays a zombie.
    const parent = spawn('sh', ['-c', `${program} & exec sleep 30`], { stdio: 'ignore' });
    children.push(parent);
    try {
      await probeUntil(createProcessProbe({ processName: 'sleep', clock: systemClock }), (s) =>
        s.pids.includes(parent.pid ?? -1),
      );
      const zombie = await waitForZombie(name);
      expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
      expect((await createProcessProbe({ processName: name, clock: systemClock }).probe()).running).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists several matching PIDs, oldest first', async () => {
    const name = uniqueName('fo-');
    const first = spawnNamed(name);
    const probe = createProcessProbe({ processName: name, fullScanMs: 0, clock: systemClock });
    await probeUntil(probe, (s) => s.running);
    const second = spawnNamed(name);
    const snapshot = await probeUntil(probe, (s) => s.pids.length === 2);
    expect(snapshot.pids).toEqual([first.pid, second.pid]);
    expect(snapshot.recentRestarts).toBe(0);
  });

  it('flags a crash loop after the threshold of restarts within the window, and clears it after', async () => {
    const name = uniqueName('fo-');
    const clock = new SimulatedClock(1_000_000);
    const probe = createProcessProbe({ processName: name, crashLoopRestarts: 2, crashLoopWindowMs: 60_000, clock });
    let child = spawnNamed(name);
    await probeUntil(probe, (s) => s.running);
    for (let restart = 1; restart <= 2; restart++) {
      await stop(child);
      const previous = child.pid;
      child = spawnNamed(name);
      clock.advance(1_000);
      const snapshot = await probeUntil(probe, (s) => s.pids[0] !== undefined && s.pids[0] !== previous);
      expect(snapshot.recentRestarts).toBe(restart);
      expect(snapshot.crashLoop).toBe(restart >= 2);
    }
    clock.advance(61_000);
    expect(await probe.probe()).toMatchObject({ running: true, recentRestarts: 0, crashLoop: false });
  });
});

/** A /proc of files: one directory per process with its `comm` and `stat`, and `uptime`. */
function fakeProc() {
  const root = mkdtempSync(path.join(tmpdir(), 'failover-proc-'));
  writeFileSync(path.join(root, 'uptime'), '5000.00 9000.00\n');
  return {
    root,
    /** Writes process `pid` as running `name` since `startTicks`, in state `state`. */
    set(pid: number, name: string, startTicks: number, state = 'S'): void {
      mkdirSync(path.join(root, String(pid)), { recursive: true });
      writeFileSync(path.join(root, String(pid), 'comm'), `${name}\n`);
      writeFileSync(
        path.join(root, String(pid), 'stat'),
        `${pid} (${name}) ${state} 1 ${pid} ${pid} 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 ${startTicks} 1000 10 0\n`,
      );
    },
    remove: (pid: number): void => rmSync(path.join(root, String(pid)), { recursive: true, force: true }),
    cleanUp: (): void => rmSync(root, { recursive: true, force: true }),
  };
}

describe('process probe between full scans of /proc', () => {
  let proc: ReturnType<typeof fakeProc>;
  let clock: SimulatedClock;
  let probe: ValidatorProbe;
  beforeEach(() => {
    proc = fakeProc();
    clock = new SimulatedClock(0);
    proc.set(100, 'agave-validator', 1_000);
    proc.set(101, 'bash', 900);
    probe = createProcessProbe({ processName: 'agave-validator', procRoot: proc.root, clock });
  });
  afterEach(() => proc.cleanUp());

  it('follows the running validator by its PID, and finds one started beside it at the next scan', async () => {
    expect(await probe.probe()).toMatchObject({ running: true, pids: [100], uptimeSeconds: 4_990 });
    proc.set(200, 'agave-validator', 2_000);
    clock.advance(1_999);
    expect(await probe.probe()).toMatchObject({ running: true, pids: [100] });
    clock.advance(1);
    expect(await probe.probe()).toMatchObject({ running: true, pids: [100, 200], recentRestarts: 0 });
  });

  it.each([
    ['exited', () => proc.remove(100), [200]],
    ['a zombie', () => proc.set(100, 'agave-validator', 1_000, 'Z'), [200]],
    ['another program (exec)', () => proc.set(100, 'bash', 1_000), [200]],
    ['reused by a newer validator', () => proc.set(100, 'agave-validator', 3_000), [200, 100]],
  ])(
    'scans at once when the followed PID is %s, so a restart is seen by the next probe',
    async (_case, change, pids) => {
      await probe.probe();
      proc.set(200, 'agave-validator', 2_000);
      change();
      clock.advance(400);
      expect(await probe.probe()).toMatchObject({ running: true, pids, recentRestarts: 1 });
    },
  );

  it('scans at once when the clock steps back, rather than follow the PID until it catches up', async () => {
    let now = 10_000;
    const stepping = { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined };
    const following = createProcessProbe({ processName: 'agave-validator', procRoot: proc.root, clock: stepping });
    await following.probe();
    proc.set(200, 'agave-validator', 2_000);
    now = 0;
    expect((await following.probe()).pids).toEqual([100, 200]);
  });

  it('scans every probe while the validator is down, and every probe with fullScanMs 0', async () => {
    proc.remove(100);
    expect((await probe.probe()).running).toBe(false);
    proc.set(100, 'agave-validator', 1_000);
    expect((await probe.probe()).pids).toEqual([100]);

    const scanning = createProcessProbe({
      processName: 'agave-validator',
      procRoot: proc.root,
      fullScanMs: 0,
      clock,
    });
    await scanning.probe();
    proc.set(200, 'agave-validator', 2_000);
    expect((await scanning.probe()).pids).toEqual([100, 200]);
  });
});

describe('/proc parsing', () => {
  it.each([
    ['a plain name', '1234 (agave-validator) S 1 1234 1234 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 987654 1000 10 0'],
    [
      'a name with spaces and parentheses',
      '1234 (a (b) c) S 1 1234 1234 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 987654 1000 10 0',
    ],
  ])('reads starttime from stat with %s', (_case, stat) => {
    expect(parseStartTicks(stat)).toBe(987654);
  });

  it.each([
    ['a zombie', '1234 (agave-validator) Z 1 1234 1234 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 987654 0 0 0', true],
    ['a dead process', '1234 (a (b) c) X 1 1234 1234 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 987654 0 0 0', true],
    ['a sleeping process', '1234 (a) Z) S 1 1234 1234 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 40 0 987654 1000 10 0', false],
  ])('tells from the state field whether %s has exited', (_case, stat, exited) => {
    expect(isExited(stat)).toBe(exited);
  });

  it('refuses a stat line without a name field', () => {
    expect(parseStartTicks('garbage')).toBeUndefined();
  });

  it('takes the basename of argv[0]', () => {
    expect(argv0Name('/home/sol/bin/agave-validator\0--identity\0id.json\0')).toBe('agave-validator');
  });
});
