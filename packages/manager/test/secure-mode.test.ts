import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, type SshdHandle } from '@failover/testkit';
import { startRig, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd, two real sshd and the fake Bot API: a generous budget on 2 cores.
jest.setTimeout(120_000);

let rig: Rig | undefined;
const servers: SshdHandle[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop().catch(() => undefined);
  await rig?.stop();
  rig = undefined;
});

/** Every file under `dir` (symlinks followed, as a validator reading it would). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}

/** One sshd per validator, on the validator's own loopback IP, which the manager reaches it by; and the manager's secure-mode keys. */
async function secureSetup(r: Rig): Promise<{ second: SshdHandle; secure: Record<string, unknown> }> {
  const [v1, v2] = r.cluster.validators;
  const first = await startSshd({ listenHost: v1!.ip });
  servers.push(first);
  const second = await startSshd({
    listenHost: v2!.ip,
    authorizedKeys: [readFileSync(`${first.clientKeyPath}.pub`, 'utf8').trim()],
  });
  servers.push(second);
  const knownHosts = join(r.dir, 'known_hosts');
  writeFileSync(knownHosts, `${first.knownHostsLine}\n${second.knownHostsLine}\n`, { mode: 0o600 });
  const shim = join(r.cluster.binDir, 'agave-validator');
  const secure = {
    secure_identity_mode: true,
    identity_keypair_path: r.cluster.stakedKeypairPath,
    ssh_user: first.user,
    ssh_key_path: first.clientKeyPath,
    known_hosts_path: knownHosts,
    ssh_set_identity_command: `${shim} --ledger {ledger} set-identity --require-tower`,
    ssh_authorized_voter_command: `${shim} --ledger {ledger} authorized-voter add`,
    validator1: { endpoint: r.agents[0].managerUrl, ip: v1!.ip, ledger_path: v1!.ledgerDir, ssh_port: first.port },
    validator2: { endpoint: r.agents[1].managerUrl, ip: v2!.ip, ledger_path: v2!.ledgerDir, ssh_port: second.port },
  };
  return { second, secure };
}

describe('secure identity mode over a real sshd', () => {
  it('moves the staked identity through the SSH commands with the keypair on stdin only, and refuses a changed host key', async () => {
    rig = await startRig();
    const r = rig;
    const [, v2] = r.cluster.validators;
    const { second, secure } = await secureSetup(r);
    const manager = await r.startManager(secure);
    await r.cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 20_000 },
    );

    const answer = await manager.monitor.requestSwitchover('secure mode check', null);
    expect(answer.accepted).toBe(true);
    const complete = await r.cluster.waitFor(
      'a failover complete message',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(complete.text).toContain('promote validator2 (identity over SSH)');
    await r.cluster.waitFor(
      'v2 to vote with the staked identity',
      async () => (await v2!.status()).voting || undefined,
      { timeoutMs: 15_000 },
    );
    expect(await v2!.identity()).toBe(r.cluster.stakedPubkey);
    expect(await r.cluster.judge.violations()).toEqual([]);

    // The keypair crossed only the SSH channel: nothing under the validator's home holds it.
    const keypairJson = readFileSync(r.cluster.stakedKeypairPath, 'utf8').trim();
    const seed = Buffer.from((JSON.parse(keypairJson) as number[]).slice(0, 32));
    const numbers = keypairJson.replace(/\s/g, '');
    const files = filesUnder(v2!.homeDir);
    expect(files.some((f) => f.includes(`tower-1_9-${r.cluster.stakedPubkey}`))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect({
        file,
        seed: bytes.includes(seed),
        json: bytes.toString('latin1').replace(/\s/g, '').includes(numbers.slice(1, -1)),
      }).toEqual({ file, seed: false, json: false });
    }
    expect(r.managerLog.join('\n')).not.toContain(numbers.slice(1, 60));

    // A reinstalled (or impersonated) validator host: the manager refuses to start against it.
    await manager.stop('host key check');
    await second.regenerateHostKey();
    await expect(r.startManager(secure)).rejects.toThrow(/FAILOVER_MANAGER_SSH_CHECK.*validator2.*host_key/s);
  });

  // Regression: the demotion removed validator1's tower file and the SSH rollback restored none,
  // so set-identity --require-tower failed on every attempt and nobody voted.
  it("restores the old active's tower before handing the identity back over SSH when the push fails, and warns of a set-identity without --require-tower", async () => {
    rig = await startRig();
    const r = rig;
    const [v1] = r.cluster.validators;
    const { secure } = await secureSetup(r);
    // validator2's SSH check passes (the directory exists), but set-identity finds no validator there.
    const notALedger = join(r.dir, 'not-a-ledger');
    mkdirSync(notALedger);
    const manager = await r.startManager({
      ...secure,
      validator2: { ...(secure.validator2 as Record<string, unknown>), ledger_path: notALedger },
    });
    expect(r.managerLog.join('\n')).not.toContain('has no --require-tower');
    await r.cluster.waitFor(
      'the manager to see v1 active',
      async () => manager.monitor.snapshot().state.active === 'validator1' || undefined,
      { timeoutMs: 20_000 },
    );

    expect((await manager.monitor.requestSwitchover('secure rollback check', null)).accepted).toBe(true);
    const rolledBack = await r.cluster.waitFor(
      'a rolled back message',
      async () => r.telegram.messages.find((m) => m.text.includes('Failover rolled back')),
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(rolledBack.text).toContain('restore tower validator1');
    await r.cluster.waitFor(
      'v1 to vote again with the staked identity',
      async () => (await v1!.status()).voting || undefined,
      { timeoutMs: 15_000 },
    );
    expect(await v1!.identity()).toBe(r.cluster.stakedPubkey);
    expect(await r.cluster.judge.violations()).toEqual([]);

    // Without --require-tower such a rollback would have voted from an empty tower: the manager says so at start.
    await manager.stop('warning check');
    const command = String(secure.ssh_set_identity_command).replace(' --require-tower', '');
    await r.startManager({ ...secure, ssh_set_identity_command: command });
    expect(r.managerLog.join('\n')).toContain('ssh_set_identity_command has no --require-tower');
    await r.cluster.waitFor(
      'the configuration warning',
      async () => r.telegram.messages.find((m) => m.text.includes('Configuration: ssh_set_identity_command')),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });
});
