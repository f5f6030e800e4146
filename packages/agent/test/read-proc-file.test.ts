import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, type TempDir } from '@failover/testkit';
import { readProcFile } from '../src/internal/read-proc-file';

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('read-proc');
});
afterEach(() => dir.remove());

describe('readProcFile', () => {
  it('reads a /proc file that reports a size of 0', async () => {
    expect(await readProcFile('/proc/self/comm', 64)).toBe(readFileSync('/proc/self/comm', 'utf8'));
  });

  it('reads no more than the limit', async () => {
    const file = path.join(dir.path, 'long');
    writeFileSync(file, 'x'.repeat(100));
    expect(await readProcFile(file, 10)).toBe('x'.repeat(10));
  });

  it('answers undefined for a file that is gone, as for a process that exited', async () => {
    expect(await readProcFile(path.join(dir.path, 'missing'), 64)).toBeUndefined();
  });
});
