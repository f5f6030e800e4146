/**
 * Errors thrown by `@failover/testkit`.
 *
 * A test that fails because its environment failed (etcd did not come up, a port was taken)
 * must say so plainly, with the component's own last words, instead of timing out somewhere
 * later with an unrelated assertion.
 */

/** Base class of every error the test kit throws; `code` is stable. */
export class TestkitError extends Error {
  /** Stable machine-readable code, e.g. `FAILOVER_TESTKIT_START`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Thrown when a real component (etcd, sshd, a server) does not become ready in time. */
export class ComponentStartError extends TestkitError {
  /** Which component, e.g. `etcd member etcd-1`. */
  readonly component: string;
  /** The tail of the component's stderr, when it had any. */
  readonly output: string;

  constructor(component: string, problem: string, output = '', options?: { cause?: unknown }) {
    const tail = output.trim() === '' ? '' : `\n--- last output of ${component} ---\n${output.trim()}`;
    super('FAILOVER_TESTKIT_START', `${component} did not start: ${problem}${tail}`, options);
    this.component = component;
    this.output = output;
  }
}

/** Thrown by `waitFor` when its condition is still false at the deadline. */
export class WaitTimeoutError extends TestkitError {
  /** What was awaited, as the caller described it. */
  readonly description: string;
  /** How long was waited, in milliseconds. */
  readonly timeoutMs: number;

  constructor(description: string, timeoutMs: number, lastError?: unknown) {
    const last = lastError === undefined ? '' : `; last error: ${describe(lastError)}`;
    super('FAILOVER_TESTKIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${description}${last}`, {
      cause: lastError,
    });
    this.description = description;
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown when a helper is given an argument it cannot use (e.g. a proxy target without a port). */
export class TestkitArgumentError extends TestkitError {
  constructor(what: string, problem: string) {
    super('FAILOVER_TESTKIT_ARGUMENT', `${what}: ${problem}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
