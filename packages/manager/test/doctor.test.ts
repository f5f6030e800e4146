import type { DoctorReport, DoctorRow } from '@failover/protocol';
import { freePort, startCuttableProxy, startSshd, type CuttableProxy, type SshdHandle } from '@failover/testkit';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runManagerCli } from '../src/cli';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd, sshd and fake Bot API: generous set-up budget on a 2-core machine.
jest.setTimeout(120_000);

let rig: Rig;
let rpcProxy: CuttableProxy;
const servers: SshdHandle[] = [];
/** A manager config every check of which passes: two cluster endpoints, secure mode, Telegram, etcd. */
let healthy: Record<string, unknown>;

// One rig for the file: the doctor only reads, so each case runs on a copy of the config.
beforeAll(async () => {
  rig = await startRig();
  const [v1, v2] = rig.cluster.validators;
  // A second endpoint to the cluster: the doctor reads each on its own, as the executor does.
  rpcProxy = await startCuttableProxy({ target: new URL(rig.cluster.rpcUrl).host });
  for (const v of [v1, v2]) servers.push(await startSshd({ listenHost: v!.ip }));
  const knownHosts = join(rig.dir, 'known_hosts');
  writeFileSync(knownHosts, servers.map((s) => `${s.knownHostsLine}\n`).join(''), { mode: 0o600 });
  const keypair = join(rig.dir, 'staked-keypair.json');
  writeFileSync(keypair, readFileSync(rig.cluster.stakedKeypairPath), { mode: 0o600 });
  const [first, second] = servers as [SshdHandle, SshdHandle];
  healthy = rig.managerConfig({
    cluster_rpc: [rig.cluster.rpcUrl, rpcProxy.url],
    etcd_endpoints: rig.etcd.endpoints,
    secure_identity_mode: true,
    identity_keypair_path: keypair,
    ssh_user: first.user,
    ssh_key_path: first.clientKeyPath,
    known_hosts_path: knownHosts,
    ssh_set_identity_command: `${join(rig.cluster.binDir, 'agave-validator')} --ledger {ledger} set-identity --require-tower`,
    validator1: { endpoint: rig.agents[0].managerUrl, ip: v1!.ip, ledger_path: v1!.ledgerDir, ssh_port: first.port },
    validator2: { endpoint: rig.agents[1].managerUrl, ip: v2!.ip, ledger_path: v2!.ledgerDir, ssh_port: second.port },
  });
});

afterAll(async () => {
  for (const server of servers.splice(0)) await server.stop();
  await rpcProxy?.stop();
  await rig?.stop();
});

