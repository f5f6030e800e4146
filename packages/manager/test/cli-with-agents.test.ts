import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runManagerCli, type ManagerCliIo } from '../src/cli';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(90_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function io(stopSignal: Promise<string>): { io: ManagerCliIo; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  return { io: { stdout, stderr, env: {}, stopSignal }, out: () => text };
}

/**
 * The Go tool's example manager-config.json with its values pointed at this rig: the same
 * keys, plus only the auth key (required), the Bot API root of the fake Telegram and a state
 * directory of the rig's own.
 */
function goConfig(r: Rig): string {
  const example = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'go-manager-config.json'), 'utf8')) as Record<
    string,
    Record<string, unknown> | unknown
  >;
  const [a1, a2] = r.agents;
  const config = {
    ...example,
    validator1: {
      ...(example.validator1 as object),
      endpoint: a1.url,
      ip: a1.validator.ip,
      ledger_path: a1.validator.ledgerDir,
    },
    validator2: {
      ...(example.validator2 as object),
      endpoint: a2.url,
      ip: a2.validator.ip,
      ledger_path: a2.validator.ledgerDir,
    },
    gossip_check_command: `solana -u ${r.cluster.rpcUrl} gossip | grep ${r.cluster.stakedPubkey}`,
    cluster_rpc: r.cluster.rpcUrl,
    telegram_bot_token: r.telegram.token,
    log_file: join(r.dir, 'manager.log'),
    auth_secret_file: r.secretPath,
    telegram_api_root: r.telegram.apiRoot,
    state_dir: join(r.dir, 'manager-state'),
  };
  const path = join(r.dir, 'manager-config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

describe('failover-manager with real agents', () => {
  it("accepts the Go tool's example manager-config.json and monitors both validators", async () => {
    rig = await startRig();
    const r = rig;
    const path = goConfig(r);
    let stop: (reason: string) => void = () => undefined;
    const cli = io(new Promise<string>((resolve) => (stop = resolve)));
    const PATH = `${r.cluster.binDir}:${process.env.PATH ?? ''}`;
    const running = runManagerCli(['--config', path, '--interval', '200ms'], { ...cli.io, env: { PATH } });
    await r.cluster.waitFor(
      'the started message',
      async () => r.telegram.messages.find((m) => m.text.includes('started')),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    await r.cluster.waitFor(
      'heartbeats at both agents',
      async () => r.agents.every((a) => (a.output.match(/url":"\/status/g) ?? []).length >= 3) || undefined,
      { timeoutMs: 15_000 },
    );
    stop('test');
    await expect(running).resolves.toBe(0);
    expect(readFileSync(join(r.dir, 'manager.log'), 'utf8')).toContain('monitoring');
    expect(r.telegram.messages.some((m) => m.text.includes('stopped'))).toBe(true);
  });

  it('shuts both agents down with --shutdown-agent', async () => {
    rig = await startRig();
    const r = rig;
    const cli = io(Promise.resolve('unused'));
    const code = await runManagerCli(['--config', goConfig(r), '--shutdown-agent'], cli.io);
    expect(cli.out()).toContain('validator1');
    expect(code).toBe(0);
    await r.cluster.waitFor(
      'both agents to exit',
      async () => r.agents.every((a) => a.process.exitCode !== null || a.process.signalCode !== null) || undefined,
      { timeoutMs: 15_000 },
    );
  });
});
