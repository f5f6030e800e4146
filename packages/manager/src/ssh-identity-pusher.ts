/**
 * Secure identity mode: the staked keypair lives only on the manager and reaches the new
 * active validator over SSH, on the remote command's stdin. It is never written to the
 * validator's disk and never appears in a log line, error or notification.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { Client, type ClientChannel } from 'ssh2';
import { checkHostKey, readKnownHosts, recordHostKey, type HostKeyVerdict } from './known-hosts';

/** A validator machine the identity can be pushed to. */
export interface PushTarget {
  /** Label used in logs and notifications, e.g. `validator1`. */
  readonly name: string;
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  /** Ledger directory on the validator, substituted for `{ledger}`. */
  readonly ledgerPath: string;
}

/** Why an SSH operation did not succeed; `host_key` covers unknown, changed and revoked keys. */
export type SshFailureStage = 'connect' | 'host_key' | 'auth' | 'exec' | 'timeout' | 'command';

/** One remote command that ran to completion. */
export interface RemoteCommandReport {
  readonly label: 'set-identity' | 'authorized-voter' | 'ledger-check';
  readonly exitCode: number | null;
  readonly durationMs: number;
  /** True when the command failed only because the voter was already authorized. */
  readonly alreadyPresent: boolean;
}

/** The outcome of an SSH operation, as a value: the caller decides what a failure means. */
export type SshResult =
  | { readonly ok: true; readonly commands: readonly RemoteCommandReport[] }
  | {
      readonly ok: false;
      readonly stage: SshFailureStage;
      readonly message: string;
      readonly commands: readonly RemoteCommandReport[];
    };

/** Pushes the staked identity to a validator, and checks at start-up that it could. */
export interface IdentityPusher {
  /** Start-up check, as the Go tool's: SSH reachable with a trusted host key, ledger exists. */
  validate(target: PushTarget): Promise<SshResult>;
  /** Runs set-identity, then authorized-voter add, each with the keypair on stdin. */
  pushIdentity(target: PushTarget): Promise<SshResult>;
}

/** Options of {@link createSshIdentityPusher}. */
export interface SshIdentityPusherOptions {
  readonly user: string;
  /** Private key for authentication; a leading `~` is the user's home directory. */
  readonly privateKeyPath: string;
  /** OpenSSH known_hosts file the validators' host keys are checked against. */
  readonly knownHostsPath: string;
  /** Record the key of a host seen for the first time instead of refusing it; @default false */
  readonly trustOnFirstUse?: boolean;
  /** Template with `{ledger}`, e.g. `agave-validator --ledger {ledger} set-identity`. */
  readonly setIdentityCommand: string;
  /** Template with `{ledger}`, e.g. `agave-validator --ledger {ledger} authorized-voter add`; skipped when absent. */
  readonly authorizedVoterCommand?: string;
  /** The staked keypair in Solana's JSON form, exactly as the remote command reads it. */
  readonly keypairJson: string;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Deadline of each remote command; @default 30000 */
  readonly execTimeoutMs?: number;
}

