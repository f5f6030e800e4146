import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createAgentClient } from '@failover/protocol';
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
 * keys, plus only the auth key (required), the Bot API root of the fake Telegram and the rig's
 * state directory (a test never writes to the default one).
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
    state_dir: r.stateDir,
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
    try {
      await r.cluster.waitFor(
        'the started message',
        async () => r.telegram.messages.find((m) => m.text.includes('started')),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      // Each agent names this manager among the senders of its last minute, and sees it again a
      // second later: it is heartbeating both, not only started.
      const secret = Buffer.from(readFileSync(r.secretPath, 'utf8').trim());
      const clients = r.agents.map((a) => createAgentClient({ baseUrl: a.url, secret, timeoutMs: 5_000 }));
      const lastSeen = async (): Promise<number[] | undefined> => {
        const seen: number[] = [];
        for (const client of clients) {
          const status = await client.status();
          const sighting = status.ok ? status.value.recent_senders?.[0] : undefined;
          if (sighting === undefined) return undefined;
          seen.push(sighting.last_seen);
        }
        return seen;
      };
      const first = await r.cluster.waitFor('heartbeats at both agents', lastSeen, { timeoutMs: 15_000 });
      await r.cluster.waitFor(
        'later heartbeats at both agents',
        async () => (await lastSeen())?.every((at, i) => at > first[i]!) || undefined,
        { timeoutMs: 15_000 },
      );
    } finally {
      // A manager left running would keep jest from exiting after a failure here.
      stop('test');
    }
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
