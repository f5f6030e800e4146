/**
 * How the agent's API authenticates requests, decided once at start: `auth_secret_file`
 * loaded and checked, or `insecure_no_auth`. The CLI loads it before it creates the logger,
 * which must mask the secret from its first line on, and hands it to `createAgent`.
 */
import type { Logger } from '@failover/core';
import { loadAuth, type AgentConfig, type LoadedAuth } from '@failover/protocol';
import { AgentAuthMissingError } from './errors';

/** The agent's loaded authentication. */
export type AgentAuth = LoadedAuth;

/**
 * Loads the authentication `config` chooses.
 * @throws {AgentAuthMissingError} when neither `auth_secret_file` nor `insecure_no_auth` is set
 * @throws {SecretFileError} when the secret file is missing, unreadable, too short or too open
 */
export function loadAgentAuth(config: AgentConfig): Promise<AgentAuth> {
  return loadAuth(config.auth, () => new AgentAuthMissingError());
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