/** Builds the SSH pusher; nothing connects until a method is called. */
export function createSshIdentityPusher(options: SshIdentityPusherOptions): IdentityPusher {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const execTimeoutMs = options.execTimeoutMs ?? 30_000;
  const keypair = Buffer.from(options.keypairJson.trim() + '\n', 'utf8');

  async function withSession(target: PushTarget, work: (run: RunRemote) => Promise<SshResult>): Promise<SshResult> {
    const privateKey = await readFile(expandHome(options.privateKeyPath));
    const knownHosts = await readKnownHosts(options.knownHostsPath);
    const port = target.port ?? 22;
    const client = new Client();
    let verdict: HostKeyVerdict | undefined;
    let recordError: unknown;

    const connected = new Promise<SshResult | undefined>((resolve) => {
      client.once('ready', () => resolve(undefined));
      client.once('error', (error: Error & { level?: string }) => {
        if (verdict !== undefined && verdict.status !== 'known') {
          resolve(failure('host_key', describeVerdict(verdict, target, port, options.knownHostsPath)));
        } else if (recordError !== undefined) {
          resolve(
            failure(
              'host_key',
              `could not record the host key of ${target.name} in ${options.knownHostsPath}: ${String(recordError)}`,
            ),
          );
        } else if (error.level === 'client-authentication') {
          resolve(
            failure(
              'auth',
              `${options.user}@${target.host}:${port} (${target.name}) refused the key ${options.privateKeyPath}`,
            ),
          );
        } else if (/timed out/i.test(error.message)) {
          resolve(
            failure(
              'timeout',
              `no SSH handshake with ${target.name} (${target.host}:${port}) within ${connectTimeoutMs} ms`,
            ),
          );
        } else {
          resolve(
            failure('connect', `cannot reach ${target.name} over SSH (${target.host}:${port}): ${error.message}`),
          );
        }
      });
    });

    client.connect({
      host: target.host,
      port,
      username: options.user,
      privateKey,
      readyTimeout: connectTimeoutMs,
      // Only the configured key is offered: no agent, no passwords, no keyboard-interactive.
      authHandler: ['publickey'],
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verdict = checkHostKey(knownHosts, target.host, port, key);
        if (verdict.status === 'known') return verify(true);
        if (verdict.status === 'unknown' && options.trustOnFirstUse === true) {
          recordHostKey(options.knownHostsPath, target.host, port, key).then(
            () => {
              verdict = { status: 'known' };
              verify(true);
            },
            (error: unknown) => {
              recordError = error instanceof Error ? error.message : error;
              verify(false);
            },
          );
          return;
        }
        verify(false);
      },
    });

    try {
      const refused = await connected;
      if (refused !== undefined) return refused;
      return await work((label, command, stdin) => runRemote(client, label, command, stdin, execTimeoutMs));
    } finally {
      client.end();
    }
  }

  return {
    validate(target) {
      return withSession(target, async (run) => {
        const check = await run('ledger-check', `test -d ${shellQuote(target.ledgerPath)}`, undefined);
        if (!check.ok) return check;
        const report = check.commands[0];
        if (report?.exitCode !== 0) {
          return failure('command', `ledger ${target.ledgerPath} does not exist on ${target.name}`, check.commands);
        }
        return check;
      });
    },

    pushIdentity(target) {
      return withSession(target, async (run) => {
        const ledger = shellQuote(target.ledgerPath);
        const setIdentity = await run(
          'set-identity',
          options.setIdentityCommand.replaceAll('{ledger}', ledger),
          keypair,
        );
        if (!setIdentity.ok) return setIdentity;
        if (setIdentity.commands[0]?.exitCode !== 0) {
          return failure(
            'command',
            `set-identity on ${target.name} exited with ${setIdentity.commands[0]?.exitCode}`,
            setIdentity.commands,
          );
        }
        if (options.authorizedVoterCommand === undefined) return setIdentity;
        const voter = await run(
          'authorized-voter',
          options.authorizedVoterCommand.replaceAll('{ledger}', ledger),
          keypair,
        );
        const commands = [...setIdentity.commands, ...voter.commands];
        if (!voter.ok) return { ...voter, commands };
        const report = voter.commands[0];
        if (report?.exitCode !== 0 && report?.alreadyPresent !== true) {
          return failure('command', `authorized-voter add on ${target.name} exited with ${report?.exitCode}`, commands);
        }
        return { ok: true, commands };
      });
    },
  };
}

type RunRemote = (
  label: RemoteCommandReport['label'],
  command: string,
  stdin: Buffer | undefined,
) => Promise<SshResult>;

function runRemote(
  client: Client,
  label: RemoteCommandReport['label'],
  command: string,
  stdin: Buffer | undefined,
  timeoutMs: number,
): Promise<SshResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SshResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      client.end();
      finish(failure('timeout', `${label} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);

    client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
      if (error) return finish(failure('exec', `cannot start ${label}: ${error.message}`));
      let output = '';
      const collect = (chunk: Buffer): void => {
        if (output.length < 4096) output += chunk.toString('utf8');
      };
      channel.on('data', collect);
      channel.stderr.on('data', collect);
      channel.on('close', (code: number | null) => {
        finish({
          ok: true,
          commands: [
            {
              label,
              exitCode: code ?? null,
              durationMs: Math.round(performance.now() - started),
              // agave admin_rpc_service.rs: add_authorized_voter answers "Authorized voter already present".
              alreadyPresent: label === 'authorized-voter' && /already present/i.test(output),
            },
          ],
        });
      });
      // end() writes the keypair and then EOF, which is what makes the remote command read it.
      channel.end(stdin);
    });
  });
}

function failure(stage: SshFailureStage, message: string, commands: readonly RemoteCommandReport[] = []): SshResult {
  return { ok: false, stage, message, commands };
}

function describeVerdict(verdict: HostKeyVerdict, target: PushTarget, port: number, knownHostsPath: string): string {
  const where = `${target.name} (${target.host}:${port})`;
  switch (verdict.status) {
    case 'changed':
      return `the ${verdict.keyType} host key of ${where} differs from the one in ${knownHostsPath}; refusing to send the identity`;
    case 'revoked':
      return `the host key of ${where} is marked @revoked in ${knownHostsPath}; refusing to send the identity`;
    case 'unknown':
      return `${where} is not in ${knownHostsPath}; add its ${verdict.keyType} key (ssh-keyscan) or set ssh_trust_on_first_use`;
    case 'known':
      return `${where} was accepted`;
  }
}

/** Expands a leading `~` or `~/` to the home directory, as the Go tool does for `ssh_key_path`. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  return path;
}

/** Quotes a value for a POSIX shell so it stays one word whatever it contains. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
