import { loadAgentConfig } from '@failover/protocol';
import { freePort, tempDir, type TempDir } from '@failover/testkit';
import { generateKeypair } from '@failover/core';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAgentArgs } from '../src/cli-args';
import { AGENT_EXIT, runAgentCli, type AgentCliIo } from '../src/cli';
import { AGENT_VERSION } from '../src/version';
import { capture } from './support/capture';

function io(
  env: Record<string, string> = {},
): AgentCliIo & { out: ReturnType<typeof capture>; err: ReturnType<typeof capture> } {
  const out = capture();
  const err = capture();
  return { stdout: out, stderr: err, out, err, env, onStopSignal: () => () => undefined };
}

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('agent-cli');
});
afterEach(() => dir.remove());

describe('command line', () => {
  it.each([
    [
      ['--config', 'c.json', '--dry-run=false', '-listen', ':9000'],
      { configPath: 'c.json', flags: { 'dry-run': 'false', listen: ':9000' } },
    ],
    [
      ['--active', '--rpc=http://127.0.0.1:8899'],
      { configPath: undefined, flags: { active: true, rpc: 'http://127.0.0.1:8899' } },
    ],
  ])('parses %j as Go flag syntax', (argv, expected) => {
    expect(parseAgentArgs(argv)).toEqual({ ok: true, command: 'run', ...expected });
  });

  it('exits only with the codes docs/agent.md lists under "Exit codes"', () => {
    const docs = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'agent.md'), 'utf8');
    const section = docs.slice(
      docs.indexOf('\n## Exit codes\n'),
      docs.indexOf('\n## ', docs.indexOf('\n## Exit codes\n') + 1),
    );
    const rows = [...section.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(rows).toEqual(Object.entries(AGENT_EXIT));
  });

  it('refuses an unknown flag with exit code 2', async () => {
    const cli = io();
    await expect(runAgentCli(['--listne', ':1'], cli)).resolves.toBe(2);
    expect(cli.err.text()).toContain('unknown flag --listne');
  });

  it('prints help and version', async () => {
    const help = io();
    await expect(runAgentCli(['--help'], help)).resolves.toBe(0);
    expect(help.out.text()).toContain('--generate-config');
    const version = io();
    await expect(runAgentCli(['-version'], version)).resolves.toBe(0);
    expect(version.out.text()).toBe(`failover-agent ${AGENT_VERSION}\n`);
  });

  it('generates an example config that the loader accepts, with a comment per key', async () => {
    const cli = io();
    await expect(runAgentCli(['--generate-config'], cli)).resolves.toBe(0);
    const file = path.join(dir.path, 'generated.json');
    writeFileSync(file, cli.out.text());
    await expect(loadAgentConfig({ file, env: {} })).resolves.toMatchObject({ ok: true, config: { dryRun: true } });
    expect(cli.err.text()).toContain('# manager_timeout:');
  });

  it.each(['frankendancer', 'firedancer'] as const)(
    'generates a %s example that the loader accepts, its commands from the profile',
    async (client) => {
      const cli = io();
      await expect(runAgentCli(['--generate-config', '--client', client], cli)).resolves.toBe(0);
      const file = path.join(dir.path, `${client}.json`);
      writeFileSync(file, cli.out.text());
      const loaded = await loadAgentConfig({ file, env: {} });
      expect(loaded).toMatchObject({
        ok: true,
        config: { validatorClient: client, processName: client === 'frankendancer' ? 'fdctl' : 'firedancer' },
      });
      expect(loaded.ok && loaded.config.commands.identityChange).toMatch(
        client === 'frankendancer' ? /^fdctl set-identity --config \S+ --require-tower / : /^firedancer set-identity /,
      );
    },
  );

  it('refuses --generate-config for an unknown client with exit code 2', async () => {
    const cli = io();
    await expect(runAgentCli(['--generate-config', '--client', 'jito'], cli)).resolves.toBe(2);
    expect(cli.err.text()).toContain('--client is "jito"; it must be one of agave, frankendancer, firedancer');
  });

  it('lists every problem of an invalid config and exits 2', async () => {
    const file = path.join(dir.path, 'validator-config.json');
    writeFileSync(
      file,
      JSON.stringify({
        validator_identity: 'Stake11111111111111111111111111111111111111',
        ledger_path: dir.path,
        manager_timeout: 30,
        dry_run: 'yes',
        listen_adr: ':8080',
      }),
    );
    const cli = io();
    await expect(runAgentCli(['--config', file], cli)).resolves.toBe(2);
    const text = cli.err.text();
    expect(text).toContain('3 problems');
    for (const key of ['manager_timeout', 'dry_run', 'listen_adr']) expect(text).toContain(key);
  });

  it('names a bad value that came from the environment', async () => {
    const cli = io({ VALIDATOR_DRY_RUN: 'maybe' });
    await expect(runAgentCli([], cli)).resolves.toBe(2);
    expect(cli.err.text()).toContain('VALIDATOR_DRY_RUN');
  });

  it('refuses to start without a shared secret unless insecure_no_auth is set', async () => {
    const file = path.join(dir.path, 'validator-config.json');
    writeFileSync(
      file,
      JSON.stringify({ validator_identity: 'Stake11111111111111111111111111111111111111', ledger_path: dir.path }),
    );
    const cli = io();
    await expect(runAgentCli(['--config', file], cli)).resolves.toBe(2);
    expect(cli.err.text()).toContain('FAILOVER_AGENT_NO_AUTH');
  });

  it('logs one JSON object per line with --log-format json, and stops on the stop signal', async () => {
    const file = path.join(dir.path, 'validator-config.json');
    const port = await freePort();
    writeFileSync(
      file,
      JSON.stringify({
        listen_addr: `127.0.0.1:${port}`,
        local_rpc: `http://127.0.0.1:${await freePort()}`,
        validator_identity: generateKeypair().pubkey,
        ledger_path: dir.path,
        tower_store_dir: path.join(dir.path, 'towers'),
        state_dir: path.join(dir.path, 'state'),
        insecure_no_auth: true,
        local_ip: '127.0.0.1',
      }),
    );
    const cli = io();
    let stop: (signal: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => {
      Object.assign(cli, {
        onStopSignal: (s: (signal: string) => void) => ((stop = s), () => undefined),
        onListening: resolve,
      });
    });
    const exited = runAgentCli(['--config', file, '--log-format', 'json'], cli);
    await expect(listening).resolves.toBe(`http://127.0.0.1:${port}`);
    stop('SIGTERM');
    await expect(exited).resolves.toBe(0);
    const lines = cli.out.text().trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(cli.out.text()).toContain('failover-agent listening on');
  });
});