async function doctor(config: Record<string, unknown>): Promise<{ code: number; rows: DoctorRow[]; text: string }> {
  const file = join(rig.dir, `doctor-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(config));
  const run = async (argv: string[]): Promise<{ code: number; text: string }> => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    const code = await runManagerCli(argv, {
      stdout,
      stderr: stdout,
      env: {},
      stopSignal: new Promise(() => undefined),
    });
    return { code, text };
  };
  const json = await run(['doctor', '--config', file, '--json']);
  const table = await run(['doctor', '--config', file]);
  return { code: json.code, rows: (JSON.parse(json.text) as DoctorReport).rows, text: table.text };
}

const row = (rows: readonly DoctorRow[], check: string): DoctorRow | undefined => rows.find((r) => r.check === check);

describe('failover-manager doctor', () => {
  it('passes every row of a healthy setup, and exits 0', async () => {
    const { code, rows, text } = await doctor(healthy);
    expect(rows.filter((r) => r.verdict !== 'pass')).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      'config',
      'auth_secret_file',
      'validator1 agent',
      'validator2 agent',
      'node names',
      `cluster_rpc ${rig.cluster.rpcUrl}`,
      `cluster_rpc ${rpcProxy.url}`,
      'cluster agreement',
      'keypair_path',
      'validator1 ssh host key',
      'validator2 ssh host key',
      'telegram',
      'etcd election',
    ]);
    expect(code).toBe(0);
    expect(text).toContain('13 passed, 0 warnings, 0 failed');
    expect(text).not.toContain(rig.telegram.token);
  });

  it('warns that one cluster endpoint is checked by nothing, and still exits 0', async () => {
    const { code, rows } = await doctor({ ...healthy, cluster_rpc: rig.cluster.rpcUrl });
    expect(row(rows, 'cluster agreement')).toMatchObject({ verdict: 'warn' });
    expect(code).toBe(0);
  });

  const wrongSecret = (): string => {
    const file = join(rig.dir, 'other-secret');
    writeFileSync(file, 'another-secret-0123456789abcdefgh', { mode: 0o600 });
    return file;
  };
  const openKeypair = (): string => {
    const file = join(rig.dir, 'open-keypair.json');
    writeFileSync(file, readFileSync(rig.cluster.stakedKeypairPath), { mode: 0o644 });
    return file;
  };
  const cases: Array<[string, () => Promise<Record<string, unknown>> | Record<string, unknown>, string[], RegExp]> = [
    [
      'a secret that is not the agents’',
      () => ({ ...healthy, auth_secret_file: wrongSecret() }),
      ['validator1 agent', 'validator2 agent'],
      /refused the signature \(401\): auth_secret_file .*other-secret/,
    ],
    [
      'one agent that answers for both validators',
      // Another name for validator1's address: the config refuses one endpoint listed twice.
      () => ({
        ...healthy,
        validator2: {
          ...(healthy.validator2 as object),
          endpoint: rig.agents[0].managerUrl.replace('127.0.0.1', 'localhost'),
        },
      }),
      ['node names'],
      /both answer as/,
    ],
    [
      'an unknown Telegram token',
      () => ({ ...healthy, telegram_bot_token: `${rig.telegram.token.split(':')[0]}:${'x'.repeat(35)}` }),
      ['telegram'],
      /telegram_bot_token refused by getMe .*401/,
    ],
    [
      'etcd down',
      async () => ({ ...healthy, etcd_endpoints: [`http://127.0.0.1:${await freePort()}`] }),
      ['etcd election'],
      /unreachable/,
    ],
    [
      'a cluster endpoint that does not answer',
      async () => ({ ...healthy, cluster_rpc: [rig.cluster.rpcUrl, `http://127.0.0.1:${await freePort()}`] }),
      [`cluster_rpc http://127.0.0.1:`, 'cluster agreement'],
      /.+/,
    ],
    [
      'a staked keypair others can read',
      () => ({ ...healthy, identity_keypair_path: openKeypair() }),
      ['keypair_path'],
      /has mode 0644/,
    ],
    [
      'hooks and a fence_command whose programs are missing',
      () => ({
        ...healthy,
        hooks: { post_failover: { command: `${join(rig.dir, 'no-such-hook')} x` } },
        fence_command: ['ipmitool-not-installed', 'power', 'off'],
      }),
      ['hooks.post_failover', 'fence_command'],
      /no-such-hook is not an executable file/,
    ],
    [
      'a validator whose host key is not pinned',
      () => {
        const file = join(rig.dir, 'one-known-host');
        writeFileSync(file, `${(servers[0] as SshdHandle).knownHostsLine}\n`, { mode: 0o600 });
        return { ...healthy, known_hosts_path: file };
      },
      ['validator2 ssh host key'],
      /not pinned/,
    ],
  ];

  it('finds the programs of the hooks and fence_command without running them', async () => {
    const marker = join(rig.dir, 'hook-ran');
    const script = join(rig.dir, 'page-oncall.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const { code, rows } = await doctor({
      ...healthy,
      hooks: { pre_failover: { command: `${script} --now`, must_succeed: true }, post_failover: { command: script } },
      fence_command: [script, '{node}'],
    });
    expect(rows.filter((r) => /^hooks\.|^fence_command/.test(r.check))).toEqual([
      { check: 'hooks.pre_failover', verdict: 'pass', detail: `${script} found (not run)` },
      { check: 'hooks.post_failover', verdict: 'pass', detail: `${script} found (not run)` },
      { check: 'fence_command', verdict: 'pass', detail: `${script} found (not run)` },
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(code).toBe(0);
  });

  it.each(cases)('fails the rows of %s, and exits 1', async (_name, broken, checks, detail) => {
    const { code, rows } = await doctor(await broken());
    const failed = rows.filter((r) => r.verdict === 'fail');
    expect(failed.map((r) => checks.find((c) => r.check.startsWith(c)))).toEqual(checks);
    expect(failed[0]?.detail).toMatch(detail);
    expect(code).toBe(1);
  });
});
