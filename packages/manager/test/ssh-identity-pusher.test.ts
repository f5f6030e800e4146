import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, startSshd, type SshdHandle } from '@failover/testkit';
import {
  createSshIdentityPusher,
  expandHome,
  shellQuote,
  type SshIdentityPusherOptions,
} from '../src/ssh-identity-pusher';

// Stands in for agave-validator on the remote side: records its arguments and what it read
// on stdin, so the test can see exactly what the manager sent.
const RECORDER = `#!/bin/bash
name="$1"; shift
printf '%s\\n' "$@" > "$WORK/$name.args"
cat > "$WORK/$name.stdin"
case "$MODE" in
  fail) echo "Error: set-identity failed" >&2; exit 1 ;;
  present) echo "Authorized voter already present" >&2; exit 1 ;;
  slow) sleep 5 ;;
esac
exit 0
`;

let sshd: SshdHandle;
let work: string;
let ledger: string;
// The pusher forwards the keypair text as it is; any 64 numbers show whether it arrived intact.
const keypairJson = `[${Array.from(randomBytes(64)).join(',')}]`;

beforeAll(async () => {
  sshd = await startSshd();
  work = sshd.workDir;
  ledger = join(work, 'ledger dir');
  mkdirSync(ledger);
});

afterAll(async () => {
  await sshd?.stop();
});

function options(
  overrides: Partial<SshIdentityPusherOptions> & { mode?: string; set?: string; voter?: string } = {},
): SshIdentityPusherOptions {
  const script = join(work, 'recorder.sh');
  writeFileSync(script, RECORDER);
  chmodSync(script, 0o755);
  const env = `WORK=${shellQuote(work)} MODE=${overrides.mode ?? 'ok'}`;
  return {
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    knownHostsPath: sshd.knownHostsPath,
    setIdentityCommand: overrides.set ?? `${env} ${script} set-identity --ledger {ledger} set-identity`,
    authorizedVoterCommand:
      overrides.voter ?? `${env} ${script} authorized-voter --ledger {ledger} authorized-voter add`,
    keypairJson,
    connectTimeoutMs: 5000,
    execTimeoutMs: 5000,
    ...overrides,
  };
}

function target(): { name: string; host: string; port: number; ledgerPath: string } {
  return { name: 'validator2', host: sshd.host, port: sshd.port, ledgerPath: ledger };
}

function clearRecords(): void {
  for (const name of ['set-identity', 'authorized-voter']) {
    for (const ext of ['args', 'stdin']) writeFileSync(join(work, `${name}.${ext}`), '');
  }
}

describe('createSshIdentityPusher over a real sshd', () => {
  beforeEach(clearRecords);

  it('sends the keypair on stdin to set-identity and then authorized-voter, with the ledger substituted as one word', async () => {
    const result = await createSshIdentityPusher(options()).pushIdentity(target());
    expect(result).toMatchObject({
      ok: true,
      commands: [
        { label: 'set-identity', exitCode: 0 },
        { label: 'authorized-voter', exitCode: 0 },
      ],
    });
    expect(readFileSync(join(work, 'set-identity.stdin'), 'utf8').trim()).toBe(keypairJson);
    expect(readFileSync(join(work, 'authorized-voter.stdin'), 'utf8').trim()).toBe(keypairJson);
    expect(readFileSync(join(work, 'set-identity.args'), 'utf8')).toBe(`--ledger\n${ledger}\nset-identity\n`);
    expect(JSON.stringify(result)).not.toContain(keypairJson);
  });

  it('counts "Authorized voter already present" as success', async () => {
    const env = `WORK=${shellQuote(work)} MODE=present`;
    const voter = `${env} ${join(work, 'recorder.sh')} authorized-voter --ledger {ledger} authorized-voter add`;
    const result = await createSshIdentityPusher(options({ voter })).pushIdentity(target());
    expect(result).toMatchObject({ ok: true, commands: [{ exitCode: 0 }, { exitCode: 1, alreadyPresent: true }] });
  });

  it('reports a failing set-identity and does not go on to authorized-voter', async () => {
    const result = await createSshIdentityPusher(options({ mode: 'fail' })).pushIdentity(target());
    expect(result).toMatchObject({ ok: false, stage: 'command', commands: [{ label: 'set-identity', exitCode: 1 }] });
    expect(readFileSync(join(work, 'authorized-voter.args'), 'utf8')).toBe('');
    expect(JSON.stringify(result)).not.toContain(keypairJson);
  });

  it('gives up on a remote command that outlives its deadline', async () => {
    const result = await createSshIdentityPusher(options({ mode: 'slow', execTimeoutMs: 300 })).pushIdentity(target());
    expect(result).toMatchObject({ ok: false, stage: 'timeout' });
  });

  it('reports an unreachable host without hanging', async () => {
    const port = await freePort('127.0.0.1');
    const result = await createSshIdentityPusher(options()).pushIdentity({ ...target(), port });
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
  });

  it.each([
    ['an existing ledger', () => ledger, true],
    ['a missing ledger', () => join(work, 'no-such-ledger'), false],
  ])('validates SSH access and %s at start-up', async (_name, ledgerPath, ok) => {
    const result = await createSshIdentityPusher(options()).validate({ ...target(), ledgerPath: ledgerPath() });
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.message).toContain('does not exist');
  });

  it('refuses a host missing from known_hosts unless trust-on-first-use is opted into, then records it', async () => {
    const knownHostsPath = join(work, 'empty_known_hosts');
    writeFileSync(knownHostsPath, '');
    const refused = await createSshIdentityPusher(options({ knownHostsPath })).pushIdentity(target());
    expect(refused).toMatchObject({ ok: false, stage: 'host_key' });
    expect(readFileSync(join(work, 'set-identity.stdin'), 'utf8')).toBe('');

    const trusted = await createSshIdentityPusher(options({ knownHostsPath, trustOnFirstUse: true })).validate(
      target(),
    );
    expect(trusted.ok).toBe(true);
    expect(readFileSync(knownHostsPath, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPublic}`);
    await expect(createSshIdentityPusher(options({ knownHostsPath })).validate(target())).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses a changed host key and sends nothing, even with trust-on-first-use', async () => {
    const knownHostsPath = join(work, 'pinned_known_hosts');
    copyFileSync(sshd.knownHostsPath, knownHostsPath);
    await sshd.regenerateHostKey();
    const result = await createSshIdentityPusher(options({ knownHostsPath, trustOnFirstUse: true })).pushIdentity(
      target(),
    );
    expect(result).toMatchObject({ ok: false, stage: 'host_key' });
    if (!result.ok) expect(result.message).toContain('differs');
    expect(readFileSync(join(work, 'set-identity.stdin'), 'utf8')).toBe('');
    expect(existsSync(knownHostsPath) && readFileSync(knownHostsPath, 'utf8')).not.toContain(sshd.hostKeyPublic);
  });
});

describe('expandHome', () => {
  it.each([
    ['~/.ssh/failover_key', '/home/sol/.ssh/failover_key'],
    ['~', '/home/sol'],
    ['/etc/key', '/etc/key'],
    ['relative/~/key', 'relative/~/key'],
  ])('expands %s to %s', (input, expected) => {
    expect(expandHome(input, '/home/sol')).toBe(expected);
  });
});
