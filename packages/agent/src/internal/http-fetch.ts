import http from 'node:http';

/** What the protocol's clients read of an answer: a subset of fetch's `Response`. */
interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body as it arrives, so that a client can stop reading it past a cap. */
  readonly body: ReadableStream<Uint8Array>;
  text(): Promise<string>;
}

/** What the protocol's clients send: a subset of fetch's `RequestInit`. */
interface HttpRequestInit {
  readonly method?: string;
  /** A plain object, as the clients pass it. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string, as the clients pass it. */
  readonly body?: string;
  readonly signal?: AbortSignal;
}

type Send = (url: URL, init: HttpRequestInit, retried: boolean) => Promise<HttpAnswer>;

/** See {@link createHttpFetch}. */
export interface HttpFetch {
  readonly fetch: typeof fetch;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** http.request or https.request, with the agent that keeps its connections. */
interface Transport {
  readonly request: (
    url: URL,
    options: http.RequestOptions,
    onResponse: (res: http.IncomingMessage) => void,
  ) => http.ClientRequest;
  readonly agent: http.Agent;
}

/**
 * A `fetch` for the agent's own clients (the validator's and the cluster's RPC, the peer agent)
 * over node:http and node:https, with keep-alive connections.
 *
 * Node's global `fetch` is undici: its first call loads undici and compiles undici's HTTP
 * parser from WebAssembly. Fifty small JSON requests through it left a process with 10–40 MB
 * more resident memory than through node:http, and peaks up to 40 MB higher
 * (docs/benchmarks.md, "Agent memory"). The agent sends small JSON requests to a few
 * endpoints; node:http, loaded for its server anyway, does that. Only what the protocol's clients use is implemented: a method, headers as a plain
 * object, a string body and a signal; the status, a header and the body as a stream or as text. Like fetch, the
 * answer comes with its headers and the body is read as the caller pulls it, so a client's cap
 * on the body's size stops the read there; a network failure rejects with a `TypeError` whose
 * `cause` is the socket error, and an abort with the signal's `AbortError`.
 */
export function createHttpFetch(): HttpFetch {
  const plain: Transport = { request: http.request, agent: new http.Agent({ keepAlive: true }) };
  // TLS is loaded only for an https endpoint (a remote cluster RPC).
  let secure: Promise<Transport> | undefined;
  const send: Send = async (url, init, retried) => {
    if (url.protocol === 'https:') {
      secure ??= import('node:https').then(({ request, Agent }) => ({
        request,
        agent: new Agent({ keepAlive: true }),
      }));
      return exchange(await secure, url, init, retried, send);
    }
    if (url.protocol !== 'http:') throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
    return exchange(plain, url, init, retried, send);
  };
  const lean = (input: string | URL, init: HttpRequestInit = {}): Promise<HttpAnswer> =>
    send(new URL(input), init, false);
  return {
    // The clients take `typeof fetch`; they use only the subset above (see the doc comment).
    fetch: lean as unknown as typeof fetch,
    close() {
      plain.agent.destroy();
      void secure?.then(({ agent }) => agent.destroy());
    },
  };
}

function exchange(
  { request, agent }: Transport,
  url: URL,
  init: HttpRequestInit,
  retried: boolean,
  send: Send,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = init.body;
    let answered = false;
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: {
          ...init.headers,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
        agent,
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      },
      (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        const stream = bodyOf(res);
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) },
          body: stream,
          text: () => readText(stream),
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A failure after the answer began is the body's, reported by its stream.
      if (answered) return;
      // A kept-alive connection the server closed while idle fails on its next use; the
      // request never reached the server, so it is sent once more on a fresh connection, as
      // Node's documentation advises for requests safe to repeat (these clients only read).
      if (req.reusedSocket && !retried && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        send(url, init, true).then(resolve, reject);
        return;
      }
      reject(failed(error));
    });
    req.end(body);
  });
}

/**
 * The answer's body, pulled chunk by chunk: nothing more is read off the socket than the reader
 * asked for, and cancelling the stream destroys the answer, which drops its connection.
 */
function bodyOf(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  const chunks: AsyncIterator<Buffer> = res[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done === true) {
            if (res.complete) controller.close();
            else controller.error(failed(new Error('the connection closed before the answer was complete')));
          } else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        } catch (error) {
          controller.error(failed(error as Error));
        }
      },
      cancel() {
        res.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    chunks.push(value);
  }
}

function failed(error: Error): Error {
  return error.name === 'AbortError' ? error : new TypeError('fetch failed', { cause: error });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
