import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretFileError, loadSecretFile } from '@failover/protocol';

describe('loadSecretFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'failover-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (content: string, mode: number): string => {
    const file = join(dir, 'secret');
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };

  it('reads a 0600 file without its trailing newline', async () => {
    const loaded = await loadSecretFile(write('0123456789abcdef0123\n', 0o600));
    expect(loaded.secret.toString()).toBe('0123456789abcdef0123');
    expect(loaded.warnings).toEqual([]);
  });

  it('warns when the group may read the file', async () => {
    const file = write('0123456789abcdef0123', 0o640);
    expect((await loadSecretFile(file)).warnings).toEqual([
      `shared secret file ${file} is readable by its group (mode 0640)`,
    ]);
  });

  it.each([
    ['a missing file', null, 0o600, 'FAILOVER_SECRET_FILE_MISSING', 'missing'],
    ['an empty file', '\n', 0o600, 'FAILOVER_SECRET_FILE_EMPTY', 'empty'],
    ['a short secret', 'short', 0o600, 'FAILOVER_SECRET_FILE_TOO_SHORT', 'too-short'],
    ['a world-readable file', 'world-readable-secret-value', 0o644, 'FAILOVER_SECRET_FILE_PERMISSIONS', 'permissions'],
    ['a group-writable file', 'group-writable-secret-value', 0o660, 'FAILOVER_SECRET_FILE_PERMISSIONS', 'permissions'],
  ])('refuses %s without revealing its content', async (_name, content, mode, code, problem) => {
    const file = content === null ? join(dir, 'absent') : write(content, mode);
    const error = await loadSecretFile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretFileError);
    expect(error).toMatchObject({ code, problem, path: file });
    expect((error as Error).message.startsWith(`${code}: shared secret file ${file}`)).toBe(true);
    if (content !== null && content.trim() !== '') expect((error as Error).message).not.toContain(content.trim());
  });
});
