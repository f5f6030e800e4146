import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendEndlessBody, type EndlessBody } from '@failover/testkit';
import { CONTROL_ANSWER_BODY_LIMIT, fetchControlStatus, requestPause, requestSwitchover } from '../src/control-client';
import { ControlApiError } from '../src/errors';

const secret = new TextEncoder().encode('a-control-secret-of-enough-length');
let server: http.Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** Something on the control port that answers every request with an endless body of `status`. */
async function endlessControlPort(status = 200): Promise<{ port: number; sent: () => EndlessBody | undefined }> {
  let endless: EndlessBody | undefined;
  server = http.createServer((request, response) => {
    request.resume();
    endless = sendEndlessBody(response, status);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, sent: () => endless };
}

async function failure(call: Promise<unknown>): Promise<ControlApiError> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ControlApiError);
  return error as ControlApiError;
}

// Regression: the CLI read the control API's answers without a cap, until the call's deadline
// (status, pause) or forever (switchover).
describe('the control client stops reading an endless answer at its cap and drops the connection', () => {
  it('for status, before its deadline', async () => {
    const { port, sent } = await endlessControlPort();
    const error = await failure(fetchControlStatus({ host: '127.0.0.1', port, secret, timeoutMs: 3_000 }));
    expect(error.message).toContain(
      `the manager's answer to /v1/status is larger than ${CONTROL_ANSWER_BODY_LIMIT} bytes`,
    );
    expect(await sent()?.closed).toBeGreaterThan(CONTROL_ANSWER_BODY_LIMIT);
  });

  it('for a refusal’s envelope', async () => {
    const { port, sent } = await endlessControlPort(409);
    const error = await failure(
      requestPause({ host: '127.0.0.1', port, secret, timeoutMs: 3_000 }, { reason: 'test' }),
    );
    expect([error.status, error.message]).toEqual([
      409,
      expect.stringContaining(`is larger than ${CONTROL_ANSWER_BODY_LIMIT} bytes`) as unknown,
    ]);
    expect(await sent()?.closed).toBeGreaterThan(CONTROL_ANSWER_BODY_LIMIT);
  });

  it('for a switchover progress line that never ends, which has no deadline', async () => {
    const { port, sent } = await endlessControlPort();
    const lines = (async () => {
      for await (const line of requestSwitchover({ host: '127.0.0.1', port, secret }, { reason: 'test' })) void line;
    })();
    const error = await failure(lines);
    expect(error.message).toContain(`longer than ${CONTROL_ANSWER_BODY_LIMIT} bytes`);
    expect(await sent()?.closed).toBeGreaterThan(CONTROL_ANSWER_BODY_LIMIT);
  });
});
