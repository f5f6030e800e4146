import { MIN_REQUEST_TIMEOUT_MS, requestTimeoutWarning } from '@failover/core';

describe('requestTimeoutWarning', () => {
  // Regression (F2): a request_timeout of 500 ms was accepted silently, and a live agent was taken for unreachable.
  it.each([
    [500, true],
    [MIN_REQUEST_TIMEOUT_MS - 1, true],
    [MIN_REQUEST_TIMEOUT_MS, false],
    [5_000, false],
  ])('warns about %i ms: %s', (ms, warns) => {
    const warning = requestTimeoutWarning(ms);
    expect(warning !== null).toBe(warns);
    if (warning !== null)
      expect(warning).toContain(`request_timeout is ${ms} ms, below the ${MIN_REQUEST_TIMEOUT_MS} ms floor`);
  });
});
