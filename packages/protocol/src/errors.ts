/**
 * Errors thrown by `@failover/protocol`. Each carries a stable `code` (`FAILOVER_*`) that is
 * also the first word of its message and is listed in docs/errors.md. Messages name files
 * and keys, never secret values.
 *
 * Expected outcomes are values, not these: config problems (`ConfigResult`), request
 * verification (`VerifyResult`), agent calls (`AgentCallResult`).
 */
import { FailoverError } from '@failover/core';

/**
 * Base class of every error `@failover/protocol` throws; a core `FailoverError`, so callers
 * can catch every package's errors and read `code` the same way.
 */
export class ProtocolError extends FailoverError {}

/** Why a shared-secret file was refused. */
export type SecretFileProblem = 'missing' | 'unreadable' | 'empty' | 'too-short' | 'permissions';

const SECRET_FILE_CODES: Record<SecretFileProblem, string> = {
  missing: 'FAILOVER_SECRET_FILE_MISSING',
  unreadable: 'FAILOVER_SECRET_FILE_UNREADABLE',
  empty: 'FAILOVER_SECRET_FILE_EMPTY',
  'too-short': 'FAILOVER_SECRET_FILE_TOO_SHORT',
  permissions: 'FAILOVER_SECRET_FILE_PERMISSIONS',
};

/** Thrown by `loadSecretFile` when the shared-secret file cannot be used; names the path only. */
export class SecretFileError extends ProtocolError {
  /** The file that was refused. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: SecretFileProblem;

  constructor(path: string, problem: SecretFileProblem, detail: string, options?: { cause?: unknown }) {
    super(SECRET_FILE_CODES[problem], `shared secret file ${path} ${detail}`, options);
    this.path = path;
    this.problem = problem;
  }
}

/** Thrown when a file named by an etcd TLS or user key cannot be used; names the key and the path, never the content. */
export class EtcdAccessError extends ProtocolError {
  /** The config key, e.g. `etcd_key_file`. */
  readonly key: string;
  /** The file. */
  readonly path: string;

  constructor(key: string, path: string, detail: string, options?: { cause?: unknown }) {
    super('FAILOVER_ETCD_ACCESS', `${key} ${path} ${detail}`, options);
    this.key = key;
    this.path = path;
  }
}

/** Thrown when an agent client is created with options it cannot work with (bad URL, timeout). */
export class AgentClientOptionsError extends ProtocolError {
  /** The option at fault, e.g. `baseUrl`. */
  readonly option: string;

  constructor(option: string, detail: string) {
    super('FAILOVER_AGENT_CLIENT_OPTIONS', `createAgentClient: ${option} ${detail}`);
    this.option = option;
  }
}

/** Thrown at start when the state directory cannot be created or written; names the directory. */
export class StateDirError extends ProtocolError {
  /** The directory at fault. */
  readonly path: string;

  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super('FAILOVER_STATE_DIR', `state directory ${path} ${detail}`, options);
    this.path = path;
  }
}

/** Thrown when a state file is present but cannot be read, is not JSON, or is not of its schema. */
export class StateFileError extends ProtocolError {
  /** The file at fault. */
  readonly path: string;

  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super('FAILOVER_STATE_FILE', `state file ${path} ${detail}`, options);
    this.path = path;
  }
}

/** Every code this package throws, for the documentation check. */
export const PROTOCOL_ERROR_CODES: readonly string[] = [
  ...Object.values(SECRET_FILE_CODES),
  'FAILOVER_AGENT_CLIENT_OPTIONS',
  'FAILOVER_STATE_DIR',
  'FAILOVER_STATE_FILE',
];
