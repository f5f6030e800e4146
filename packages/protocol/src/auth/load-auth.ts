/**
 * The authentication a config chooses, loaded once at start by either app: `auth_secret_file`
 * read and checked by {@link loadSecretFile}, or `insecure_no_auth`. Each app refuses to start
 * without either, with its own error, so `missing` is the caller's to turn into one.
 */
import type { AuthSetting } from '../config/domain-config';
import type { Secret } from './request-auth';
import { loadSecretFile } from './secret-file';

/** The loaded authentication, with what to log about the secret file (never the secret). */
export type LoadedAuth =
  | { readonly mode: 'secret'; readonly secret: Secret; readonly warnings: readonly string[] }
  | { readonly mode: 'insecure' };

/**
 * Loads the authentication `setting` chooses; `missing` builds the app's error for a config
 * with neither a secret file nor `insecure_no_auth`.
 * @throws the error `missing` builds, or SecretFileError when the secret file is missing, unreadable, too short or too open
 */
export async function loadAuth(setting: AuthSetting, missing: () => Error): Promise<LoadedAuth> {
  switch (setting.mode) {
    case 'secret-file': {
      const loaded = await loadSecretFile(setting.secretFile);
      return { mode: 'secret', secret: loaded.secret, warnings: loaded.warnings };
    }
    case 'insecure':
      return { mode: 'insecure' };
    case 'missing':
      throw missing();
  }
}

/** The secret of `auth`, or undefined with `insecure_no_auth`. */
export function secretOf(auth: LoadedAuth): Secret | undefined {
  return auth.mode === 'secret' ? auth.secret : undefined;
}

/** The values logs and command output mask: the secret, as the text of its file. */
export function secretsToRedact(auth: LoadedAuth): string[] {
  return auth.mode === 'secret' ? [Buffer.from(auth.secret).toString('utf8')] : [];
}
