import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir, waitFor, WaitTimeoutError } from '@failover/testkit';

describe('freePort', () => {
  it('returns a port that can be bound on loopback right away', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

describe('tempDir', () => {
  it('creates a private directory and removes it with its contents', () => {
    const dir = tempDir('helpers');
    writeFileSync(join(dir.path, 'file'), 'x');
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
    expect(() => dir.remove()).not.toThrow();
  });
});

describe('waitFor', () => {
  it('returns the first truthy value of the predicate', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `after ${calls}` : false), {
      description: 'three calls',
      intervalMs: 1,
    });
    expect(value).toBe('after 3');
  });

  it('fails with the description and the last error at the deadline', async () => {
    const error: unknown = await waitFor(
      () => {
        throw new Error('still booting');
      },
      { description: 'the agent to answer', timeoutMs: 30, intervalMs: 5 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toBe(
      'FAILOVER_TESTKIT_TIMEOUT: timed out after 30 ms waiting for the agent to answer; last error: still booting',
    );
  });
});
