/**
 * Errors the agent throws at start-up, when it must refuse to run. Everything that can go
 * wrong while running (a command, the tower store, the RPC) is a value instead, reported in
 * `/status`, in `/failover` answers and in the log. Each code is listed in docs/agent.md.
 */
import { FailoverError } from '@failover/core';

/** Base class of the agent's errors; `code` is stable. */
export class AgentError extends FailoverError {}

/** Thrown when neither `auth_secret_file` nor `insecure_no_auth: true` is configured. */
export class AgentAuthMissingError extends AgentError {
  constructor() {
    super(
      'FAILOVER_AGENT_NO_AUTH',
      'no auth_secret_file configured; refusing to serve an unauthenticated API that can move the staked identity. ' +
        'Set auth_secret_file (e.g. a file holding `openssl rand -hex 32`, mode 0600) or, for a closed test network only, insecure_no_auth: true',
    );
  }
}

/**
 * Thrown when `validator_identity` is not a base58 public key (a placeholder left from a
 * migration, a typo). Its absence is a config problem, refused when the config is loaded.
 */
export class AgentIdentityError extends AgentError {
  /** The configured value (a pubkey is public). */
  readonly value: string;

  constructor(value: string) {
    super('FAILOVER_AGENT_IDENTITY', `validator_identity "${value}" is not a base58 public key`);
    this.value = value;
  }
}

/** Thrown when `listen_addr` is not `host:port` or `:port`. */
export class AgentListenAddressError extends AgentError {
  /** The configured value. */
  readonly value: string;

  constructor(value: string) {
    super('FAILOVER_AGENT_LISTEN_ADDR', `listen_addr "${value}" is not host:port, [ipv6]:port or :port`);
    this.value = value;
  }
}

/** Every code the agent's errors use, for the documentation test. */
export const AGENT_ERROR_CODES = [
  'FAILOVER_AGENT_NO_AUTH',
  'FAILOVER_AGENT_IDENTITY',
  'FAILOVER_AGENT_LISTEN_ADDR',
] as const;
