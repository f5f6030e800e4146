/**
 * Errors of the simulator. Each carries a stable `FAILOVER_SIM_*` code in its message so that a
 * failing test or demo says which part of the test bed broke, not just that something did.
 */

/** Base class of every error the simulator throws. */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = new.target.name;
  }
}

/** Thrown when a cluster or validator process does not come up (exit before ready, or timeout). */
export class SimStartError extends SimError {
  constructor(
    readonly process: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('FAILOVER_SIM_START', `${process} did not start: ${detail}`, options);
  }
}

/** Thrown when a fault or judge request to a running cluster or validator fails. */
export class SimControlError extends SimError {
  constructor(
    readonly target: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('FAILOVER_SIM_CONTROL', `${target}: ${detail}`, options);
  }
}

/** Thrown when startCluster options or a party name are invalid. */
export class SimOptionsError extends SimError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super('FAILOVER_SIM_OPTIONS', `${path}: ${detail}`);
  }
}

/** Thrown when a condition awaited with bounded polling does not hold in time. */
export class SimTimeoutError extends SimError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super('FAILOVER_SIM_TIMEOUT', `${what} did not happen within ${timeoutMs} ms`);
  }
}
