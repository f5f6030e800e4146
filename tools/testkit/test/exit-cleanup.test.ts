import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@failover/testkit';

interface Leaked {
  pid: number;
  dirs: string[];
}

const fixture = join(__dirname, 'fixtures', 'start-and-leave.ts');
const outputs = new WeakMap<object, () => string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Runs the fixture in its own Node process; resolves with what it leaked and a way to signal it.
function runFixture(
  mode: 'exit' | 'wait' | 'stop',
): Promise<{ leaked: Leaked; child: ReturnType<typeof spawn>; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  outputs.set(child, () => output);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const out = output;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve({ leaked: JSON.parse(line) as Leaked, child, exited });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before reporting`)));
  });
}

describe('exit cleanup', () => {
  it('kills started processes and removes temp dirs when the process ends without stopping them', async () => {
    const { leaked, exited } = await runFixture('exit');
    await exited;
    await waitFor(() => !isAlive(leaked.pid), { description: `sshd ${leaked.pid} to be gone`, timeoutMs: 3000 });
    expect(leaked.dirs.filter((d) => existsSync(d))).toEqual([]);
  });

  it('kills started processes and removes temp dirs when the process is sent SIGTERM', async () => {
    const { leaked, child, exited } = await runFixture('wait');
    expect(isAlive(leaked.pid)).toBe(true);
    child.kill('SIGTERM');
    await exited;
    await waitFor(() => !isAlive(leaked.pid), { description: `sshd ${leaked.pid} to be gone`, timeoutMs: 3000 });
    expect(leaked.dirs.filter((d) => existsSync(d))).toEqual([]);
  });

  // Regression: stop() and kill() awaited the exit of an unref'd child, so a script's event loop could
  // empty and end the process before the stop completed.
  it('keeps a plain script alive until an awaited kill has finished', async () => {
    const { leaked, child, exited } = await runFixture('stop');
    await exited;
    expect(outputs.get(child)?.()).toContain('stopped\n');
    expect(isAlive(leaked.pid)).toBe(false);
  });
});
