import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ComponentStartError } from './errors';
import { freePort } from './free-port';
import { spawnManaged } from './internal/managed-process';
import type { ManagedProcess } from './internal/managed-process';
import { tempDir } from './temp-dir';

const run = promisify(execFile);

/** Options of {@link startSshd}. */
export interface StartSshdOptions {
  /** Extra public keys (`ssh-ed25519 AAAA…` lines) to authorize besides the generated client key. */
  authorizedKeys?: string[];
  /** The login user; sshd not running as root can only log in its own user. @default the current user */
  user?: string;
  /** The sshd binary. @default '/usr/sbin/sshd' (Debian openssh-server) */
  binary?: string;
  /**
   * The loopback address to listen on, e.g. a simulated validator's own `127.0.0.x`, so that a
   * client reaching the validator by its gossip IP finds this server. @default '127.0.0.1'
   */
  listenHost?: string;
}

/** A running throwaway OpenSSH server. */
export interface SshdHandle {
  readonly host: string;
  readonly port: number;
  /** The user to log in as. */
  readonly user: string;
  /** PID of the listening sshd (changes after `regenerateHostKey()`). */
  readonly pid: number;
  /** The server's current host public key, `ssh-ed25519 AAAA…` (changes after `regenerateHostKey()`). */
  readonly hostKeyPublic: string;
  /** The known_hosts line for the *original* host key: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  readonly knownHostsLine: string;
  /** A known_hosts file holding `knownHostsLine`; left unchanged by `regenerateHostKey()`. */
  readonly knownHostsPath: string;
  /** An unencrypted OpenSSH ed25519 private key whose public half is authorized. */
  readonly clientKeyPath: string;
  /** A private directory of the current user for the test's "remote side" files. */
  readonly workDir: string;
  /**
   * Replaces the host key and restarts sshd on the same port, as a reinstalled server would;
   * clients holding the old known_hosts line must now refuse it. Resolves with the new key.
   */
  regenerateHostKey(): Promise<{ hostKeyPublic: string; knownHostsLine: string }>;
  /** Stops sshd and removes its keys and config. */
  stop(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * Starts the real `/usr/sbin/sshd` on a free loopback port with a throwaway ed25519 host key,
 * a freshly generated client key authorized through an `AuthorizedKeysFile` in a temp dir,
 * and key authentication only.
 */
export async function startSshd(options: StartSshdOptions = {}): Promise<SshdHandle> {
  const binary = options.binary ?? '/usr/sbin/sshd';
  const user = options.user ?? userInfo().username;
  const host = options.listenHost ?? DEFAULT_HOST;
  const dir = tempDir('sshd');
  try {
    const hostKeyPath = join(dir.path, 'ssh_host_ed25519_key');
    const clientKeyPath = join(dir.path, 'client_ed25519');
    const authorizedKeysPath = join(dir.path, 'authorized_keys');
    const knownHostsPath = join(dir.path, 'known_hosts');
    const configPath = join(dir.path, 'sshd_config');
    const workDir = join(dir.path, 'work');
    mkdirSync(workDir, { mode: 0o700 });

    await generateKey(hostKeyPath, 'failover-test-host');
    await generateKey(clientKeyPath, 'failover-test-client');
    const clientPublic = readFileSync(`${clientKeyPath}.pub`, 'utf8').trim();
    writeFileSync(authorizedKeysPath, [clientPublic, ...(options.authorizedKeys ?? [])].join('\n') + '\n', {
      mode: 0o600,
    });

    if (process.getuid?.() === 0) {
      // sshd's privilege-separation chroot; Debian creates it from the systemd unit, which
      // containers and CI images do not run.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    }

    let hostKeyPublic = readPublic(hostKeyPath);
    let port = 0;
    let proc: ManagedProcess | undefined;
    const launch = async (): Promise<void> => {
      for (let attempt = 1; ; attempt += 1) {
        port = await freePort(host);
        writeFileSync(
          configPath,
          sshdConfig({ host, port, hostKeyPath, authorizedKeysPath, pidFile: join(dir.path, 'sshd.pid'), user }),
          { mode: 0o600 },
        );
        // -D: stay in the foreground so we own the process; -e: log to stderr, kept for errors.
        const started = spawnManaged(binary, ['-D', '-e', '-f', configPath, '-p', String(port)]);
        proc = started;
        if (await waitBanner(host, port, started)) return;
        await started.stop();
        if (attempt >= 3)
          throw new ComponentStartError('sshd', `no SSH banner on ${host}:${port}`, started.outputTail());
      }
    };
    await launch();
    const knownHostsLine = `[${host}]:${port} ${hostKeyPublic}`;
    writeFileSync(knownHostsPath, knownHostsLine + '\n', { mode: 0o600 });

    return {
      host,
      get port(): number {
        return port;
      },
      user,
      get pid(): number {
        return proc?.pid ?? -1;
      },
      get hostKeyPublic(): string {
        return hostKeyPublic;
      },
      knownHostsLine,
      knownHostsPath,
      clientKeyPath,
      workDir,
      async regenerateHostKey(): Promise<{ hostKeyPublic: string; knownHostsLine: string }> {
        await proc?.stop();
        rmSync(hostKeyPath, { force: true });
        rmSync(`${hostKeyPath}.pub`, { force: true });
        await generateKey(hostKeyPath, 'failover-test-host-regenerated');
        hostKeyPublic = readPublic(hostKeyPath);
        const fixedPort = port;
        // Same port, so that the client's known_hosts entry [host]:port now mismatches.
        const started = spawnManaged(binary, ['-D', '-e', '-f', configPath, '-p', String(fixedPort)]);
        proc = started;
        if (!(await waitBanner(host, fixedPort, started))) {
          throw new ComponentStartError('sshd', `did not come back on ${host}:${fixedPort}`, started.outputTail());
        }
        return { hostKeyPublic, knownHostsLine: `[${host}]:${fixedPort} ${hostKeyPublic}` };
      },
      async stop(): Promise<void> {
        await proc?.stop();
        dir.remove();
      },
    };
  } catch (error) {
    dir.remove();
    throw error;
  }
}

function sshdConfig(c: {
  host: string;
  port: number;
  hostKeyPath: string;
  authorizedKeysPath: string;
  pidFile: string;
  user: string;
}): string {
  return [
    `Port ${c.port}`,
    `ListenAddress ${c.host}`,
    `HostKey ${c.hostKeyPath}`,
    `PidFile ${c.pidFile}`,
    `AuthorizedKeysFile ${c.authorizedKeysPath}`,
    // The key files are 0600 in a 0700 dir, but that dir lives under /tmp (mode 1777), and
    // StrictModes rejects any group/world-writable ancestor of the AuthorizedKeysFile.
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // Key login only; root is the CI user.
    'PermitRootLogin prohibit-password',
    `AllowUsers ${c.user}`,
    // PAM would need a service file and, when not root, cannot work at all.
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

async function generateKey(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  chmodSync(path, 0o600);
}

function readPublic(privateKeyPath: string): string {
  // Drop the comment: known_hosts and hostVerifier compare type and key only.
  const [type, key] = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${key}`;
}

async function waitBanner(host: string, port: number, proc: ManagedProcess): Promise<boolean> {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && !proc.hasExited()) {
    if (await readsBanner(host, port)) return true;
    await sleep(25);
  }
  return false;
}

function readsBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('data', (data) => finish(data.toString('latin1').startsWith('SSH-2.0-')));
    socket.once('error', () => finish(false));
  });
}
