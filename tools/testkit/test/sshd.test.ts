import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { startSshd, tempDir } from '@failover/testkit';
import type { SshdHandle } from '@failover/testkit';

interface ExecResult {
  stdout: string;
  code: number | null;
}

interface ExecOptions {
  /** Accept the server only if its key equals this known_hosts line's key. */
  knownHostsLine: string;
  privateKey?: Buffer;
  stdin?: Buffer;
}

// Connects and runs one command, checking the host key the way the manager's identity push
// must: against a known_hosts line, never trust-on-first-use.
function execOverSsh(sshd: SshdHandle, command: string, options: ExecOptions): Promise<ExecResult> {
  const expectedKey = options.knownHostsLine.split(' ').slice(1).join(' ');
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('error', reject);
    client.once('ready', () => {
      client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let stdout = '';
        let code: number | null = null;
        channel.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
        channel.stderr.resume();
        channel.once('exit', (exitCode: number | null) => (code = exitCode));
        channel.once('close', () => {
          client.end();
          resolve({ stdout, code });
        });
        channel.end(options.stdin);
      });
    });
    client.connect({
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      privateKey: options.privateKey ?? readFileSync(sshd.clientKeyPath),
      readyTimeout: 5000,
      // ssh2 passes the raw key blob, the base64 part of an OpenSSH public key line.
      hostVerifier: (key: Buffer) => `ssh-ed25519 ${key.toString('base64')}` === expectedKey,
    });
  });
}

describe('startSshd', () => {
  let sshd: SshdHandle;

  beforeAll(async () => {
    sshd = await startSshd();
  });

  afterAll(async () => {
    await sshd.stop();
  });

  it('runs a command for the authorized client key after verifying the host key', async () => {
    expect(sshd.knownHostsLine).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPublic}`);
    expect(readFileSync(sshd.knownHostsPath, 'utf8').trim()).toBe(sshd.knownHostsLine);
    await expect(execOverSsh(sshd, 'echo ok', { knownHostsLine: sshd.knownHostsLine })).resolves.toEqual({
      stdout: 'ok\n',
      code: 0,
    });
  });

  it('delivers bytes written to the channel as the remote command stdin', async () => {
    const result = await execOverSsh(sshd, 'wc -c', {
      knownHostsLine: sshd.knownHostsLine,
      stdin: Buffer.alloc(64, 7),
    });
    expect(result.stdout.trim()).toBe('64');
  });

  it('refuses a client key that is not authorized', async () => {
    const dir = tempDir('ssh-stranger');
    try {
      const keyPath = join(dir.path, 'stranger');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
      await expect(
        execOverSsh(sshd, 'echo ok', { knownHostsLine: sshd.knownHostsLine, privateKey: readFileSync(keyPath) }),
      ).rejects.toThrow(/authentication methods failed/i);
    } finally {
      dir.remove();
    }
  });

  it('presents a new host key after regenerateHostKey, so the old known_hosts line is refused', async () => {
    const before = sshd.knownHostsLine;
    const regenerated = await sshd.regenerateHostKey();
    expect(regenerated.knownHostsLine).not.toBe(before);
    expect(sshd.hostKeyPublic).toBe(regenerated.hostKeyPublic);
    await expect(execOverSsh(sshd, 'echo ok', { knownHostsLine: before })).rejects.toThrow(/verification failed/i);
    await expect(execOverSsh(sshd, 'echo ok', { knownHostsLine: regenerated.knownHostsLine })).resolves.toEqual({
      stdout: 'ok\n',
      code: 0,
    });
  });
});

it('authorizes extra public keys given in options', async () => {
  const dir = tempDir('ssh-extra');
  const keyPath = join(dir.path, 'extra');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
  const sshd = await startSshd({ authorizedKeys: [readFileSync(`${keyPath}.pub`, 'utf8').trim()] });
  try {
    const result = await execOverSsh(sshd, 'echo extra', {
      knownHostsLine: sshd.knownHostsLine,
      privateKey: readFileSync(keyPath),
    });
    expect(result.stdout).toBe('extra\n');
  } finally {
    await sshd.stop();
    dir.remove();
  }
});

it('listens on another loopback address when asked, and names it in the known_hosts line', async () => {
  const sshd = await startSshd({ listenHost: '127.0.0.7' });
  try {
    expect(sshd.host).toBe('127.0.0.7');
    expect(sshd.knownHostsLine).toBe(`[127.0.0.7]:${sshd.port} ${sshd.hostKeyPublic}`);
    await expect(execOverSsh(sshd, 'echo ok', { knownHostsLine: sshd.knownHostsLine })).resolves.toEqual({
      stdout: 'ok\n',
      code: 0,
    });
  } finally {
    await sshd.stop();
  }
});
