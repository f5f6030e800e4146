import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCommandRunner, resolvePlaceholders } from '../src/command-runner';
import { recordingLogger } from './support/recording-logger';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'agent-cmd-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const placeholders = { validator_identity: 'Stake11111111111111111111111111111111111111', ledger: '/mnt/ledger' };

describe('placeholders', () => {
  it.each([
    [
      'the identity',
      'solana gossip | grep {validator_identity}',
      `solana gossip | grep ${placeholders.validator_identity}`,
    ],
    ['the ledger, twice', '{ledger}/a {ledger}/b', '/mnt/ledger/a /mnt/ledger/b'],
    ['bash brace expansion, untouched', 'echo {a,b} ${HOME} {unknown_key}', 'echo {a,b} ${HOME} {unknown_key}'],
  ])('resolves %s', (_case, template, expected) => {
    expect(resolvePlaceholders(template, placeholders)).toBe(expected);
  });
});

describe('command runner', () => {
  it('runs a template through bash and captures its output and exit code', async () => {
    const runner = createCommandRunner({ placeholders, dryRun: false, logger: recordingLogger() });
    const result = await runner.run('check', 'echo out {validator_identity}; echo err >&2; exit 3');
    expect(result).toMatchObject({ ok: false, exitCode: 3, timedOut: false, dryRun: false });
    expect(result.stdout).toBe(`out ${placeholders.validator_identity}\n`);
    expect(result.stderr).toBe('err\n');
  });

  it('in dry-run logs "would execute" with placeholders resolved and runs nothing', async () => {
    const logger = recordingLogger();
    const marker = path.join(dir, 'ran');
    const runner = createCommandRunner({ placeholders, dryRun: true, logger });
    const result = await runner.run('identity_change_command', `touch ${marker} {ledger}`);
    expect(result).toMatchObject({ ok: true, dryRun: true });
    expect(existsSync(marker)).toBe(false);
    expect(logger.text()).toContain(`would execute: touch ${marker} /mnt/ledger`);
  });

  it('adds per-call variables to the environment without putting them on the command line', async () => {
    const logger = recordingLogger();
    const runner = createCommandRunner({
      placeholders,
      dryRun: false,
      logger,
      env: { PATH: process.env.PATH, BASE: 'kept' },
    });
    const result = await runner.run('hook', 'printf "%s|%s" "$BASE" "$FAILOVER_REASON"', {
      env: { FAILOVER_REASON: '$(echo injected)' },
    });
    expect(result).toMatchObject({ ok: true, stdout: 'kept|$(echo injected)' });
    expect(logger.text()).toContain('executing: printf "%s|%s" "$BASE" "$FAILOVER_REASON"');
  });

  it('kills the whole process group when the timeout passes', async () => {
    const pidFile = path.join(dir, 'pid');
    const runner = createCommandRunner({ placeholders, dryRun: false, timeoutMs: 300, logger: recordingLogger() });
    const result = await runner.run('slow', `sleep 30 & echo $! > ${pidFile}; wait`);
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(result.durationMs).toBeLessThan(5_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await expect(waitForExit(grandchild)).resolves.toBe(true);
  });

  it('keeps secrets and keypair contents out of logs and results', async () => {
    const logger = recordingLogger();
    const secret = 'hmac-secret-value-123';
    const keypair = JSON.stringify(Array.from({ length: 64 }, (_, i) => i));
    const runner = createCommandRunner({ placeholders, dryRun: false, logger, secrets: [secret] });
    const result = await runner.run('leaky', `echo ${secret}; echo '${keypair}' >&2; false`);
    for (const text of [logger.text(), result.stdout, result.stderr, result.command]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(keypair);
    }
    expect(result.stderr).toContain('[redacted keypair]');
  });

  it('reports a missing shell as a failed result, not an exception', async () => {
    const runner = createCommandRunner({
      placeholders,
      dryRun: false,
      logger: recordingLogger(),
      shell: path.join(dir, 'no-such-shell'),
    });
    const result = await runner.run('x', 'true');
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain('ENOENT');
  });
});

async function waitForExit(pid: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (!existsSync(`/proc/${pid}`) || isZombie(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return true;
  }
}
