import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { resolveManagerConfigFile } from '@failover/protocol';
import { freePort, startEtcd, waitFor } from '@failover/testkit';
import { MANAGER_EXIT, runManagerCli } from '../src/cli';
import { exampleConfigText } from '../src/example-config';
import { MANAGER_VERSION } from '../src/version';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  argv: string[],
  env: Record<string, string> = {},
  stopSignal: Promise<string> = Promise.resolve('test'),
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runManagerCli(argv, { stdout, stderr, env, stopSignal });
  return { code, stdout: out, stderr: err };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'manager-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(config: object): string {
  const path = join(dir, 'manager-config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('failover-manager', () => {
  it('prints its version, equal to package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(MANAGER_VERSION).toBe(pkg.version);
    await expect(cli(['--version'])).resolves.toEqual({
      code: 0,
      stdout: `failover-manager ${pkg.version}\n`,
      stderr: '',
    });
  });

  it('prints usage with --help', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('failover-manager switchover --reason TEXT');
  });

  it('generates an example config that the config loader accepts', async () => {
    const run = await cli(['--generate-config']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(exampleConfigText());
    const result = resolveManagerConfigFile({ raw: JSON.parse(run.stdout) as unknown, env: {} });
    expect(result).toMatchObject({ ok: true, config: { dryRun: true, auth: { mode: 'secret-file' } } });
  });

  it('exits only with the codes docs/manager.md lists under "Exit codes and errors"', () => {
    const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'manager.md'), 'utf8');
    const section = docs.slice(docs.indexOf('\n## Exit codes and errors\n'));
    const rows = [...section.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(rows).toEqual(Object.entries(MANAGER_EXIT));
  });

  it('exits 2 on a usage error', async () => {
    const run = await cli(['--bogus']);
    expect(run).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('FAILOVER_MANAGER_USAGE: unknown flag --bogus'),
    });
  });

  it('lists every config problem with its key and exits 2', async () => {
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      heartbeat_interval: 5,
      misses_before_failover: 'five',
      unknown_key: true,
    });
    const run = await cli(['--config', path]);
    expect(run.code).toBe(2);
    for (const key of ['heartbeat_interval', 'misses_before_failover', 'unknown_key'])
      expect(run.stderr).toContain(key);
  });

  it('names the flag a bad value came from', async () => {
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
    });
    const run = await cli(['--config', path, '--interval', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/heartbeat_interval.*--interval/);
  });

  it('refuses to start without a shared secret unless insecure_no_auth is set', async () => {
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
    });
    const run = await cli(['--config', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('FAILOVER_MANAGER_NO_AUTH');
  });

  it('refuses a shared secret file that others can read', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'x'.repeat(32), { mode: 0o644 });
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
      auth_secret_file: secret,
    });
    const run = await cli(['--config', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('FAILOVER_SECRET_FILE_PERMISSIONS');
  });

  it('refuses to start on a corrupt journal, naming the file, and exits 2', async () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    writeFileSync(join(state, 'journal.json'), '{"version": 1, "holder"');
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
      insecure_no_auth: true,
      control_listen: '127.0.0.1:0',
      state_dir: state,
    });
    const run = await cli(['--config', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`FAILOVER_STATE_FILE: state file ${join(state, 'journal.json')} is not valid JSON`);
  });

  it.each([
    ['no journal yet: an empty history', undefined, 0, 'no failover recorded'],
    ['a corrupt journal: an error', '[]', 1, 'FAILOVER_STATE_FILE'],
  ])('prints the history from the journal file when there is %s', async (_name, content, code, text) => {
    const state = join(dir, 'state');
    mkdirSync(state);
    if (content !== undefined) writeFileSync(join(state, 'journal.json'), content);
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
      state_dir: state,
    });
    const run = await cli(['history', '--config', path]);
    expect(run.code).toBe(code);
    expect(run.stdout + run.stderr).toContain(text);
  });

  it('reports a manager that is not running when asked for status', async () => {
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
      insecure_no_auth: true,
      control_listen: '127.0.0.1:9',
    });
    const run = await cli(['status', '--config', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FAILOVER_MANAGER_CONTROL: cannot reach');
  });

  it('serves /metrics and nothing else on metrics_listen, beside the control API on control_listen', async () => {
    const [controlPort, metricsPort] = [await freePort(), await freePort()];
    let stop: (reason: string) => void = () => undefined;
    const path = configFile({
      validator1: { endpoint: 'http://127.0.0.1:1' },
      validator2: { endpoint: 'http://127.0.0.1:2' },
      insecure_no_auth: true,
      control_listen: `127.0.0.1:${controlPort}`,
      metrics_listen: `127.0.0.1:${metricsPort}`,
      state_dir: join(dir, 'state'),
    });
    const running = cli(['--config', path], {}, new Promise((resolve) => (stop = resolve)));
    try {
      const scrape = await waitFor(() => fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined), {
        description: 'the metrics address to answer',
        timeoutMs: 10_000,
      });
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('failover_manager_build_info{version=');
      const control = await fetch(`http://127.0.0.1:${metricsPort}/v1/status`, { method: 'POST', body: '{}' });
      expect(control.status).toBe(404);
      expect(await control.text()).toContain('only GET /metrics is served here');
    } finally {
      stop('test');
    }
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`127.0.0.1:${metricsPort}`);
  });

  it('refuses to start, naming the key, when metrics_listen is in use, and exits 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const path = configFile({
        validator1: { endpoint: 'http://127.0.0.1:1' },
        validator2: { endpoint: 'http://127.0.0.1:2' },
        insecure_no_auth: true,
        control_listen: `127.0.0.1:${await freePort()}`,
        metrics_listen: `127.0.0.1:${port}`,
        state_dir: join(dir, 'state'),
      });
      const run = await cli(['--config', path]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `FAILOVER_MANAGER_LISTEN: cannot listen on metrics_listen 127.0.0.1:${port}: the port is in use`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('reads the history from an etcd that wants TLS and a client certificate, with the keys that name them', async () => {
    const etcd = await startEtcd({ tls: true });
    try {
      const certs = etcd.certificates!;
      const base = {
        validator1: { endpoint: 'http://127.0.0.1:1' },
        validator2: { endpoint: 'http://127.0.0.1:2' },
        etcd_endpoints: etcd.endpoints,
        etcd_ca_file: certs.caFile,
      };
      const withCert = configFile({
        ...base,
        etcd_cert_file: certs.clientCertFile,
        etcd_key_file: certs.clientKeyFile,
      });
      const run = await cli(['history', '--config', withCert]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain('no failover recorded');
      // Without the client certificate etcd refuses the connection: an error, not an empty history.
      const refused = await cli(['history', '--config', configFile(base)]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).not.toContain('no failover recorded');
    } finally {
      await etcd.stop();
    }
  });
});
