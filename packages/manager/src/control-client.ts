/**
 * The client side of the control API, used by `failover-manager status`, `switchover`, `pause` and `resume`:
 * signed JSON requests to the manager on loopback.
 */
import {
  AUTH_HEADER,
  CONTROL_API_NODE,
  CONTROL_PATHS,
  NODE_HEADER,
  ControlStatusSchema,
  ErrorEnvelopeSchema,
  PauseAnswerSchema,
  readCappedText,
  signRequest,
  systemClock,
  type Secret,
} from '@failover/protocol';
import type {
  ControlStatus,
  PauseAnswerBody,
  PauseRequest,
  ResumeRequest,
  SwitchoverLine,
  SwitchoverRequest,
} from '@failover/protocol';
import { Value } from '@sinclair/typebox/value';
import { ControlApiError } from './errors';

/** Where the manager's control API listens and how to authenticate. */
export interface ControlTarget {
  readonly host: string;
  readonly port: number;
  /** Absent only with `insecure_no_auth`. */
  readonly secret: Secret | undefined;
  /** @default 10000 for status; switchover has no overall limit (it follows the failover). */
  readonly timeoutMs?: number;
}

/**
 * The largest answer, and the longest switchover progress line, read from the control API in
 * bytes. Its answers are a few kilobytes; anything on the port that sends more (not the
 * manager, or a broken one) is cut off there instead of being held in memory.
 */
export const CONTROL_ANSWER_BODY_LIMIT = 1_048_576;

/** Asks the running manager for its view of both nodes. */
export async function fetchControlStatus(target: ControlTarget): Promise<ControlStatus> {
  const response = await post(target, CONTROL_PATHS.status, {}, AbortSignal.timeout(target.timeoutMs ?? 10_000));
  const body = await readJson(response, CONTROL_PATHS.status);
  if (!Value.Check(ControlStatusSchema, body))
    throw new ControlApiError(`the manager's status answer does not match the control API`, response.status);
  return body;
}

/** Pauses automatic failover; resolves once the manager journaled the pause, or refused it. */
export async function requestPause(target: ControlTarget, request: PauseRequest): Promise<PauseAnswerBody> {
  return pauseCall(target, CONTROL_PATHS.pause, request);
}

/** Ends the pause; resolves once the manager journaled its end, or refused it. */
export async function requestResume(target: ControlTarget, request: ResumeRequest): Promise<PauseAnswerBody> {
  return pauseCall(target, CONTROL_PATHS.resume, request);
}

async function pauseCall(target: ControlTarget, path: string, request: object): Promise<PauseAnswerBody> {
  const response = await post(target, path, request, AbortSignal.timeout(target.timeoutMs ?? 10_000));
  const body = await readJson(response, path);
  if (!Value.Check(PauseAnswerSchema, body))
    throw new ControlApiError(`the manager's answer to ${path} does not match the control API`, response.status);
  return body;
}

/** Requests a planned switchover and yields each progress line as the manager writes it. */
export async function* requestSwitchover(
  target: ControlTarget,
  request: SwitchoverRequest,
): AsyncGenerator<SwitchoverLine> {
  const response = await post(target, CONTROL_PATHS.switchover, request, undefined);
  if (response.body === null)
    throw new ControlApiError('the manager answered the switchover without a body', response.status);
  const decoder = new TextDecoder();
  let pending = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') yield JSON.parse(line) as SwitchoverLine;
        newline = pending.indexOf('\n');
      }
      if (Buffer.byteLength(pending) > CONTROL_ANSWER_BODY_LIMIT)
        throw new ControlApiError(
          `a progress line of the switchover answer is longer than ${CONTROL_ANSWER_BODY_LIMIT} bytes; stopped reading it there`,
          response.status,
        );
    }
  } finally {
    // Drops the connection when the read stopped early (a refusal above, or the caller stopped iterating).
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * The answer's body as JSON, read up to {@link CONTROL_ANSWER_BODY_LIMIT}; undefined when it is
 * not JSON or the connection failed while it was read.
 */
async function readJson(response: Response, path: string): Promise<unknown> {
  const text = await readCappedText(response, CONTROL_ANSWER_BODY_LIMIT).catch(() => '');
  if (text === undefined)
    throw new ControlApiError(
      `the manager's answer to ${path} is larger than ${CONTROL_ANSWER_BODY_LIMIT} bytes; stopped reading it there`,
      response.status,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function post(
  target: ControlTarget,
  path: string,
  body: object,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', [NODE_HEADER]: CONTROL_API_NODE };
  if (target.secret !== undefined)
    headers[AUTH_HEADER] = signRequest({
      secret: target.secret,
      method: 'POST',
      path,
      node: CONTROL_API_NODE,
      body: text,
      now: systemClock.now(),
    });
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  let response: Response;
  try {
    response = await fetch(`http://${host}:${target.port}${path}`, {
      method: 'POST',
      headers,
      body: text,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new ControlApiError(
      `cannot reach the manager's control API at ${host}:${target.port} (${code}); is failover-manager running with this config?`,
    );
  }
  if (response.status >= 400) {
    const envelope = await readJson(response, path);
    const message = Value.Check(ErrorEnvelopeSchema, envelope)
      ? `${envelope.error.code}: ${envelope.error.message}`
      : `HTTP ${response.status}`;
    throw new ControlApiError(`the manager refused the request: ${message}`, response.status);
  }
  return response;
}
