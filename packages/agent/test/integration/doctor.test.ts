import { doctorExitCode, type DoctorReport, type DoctorRow } from '@failover/protocol';
import { startCluster, type SimCluster } from '@failover/solana-sim';
import { freePort, startEtcd, tempDir, waitFor, type EtcdCluster, type TempDir } from '@failover/testkit';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAgentCli } from '../../src/cli';
import { capture } from '../support/capture';
import { startAgents, type RunningAgent } from '../support/sim-agents';

jest.setTimeout(90_000);

const UNIT = path.join(__dirname, '..', '..', 'systemd', 'failover-agent.service');

let dir: TempDir;
let etcd: EtcdCluster;
let cluster: SimCluster;
let agents: RunningAgent[] = [];
let env: Record<string, string | undefined>;
/** The config of the agent beside the validator that votes, as it runs. */
let healthy: Record<string, unknown>;

// One pair for the file: the doctor only reads, so each case runs on a copy of the config.
beforeAll(async () => {
  dir = tempDir('agent-doctor');
  etcd = await startEtcd();
  const tag = randomBytes(3).toString('hex');
  cluster = await startCluster({
    validators: [
      { name: 'a', processName: `sim-${tag}-a` },
      { name: 'b', processName: `sim-${tag}-b` },
    ],
    slotMs: 50,
  });
  agents = await startAgents({
    cluster,
    dir: dir.path,
    // An etcd tower store; the commands a host without sudo and etcdctl can still answer for.
    configure: (config) => {
      const {
        tower_backup_command: _backup,
        tower_restore_command: _restore,
        validator_restart_command: _restart,
        agent_stop_command: _stop,
        ...rest
      } = config;
      return { ...rest, tower_store: 'etcd', etcd_endpoints: etcd.endpoints };
    },
  });
  env = { ...process.env, ...cluster.env };
  const a = agents[0] as RunningAgent;
  healthy = JSON.parse(readFileSync(a.configFile, 'utf8')) as Record<string, unknown>;
  const towerFile = String(healthy.tower_file_path).replace('{validator_identity}', cluster.stakedPubkey);
  await waitFor(() => existsSync(towerFile), {
    description: 'the voting validator to write its tower',
    timeoutMs: 20_000,
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await cluster?.stop();
  await etcd?.stop();
  dir?.remove();
});

async function doctor(
  config: Record<string, unknown>,
  extra: string[] = [],
): Promise<{ code: number; rows: DoctorRow[]; table: string }> {
  const file = path.join(dir.path, `doctor-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(config));
  const json = capture();
  const code = await runAgentCli(['doctor', '--config', file, '--unit', UNIT, '--json', ...extra], {
    stdout: json,
    stderr: capture(),
    env,
    onStopSignal: () => () => undefined,
  });
  const table = capture();
  await runAgentCli(['doctor', '--config', file, '--unit', UNIT, ...extra], {
    stdout: table,
    stderr: capture(),
    env,
    onStopSignal: () => () => undefined,
  });
  return { code, rows: (JSON.parse(json.text()) as DoctorReport).rows, table: table.text() };
}

const row = (rows: readonly DoctorRow[], check: string): DoctorRow | undefined => rows.find((r) => r.check === check);

describe('failover-agent doctor', () => {
  it('passes every row of the voting node of a healthy pair, and exits 0', async () => {
    const { code, rows, table } = await doctor(healthy);
    expect(rows.filter((r) => r.verdict !== 'pass')).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      'config',
      'auth_secret_file',
      'identity_change_command keypair',
      'identity_remove_command keypair',
      'validator identity',
      'tower file',
      'identity_change_command',
      'identity_remove_command',
      'active_identity_symlink_command',
      'passive_identity_symlink_command',
      'gossip_check_command',
      'tower store',
      'host guard',
      'clock skew',
    ]);
    expect(code).toBe(0);
    expect(table).toMatch(/^CHECK +RESULT +DETAIL\n/);
    expect(table).toContain('14 passed, 0 warnings, 0 failed');
  });

  it('warns, and still exits 0, for a passive node without a tower file', async () => {
    const b = JSON.parse(readFileSync((agents[1] as RunningAgent).configFile, 'utf8')) as Record<string, unknown>;
    const missing = path.join(dir.path, 'nowhere', 'tower-1_9-{validator_identity}.bin');
    const { code, rows } = await doctor({ ...b, tower_file_path: missing });
    expect(row(rows, 'validator identity')?.detail).toContain('passive');
    expect(row(rows, 'tower file')).toMatchObject({ verdict: 'warn' });
    expect(code).toBe(0);
  });

  const openSecret = (): string => {
    const file = path.join(dir.path, 'open-secret');
    writeFileSync(file, 'integration-secret-0123456789abcdef\n', { mode: 0o644 });
    return file;
  };
  const cases: Array<[string, () => Promise<Record<string, unknown>> | Record<string, unknown>, string, RegExp]> = [
    [
      'a change command that switches to the unstaked keypair',
      () => ({
        ...healthy,
        identity_change_command: String(healthy.identity_remove_command),
      }),
      'identity_change_command keypair',
      /unstaked|not validator_identity/,
    ],
    [
      'a remove command that switches to the staked keypair',
      () => ({ ...healthy, identity_remove_command: String(healthy.identity_change_command) }),
      'identity_remove_command keypair',
      /is validator_identity/,
    ],
    [
      'a missing tower file while this node votes',
      () => ({ ...healthy, tower_file_path: path.join(dir.path, 'nowhere', 'tower-1_9-{validator_identity}.bin') }),
      'tower file',
      /does not exist while this validator votes/,
    ],
    [
      'an unknown placeholder',
      () => ({ ...healthy, gossip_check_command: 'solana -ut gossip | grep {validator_pubkey}' }),
      'gossip_check_command',
      /unknown placeholder \{validator_pubkey\}/,
    ],
    [
      'a binary that is not on PATH',
      () => ({ ...healthy, validator_restart_command: 'no-such-systemctl restart solana' }),
      'validator_restart_command',
      /no-such-systemctl is not on PATH/,
    ],
    [
      'a secret file others can read',
      () => ({ ...healthy, auth_secret_file: openSecret() }),
      'auth_secret_file',
      /has mode 0644/,
    ],
    [
      'an etcd tower store that is down',
      async () => ({ ...healthy, etcd_endpoints: [`http://127.0.0.1:${await freePort()}`] }),
      'tower store',
      /unreachable/,
    ],
    ['a config the loader refuses', () => ({ ...healthy, manager_timeout: 30 }), 'config', /manager_timeout/],
  ];

  it.each(cases)('fails the row of %s, and exits 1', async (_name, broken, check, detail) => {
    const { code, rows } = await doctor(await broken());
    expect(row(rows, check)).toMatchObject({ verdict: 'fail', detail: expect.stringMatching(detail) });
    expect(rows.filter((r) => r.verdict === 'fail').map((r) => r.check)).toEqual([check]);
    expect(code).toBe(1);
    expect(doctorExitCode(rows)).toBe(1);
  });

  it('fails the host guard row for a unit without ExecStopPost= running the guard', async () => {
    const unit = path.join(dir.path, 'no-guard.service');
    writeFileSync(unit, readFileSync(UNIT, 'utf8').replace(/^ExecStopPost=.*$/m, ''));
    const { code, rows } = await doctor(healthy, ['--unit', unit]);
    expect(row(rows, 'host guard')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining(unit) });
    expect(code).toBe(1);
  });
});
