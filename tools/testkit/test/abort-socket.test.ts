import { spawn } from 'node:child_process';
import { join } from 'node:path';

const fixture = join(__dirname, 'fixtures', 'abort-after-end.ts');

// Resolves with the exit code, or 'hung' when the process is still running after `limitMs`.
function runToExit(limitMs: number): Promise<{ outcome: number | 'hung'; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ outcome: 'hung', output });
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ outcome: code ?? -1, output });
    });
  });
}

describe('abortSocket', () => {
  // Regression: resetAndDestroy() on a socket whose end() was still in flight left its handle open
  // and the process spinning at exit; a test runner that used the proxy never ended.
  it('lets the process exit when the socket it aborts is already ending', async () => {
    const { outcome, output } = await runToExit(10_000);
    expect({ outcome, output }).toEqual({ outcome: 0, output: 'closed\n' });
  });
});
