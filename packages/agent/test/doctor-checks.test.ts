import { tempDir, type TempDir } from '@failover/testkit';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { checkCommand, jsonPathsOf, unknownPlaceholders } from '../src/doctor-checks';
import { checkHostGuard, checkPeerClock } from '../src/doctor-probes';

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('doctor-checks');
});
afterEach(() => dir.remove());

describe('command templates', () => {
  it('names placeholders the agent does not fill, and leaves bash expansions alone', () => {
    const filled = { validator_identity: 'X', local_rpc: 'http://127.0.0.1:8899' };
    expect(unknownPlaceholders('grep {validator_identity} ${home} {a,b} {ledger} {ledger}', filled)).toEqual([
      'ledger',
    ]);
  });

  it('finds the binary of a hook but never runs it', async () => {
    const marker = path.join(dir.path, 'ran');
    const hook = path.join(dir.path, 'pre-promote.sh');
    writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\nexit 1\n`, { mode: 0o755 });
    const env = { PATH: process.env.PATH };
    await expect(
      checkCommand('hooks.pre_promote', `${hook} {validator_identity}`, { validator_identity: 'X' }, env, 1_000, false),
    ).resolves.toMatchObject({
      verdict: 'pass',
      detail: `${hook} found (not run)`,
    });
    expect(existsSync(marker)).toBe(false);
    await expect(checkCommand('hooks.post_demote', `${hook} {ledger}`, {}, env, 1_000, false)).resolves.toMatchObject({
      verdict: 'fail',
    });
  });

  it('finds the keypair files a command names, quoted or not', () => {
    expect(jsonPathsOf(`agave-validator set-identity '/k/staked.json'; ln -sf "/k/a.json" /k/identity.json`)).toEqual([
      '/k/staked.json',
      '/k/a.json',
      '/k/identity.json',
    ]);
  });
});

describe('host guard', () => {
  const unit = (name: string, body: string): string => {
    const units = path.join(dir.path, 'units');
    mkdirSync(units, { recursive: true });
    writeFileSync(path.join(units, name), body);
    return units;
  };

  it('finds the agent unit among others and passes its ExecStopPost= guard', async () => {
    unit('other.service', '[Service]\nExecStart=/usr/bin/true\n');
    const units = unit(
      'failover-agent.service',
      '[Service]\nExecStart=/usr/local/bin/failover-agent --config c.json\nExecStopPost=/usr/local/bin/failover-agent guard --config c.json\n',
    );
    await expect(checkHostGuard(undefined, [units])).resolves.toMatchObject({ verdict: 'pass' });
  });

  it('fails when no unit starts the agent, and when its unit has no guard', async () => {
    await expect(checkHostGuard(undefined, [path.join(dir.path, 'none')])).resolves.toMatchObject({ verdict: 'fail' });
    const units = unit('fa.service', '[Service]\nExecStart=/usr/local/bin/failover-agent\nExecStopPost=/bin/true\n');
    await expect(checkHostGuard(undefined, [units])).resolves.toMatchObject({
      verdict: 'fail',
      detail: expect.stringContaining('no ExecStopPost= running failover-agent guard'),
    });
  });
});

describe('clock skew', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const peerAhead = async (ms: number): Promise<string> => {
    server = createServer((_req, res) => {
      res.setHeader('Date', new Date(Date.now() + ms).toUTCString());
      res.end('OK');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('passes a peer within a second, and warns about one 5 s ahead', async () => {
    await expect(checkPeerClock(await peerAhead(0))).resolves.toMatchObject({ verdict: 'pass' });
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    await expect(checkPeerClock(await peerAhead(5_000))).resolves.toMatchObject({
      verdict: 'warn',
      detail: expect.stringMatching(/clocks differ by [345]\.\d s or more/),
    });
  });

  it('warns, without failing, when there is no peer to ask', async () => {
    await expect(checkPeerClock(undefined)).resolves.toMatchObject({ verdict: 'warn' });
  });
});
