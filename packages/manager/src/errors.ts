/**
 * Errors the manager throws. Each has a stable code, the first word of its message and
 * listed in docs/manager.md; a test checks that list. Failures of the monitored system
 * (an agent unreachable, a failed promotion) are values, not these: these stop the program
 * or refuse a request before anything was done.
 */
import { FailoverError } from '@failover/core';

/** Base class of every error `@failover/manager` throws. */
export class ManagerError extends FailoverError {}

/** The command line is malformed: the parser returns what is wrong, the CLI reports it with this code and exits 2. */
export class UsageError extends ManagerError {
  constructor(message: string) {
    super('FAILOVER_MANAGER_USAGE', message);
  }
}

/** Thrown when the configuration cannot run: each problem is listed with its key; exit code 2. */
export class ManagerConfigError extends ManagerError {
  /** One line per problem, each naming its key. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('FAILOVER_MANAGER_CONFIG', `the configuration cannot be used:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Thrown at start when no shared secret is configured and `insecure_no_auth` is not set. */
export class NoAuthSecretError extends ManagerError {
  constructor() {
    super(
      'FAILOVER_MANAGER_NO_AUTH',
      'no auth_secret_file configured; agents would accept failover commands from anyone who can reach them. ' +
        'Set auth_secret_file (the same secret as the agents), or insecure_no_auth: true to run without authentication',
    );
  }
}

/** Thrown at start in secure identity mode when the keypair file is not the staked identity. */
export class IdentityMismatchError extends ManagerError {
  /** The keypair file that was read. */
  readonly path: string;

  constructor(path: string, actual: string, expected: string) {
    super(
      'FAILOVER_MANAGER_IDENTITY_MISMATCH',
      `identity_keypair_path ${path} holds ${actual}, but staked_identity_pubkey is ${expected}; refusing to start`,
    );
    this.path = path;
  }
}

/**
 * Thrown at start in secure identity mode when the staked keypair file may be read or changed by
 * its group or other users: whoever can read it can vote with the stake. Refused as ssh refuses
 * a private key others can read.
 */
export class KeypairPermissionsError extends ManagerError {
  /** The keypair file that was refused. */
  readonly path: string;
  /** Its permission bits, e.g. 0o644. */
  readonly mode: number;

  constructor(path: string, mode: number) {
    const octal = mode.toString(8).padStart(4, '0');
    super(
      'FAILOVER_MANAGER_KEYPAIR_PERMISSIONS',
      `identity_keypair_path ${path} has mode ${octal}: its group or other users can read or change the staked identity; refusing to start. Run: chmod 600 ${path}`,
    );
    this.path = path;
    this.mode = mode;
  }
}

/** Thrown at start in secure identity mode when a validator cannot receive the identity over SSH. */
export class SecureModeCheckError extends ManagerError {
  /** The validator that failed the check, e.g. `validator2`. */
  readonly validator: string;

  constructor(validator: string, detail: string) {
    super('FAILOVER_MANAGER_SSH_CHECK', `secure identity mode check failed for ${validator}: ${detail}`);
    this.validator = validator;
  }
}

/** Thrown at start when `control_listen` or `metrics_listen` cannot be listened on (in use, not an address of this host). */
export class ManagerListenError extends ManagerError {
  /** The config key whose address failed. */
  readonly key: 'control_listen' | 'metrics_listen';

  constructor(key: 'control_listen' | 'metrics_listen', address: string, cause: unknown) {
    const detail = (cause as NodeJS.ErrnoException | undefined)?.code ?? (cause as Error | undefined)?.message;
    super('FAILOVER_MANAGER_LISTEN', `cannot listen on ${key} ${address}: ${describeListenFailure(detail)}`);
    this.key = key;
  }
}

function describeListenFailure(code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'the port is in use (another manager, or another program)';
    case 'EADDRNOTAVAIL':
      return 'the host is not an address of this machine';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    default:
      return code ?? 'unknown error';
  }
}

/** Thrown by the `status` and `switchover` subcommands when the control API refuses or cannot be reached. */
export class ControlApiError extends ManagerError {
  /** HTTP status of the refusal; undefined when the manager could not be reached. */
  readonly status: number | undefined;

  constructor(detail: string, status?: number) {
    super('FAILOVER_MANAGER_CONTROL', detail);
    this.status = status;
  }
}
