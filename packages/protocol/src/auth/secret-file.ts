/**
 * Reading the shared secret from `auth_secret_file`. Like OpenSSH with private keys, the
 * file is refused when other users may read or write it, or the group may write it: a
 * secret others can read authenticates them too. A group-readable file is accepted with a
 * warning (a `failover` group shared by the services is a real setup).
 */
import { readFile, stat } from 'node:fs/promises';
import { SecretFileError } from '../errors';
import type { Secret } from './request-auth';

/** Fewest bytes a secret may have; `openssl rand -hex 32` gives 64. */
export const MIN_SECRET_BYTES = 16;

/** A loaded secret and what the caller should log about the file (never the secret). */
export interface LoadedSecret {
  readonly secret: Secret;
  readonly warnings: readonly string[];
}

/**
 * Loads and checks a shared-secret file; surrounding whitespace (a trailing newline from
 * `echo`) is not part of the secret.
 * @throws SecretFileError when the file is missing, unreadable, empty, too short or too open.
 */
export async function loadSecretFile(path: string): Promise<LoadedSecret> {
  let mode: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SecretFileError(path, 'unreadable', 'is not a regular file');
    mode = info.mode & 0o777;
  } catch (error) {
    if (error instanceof SecretFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretFileError(path, 'missing', 'does not exist', { cause: error });
    throw new SecretFileError(path, 'unreadable', `cannot be read (${code ?? 'unknown error'})`, { cause: error });
  }
  if ((mode & 0o007) !== 0 || (mode & 0o020) !== 0) {
    throw new SecretFileError(
      path,
      'permissions',
      `has mode ${mode.toString(8).padStart(4, '0')}; other users can read or change it. Run: chmod 600 ${path}`,
    );
  }
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretFileError(path, 'unreadable', `cannot be read (${code ?? 'unknown error'})`, { cause: error });
  }
  const secret = Buffer.from(content.toString('utf8').trim(), 'utf8');
  if (secret.length === 0)
    throw new SecretFileError(path, 'empty', 'is empty; put a random secret in it, e.g. openssl rand -hex 32');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new SecretFileError(
      path,
      'too-short',
      `holds fewer than ${MIN_SECRET_BYTES} bytes; use e.g. openssl rand -hex 32`,
    );
  }
  const warnings =
    (mode & 0o040) !== 0
      ? [`shared secret file ${path} is readable by its group (mode ${mode.toString(8).padStart(4, '0')})`]
      : [];
  return { secret, warnings };
}
