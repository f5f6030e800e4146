import { generateKeypair } from '@failover/core';
import { freePort, tempDir, waitFor, type TempDir } from '@failover/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

jest.setTimeout(60_000);

let dir: TempDir | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  dir?.remove();
});

function startAgentProcess(configFile: string): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', 'support', 'run-agent.ts'), '--config', configFile],
    {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { child: proc, output: () => output, exited };
}

async function writeConfig(dir: TempDir, port: number): Promise<string> {
  const configFile = path.join(dir.path, 'validator-config.json');
  writeFileSync(
    configFile,
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
  return configFile;
}

describe('the failover-agent process', () => {
  it("serves Prometheus metrics, its own and the process's, without authentication", async () => {
    dir = tempDir('agent-process');
    const port = await freePort();
    const agent = startAgentProcess(await writeConfig(dir, port));
    child = agent.child;
    const body = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      },
      { description: 'the agent to serve /metrics', timeoutMs: 30_000, intervalMs: 100 },
    );
    const rss = /^process_resident_memory_bytes (\d+)$/m.exec(body);
    expect(Number(rss?.[1])).toBeGreaterThan(10_000_000);
    // The validator's RPC is down: the agent starts without a role and says so.
    expect(body).toMatch(/^failover_agent_validator_process_up 0$/m);
    expect(body).toMatch(/^failover_agent_role\{role="(passive|unknown)"\} 1$/m);
  });

  it.each([['SIGTERM'], ['SIGINT']] as const)(
    'stops cleanly with exit code 0 on %s, and warns at start when running without authentication',
    async (signal) => {
      dir = tempDir('agent-process');
      const port = await freePort();
      const agent = startAgentProcess(await writeConfig(dir, port));
      child = agent.child;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok, {
        description: 'the agent to listen',
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      agent.child.kill(signal);
      await expect(agent.exited).resolves.toBe(0);
      expect(agent.output()).toContain('insecure_no_auth');
      expect(agent.output()).toContain(`received ${signal}`);
    },
  );
});
