/**
 * How the agent's API authenticates requests, decided once at start: `auth_secret_file`
 * loaded and checked, or `insecure_no_auth`. The CLI loads it before it creates the logger,
 * which must mask the secret from its first line on, and hands it to `createAgent`.
 */
import type { Logger } from '@failover/core';
import { loadSecretFile, type AgentConfig, type Secret } from '@failover/protocol';
import { AgentAuthMissingError } from './errors';

/** The loaded authentication, with what to log about the secret file (never the secret). */
export type AgentAuth =
  | { readonly mode: 'secret'; readonly secret: Secret; readonly warnings: readonly string[] }
  | { readonly mode: 'insecure' };

/**
 * Loads the authentication `config` chooses.
 * @throws {AgentAuthMissingError} when neither `auth_secret_file` nor `insecure_no_auth` is set
 * @throws {SecretFileError} when the secret file is missing, unreadable, too short or too open
 */
export async function loadAgentAuth(config: AgentConfig): Promise<AgentAuth> {
  switch (config.auth.mode) {
    case 'secret-file': {
      const loaded = await loadSecretFile(config.auth.secretFile);
      return { mode: 'secret', secret: loaded.secret, warnings: loaded.warnings };
    }
    case 'insecure':
      return { mode: 'insecure' };
    case 'missing':
      throw new AgentAuthMissingError();
  }
}

/** The values the log and command output mask: the secret, as the text of its file. */
export function secretsToRedact(auth: AgentAuth): string[] {
  return auth.mode === 'secret' ? [Buffer.from(auth.secret).toString('utf8')] : [];
}

/** Logs, at every start, what an operator must know about the authentication. */
export function warnAboutAuth(auth: AgentAuth, log: Logger): void {
  if (auth.mode === 'secret') {
    for (const warning of auth.warnings) log.warn({}, warning);
    return;
  }
  // Said at every start: an open agent API lets anyone on the network move the identity.
  log.warn(
    { insecure_no_auth: true },
    'insecure_no_auth: the agent API accepts unauthenticated requests; anyone who can reach it can trigger a failover',
  );
}
