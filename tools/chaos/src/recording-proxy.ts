/**
 * An HTTP proxy on the manager's path to one agent that keeps every exchange — the request as
 * it was signed (method, path, headers, body bytes) and the agent's answer — so a trial can
 * replay a captured request elsewhere, as anyone on the path could, and check from the wire
 * which term each agent obeyed. It forwards byte for byte and adds nothing; a request whose
 * sender went away after sending it is still delivered, as the network would. A trial can hold
 * one request at the proxy ({@link RecordingProxy.holdNext}), to act between the manager sending
 * it and the agent acting on it.
 */
import {
  request as httpRequest,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
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
  /**
   * Holds the next request that `accept` matches at the proxy, recorded but not yet forwarded,
   * until it is released; the requests after it pass.
   */
  holdNext(accept: (exchange: Exchange) => boolean): HeldRequest;
  stop(): Promise<void>;
}

/** A request held by {@link RecordingProxy.holdNext}. */
export interface HeldRequest {
  /** Resolves with the request once it arrived and is held. */
  readonly arrived: Promise<Exchange>;
  /** Forwards the held request to the agent; released before a request came, the hold is dropped. */
  release(): void;
}

interface Hold {
  readonly accept: (exchange: Exchange) => boolean;
  readonly held: (exchange: Exchange) => void;
  readonly released: Promise<void>;
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
  const holds: Hold[] = [];
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
        const hold = holds.findIndex((h) => h.accept(exchange));
        const gate = hold === -1 ? undefined : holds.splice(hold, 1)[0];
        gate?.held(exchange);
        return (gate?.released ?? Promise.resolve()).then(() => forward(exchange, res));
      },
      () => res.destroy(),
    );
  });
  const forward = (exchange: Exchange, res: ServerResponse): void => {
    if (state.target === undefined) {
      res.destroy();
      return;
    }
    const upstream = httpRequest(
      new URL(exchange.path, state.target),
      { method: exchange.method, headers: exchange.headers },
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
    upstream.end(exchange.body);
  };
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
    holdNext(accept) {
      let held!: (exchange: Exchange) => void;
      let release!: () => void;
      const arrived = new Promise<Exchange>((resolve) => (held = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ accept, held, released });
      return {
        arrived,
        release: () => {
          const waiting = holds.findIndex((h) => h.released === released);
          if (waiting !== -1) holds.splice(waiting, 1);
          release();
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
