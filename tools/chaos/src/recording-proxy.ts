/**
 * An HTTP proxy on the manager's path to one agent that keeps every exchange — the request as
 * it was signed (method, path, headers, body bytes) and the agent's answer — so a trial can
 * replay a captured request elsewhere, as anyone on the path could, and check from the wire
 * which term each agent obeyed. It forwards byte for byte and adds nothing; a request whose
 * sender went away after sending it is still delivered, as the network would. It can hold one
 * request back and deliver it later, as a network that delays a packet would.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request through the proxy and what the agent answered. */
export interface Exchange {
  /** The agent behind the proxy (`v1`, `v2`). */
  readonly agent: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** When the whole request had arrived at the proxy. */
  readonly sentMs: number;
  /** When the answer came back; undefined while none did (or the agent never answered). */
  answeredMs: number | undefined;
  status: number | undefined;
  /** The answer's error code (`FAILOVER_…`), when it is an error envelope. */
  code: string | undefined;
}

/** A running recorder; {@link startRecordingProxy}. */
export interface RecordingProxy {
  readonly agent: string;
  /** `http://127.0.0.1:<port>`, the endpoint to give the manager. */
  readonly url: string;
  /** Where requests go, `http://host:port`; set before the first request arrives. */
  target: string | undefined;
  readonly exchanges: readonly Exchange[];
  /** Holds back the next request `matches` accepts: recorded when it arrives, forwarded only at `release()`. */
  hold(matches: (exchange: Exchange) => boolean): HeldRequest;
  stop(): Promise<void>;
}

/** A request held back by {@link RecordingProxy.hold}. */
export interface HeldRequest {
  /** Resolves with the request once it has arrived, and is held. */
  readonly arrived: Promise<Exchange>;
  /** Forwards it (its answer goes back to the sender, as any); before it arrived, ends the hold instead. */
  release(): void;
}

/** What a replayed request was answered. */
export interface ReplayAnswer {
  readonly status: number;
  readonly code: string | undefined;
}

/** Starts a recorder on a free loopback port for the agent named `agent`. */
export async function startRecordingProxy(agent: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const state: { target: string | undefined } = { target: undefined };
  const holds: Array<{ matches: (exchange: Exchange) => boolean; held: (forward: () => void, e: Exchange) => void }> =
    [];
  const server = createServer((req, res) => {
    void readBody(req).then(
      (body) => {
        const exchange: Exchange = {
          agent,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body,
          sentMs: Date.now(),
          answeredMs: undefined,
          status: undefined,
          code: undefined,
        };
        exchanges.push(exchange);
        const target = state.target;
        if (target === undefined) {
          res.destroy();
          return;
        }
        const forward = (): void => {
          const upstream = httpRequest(
            new URL(exchange.path, target),
            { method: exchange.method, headers: req.headers },
            (answer) => {
              void readBody(answer).then(
                (answerBody) => {
                  exchange.answeredMs = Date.now();
                  exchange.status = answer.statusCode;
                  exchange.code = errorCode(answerBody);
                  res.writeHead(answer.statusCode ?? 502, answer.headers);
                  res.end(answerBody);
                },
                () => res.destroy(),
              );
            },
          );
          upstream.on('error', () => res.destroy());
          upstream.end(body);
        };
        const hold = holds.findIndex((h) => h.matches(exchange));
        if (hold < 0) forward();
        else holds.splice(hold, 1)[0]!.held(forward, exchange);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    agent,
    url: `http://127.0.0.1:${port}`,
    get target() {
      return state.target;
    },
    set target(value: string | undefined) {
      state.target = value;
    },
    exchanges,
    hold(matches) {
      let forward: (() => void) | undefined;
      let released = false;
      let arrive: (exchange: Exchange) => void = () => undefined;
      const arrived = new Promise<Exchange>((resolve) => (arrive = resolve));
      const entry = {
        matches,
        held: (send: () => void, exchange: Exchange): void => {
          forward = send;
          arrive(exchange);
        },
      };
      holds.push(entry);
      return {
        arrived,
        release: () => {
          if (released) return;
          released = true;
          if (forward === undefined) holds.splice(holds.indexOf(entry), 1);
          else forward();
        },
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a captured request again, unchanged, to `baseUrl` (`http://host:port`). */
export async function replay(exchange: Exchange, baseUrl: string, timeoutMs = 5_000): Promise<ReplayAnswer> {
  const headers = { ...exchange.headers };
  delete headers.host;
  delete headers.connection;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(exchange.path, baseUrl),
      { method: exchange.method, headers, timeout: timeoutMs },
      (answer) => {
        readBody(answer).then((body) => resolve({ status: answer.statusCode ?? 0, code: errorCode(body) }), reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`replay to ${baseUrl}${exchange.path}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(exchange.body);
  });
}

/** The JSON body of a request, or undefined when it is not a JSON object. */
export function jsonBody(exchange: Pick<Exchange, 'body'>): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(exchange.body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function errorCode(body: Buffer): string | undefined {
  const parsed = jsonBody({ body });
  const error = parsed?.['error'];
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
