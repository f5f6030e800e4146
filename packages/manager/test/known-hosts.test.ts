import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, keyTypeOf, knownHostName, readKnownHosts, recordHostKey } from '../src/known-hosts';

function sshString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
}

function hostKey(type = 'ssh-ed25519'): Buffer {
  return Buffer.concat([sshString(Buffer.from(type)), sshString(randomBytes(32))]);
}

function line(hosts: string, key: Buffer): string {
  return `${hosts} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const key = hostKey();
const other = hostKey();

describe('checkHostKey', () => {
  it.each([
    ['a plain entry on a custom port', 'known', line('[127.0.0.1]:2222', key), 2222],
    ['a plain entry on port 22', 'known', line('10.0.0.5,127.0.0.1', key), 22],
    ['a hashed entry (HashKnownHosts)', 'known', line(hashed('[127.0.0.1]:2222'), key), 2222],
    ['an entry for the same host on another port', 'unknown', line('[127.0.0.1]:2200', key), 2222],
    ['an empty file', 'unknown', '', 2222],
    ['a different key of the same algorithm', 'changed', line('[127.0.0.1]:2222', other), 2222],
    ['a different key behind a hashed entry', 'changed', line(hashed('[127.0.0.1]:2222'), other), 2222],
    [
      'a key recorded only for another algorithm',
      'unknown',
      line('[127.0.0.1]:2222', hostKey('ecdsa-sha2-nistp256')),
      2222,
    ],
    ['the key marked @revoked', 'revoked', `@revoked ${line('[127.0.0.1]:2222', key)}`, 2222],
    ['a negated pattern naming the host', 'unknown', line('!127.0.0.1,127.0.0.1', key), 22],
    ['a certificate authority line', 'unknown', `@cert-authority ${line('127.0.0.1', key)}`, 22],
  ])('judges %s as %s', (_name, status, knownHosts, port) => {
    expect(checkHostKey(`# comment\n${knownHosts}\n`, '127.0.0.1', port, key).status).toBe(status);
  });

  it('names hosts the way OpenSSH records them', () => {
    expect(knownHostName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });
});

describe('recordHostKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'known-hosts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records a key so that the next check finds it known, keeping existing entries', async () => {
    const path = join(dir, 'known_hosts');
    await recordHostKey(path, '127.0.0.1', 2200, other);
    await recordHostKey(path, '127.0.0.1', 2222, key);
    const text = await readKnownHosts(path);
    expect(checkHostKey(text, '127.0.0.1', 2222, key).status).toBe('known');
    expect(checkHostKey(text, '127.0.0.1', 2200, other).status).toBe('known');
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3);
  });

  it('reads a missing file as empty', async () => {
    await expect(readKnownHosts(join(dir, 'absent'))).resolves.toBe('');
  });
});
