import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { TestkitArgumentError } from './errors';
import { abortSocket } from './internal/abort-socket';

/**
 * How a cut behaves at the socket level:
 * - `blackhole`: a dropped route. Connections (old and new) stay open but no byte passes in
 *   either direction; reads are paused so bytes wait in kernel buffers and flow again on
 *   `heal()`, as TCP retransmission would deliver them. Peers see timeouts, not errors.
 * - `refuse`: the listener is closed (new connections get ECONNREFUSED) and open connections
 *   are reset, like a host whose service is down.
 * - `reset`: the listener stays, but every open and new connection is reset (RST), like a
 *   firewall rejecting with tcp-reset.
 */
export type CutMode = 'blackhole' | 'refuse' | 'reset';

/** Options of {@link startCuttableProxy}. */
export interface CuttableProxyOptions {
  /** Where to forward, `host:port`. */
  target: string;
  /** Address to listen on. @default '127.0.0.1' */
  listenHost?: string;
}

/** A TCP proxy between two parties whose link a test can cut and heal. */
export interface CuttableProxy {
  readonly host: string;
  readonly port: number;
  /** `host:port` of the proxy, for clients that take an address. */
  readonly address: string;
  /** `http://host:port`, for HTTP clients (agent API, etcd endpoints). */
  readonly url: string;
  /** The current cut, or `undefined` when the link is up. */
  readonly mode: CutMode | undefined;
  cut(mode: CutMode): Promise<void>;
  /** Restores the link; blackholed connections resume where they stopped. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/** Starts a TCP proxy on a free port of `listenHost` forwarding to `target`. */
export async function startCuttableProxy(options: CuttableProxyOptions): Promise<CuttableProxy> {
  const { host: targetHost, port: targetPort } = parseTarget(options.target);
  const listenHost = options.listenHost ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  let mode: CutMode | undefined;

  const openUpstream = (pair: Pair): void => {
    const upstream = connect({ host: targetHost, port: targetPort });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
    // One side failing ends the other, so the far party sees the close a real link would show.
    upstream.on('error', () => abortSocket(pair.client));
    upstream.on('close', () => pair.client.destroy());
    pair.client.on('close', () => upstream.destroy());
    pair.client.resume();
  };

  const pause = (pair: Pair): void => {
    pair.client.pause();
    pair.upstream?.pause();
  };

  const resume = (pair: Pair): void => {
    if (pair.upstream === undefined) {
      openUpstream(pair);
      return;
    }
    pair.client.resume();
    pair.upstream.resume();
  };

  const reset = (pair: Pair): void => {
    abortSocket(pair.client);
    if (pair.upstream !== undefined) abortSocket(pair.upstream);
  };

  const onConnection = (client: Socket): void => {
    if (mode === 'reset') {
      abortSocket(client);
      return;
    }
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('error', () => pair.upstream?.destroy());
    client.once('close', () => pairs.delete(pair));
    if (mode === 'blackhole') {
      // Accepted by the kernel already; read nothing and reach no one until healed.
      client.pause();
      return;
    }
    openUpstream(pair);
  };

  let server = createServer({ pauseOnConnect: true }, onConnection);
  await listen(server, listenHost, 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const port = address.port;

  const closeListener = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    host: listenHost,
    port,
    address: `${listenHost}:${port}`,
    url: `http://${listenHost}:${port}`,
    get mode(): CutMode | undefined {
      return mode;
    },
    async cut(next: CutMode): Promise<void> {
      mode = next;
      if (next === 'blackhole') {
        for (const pair of pairs) pause(pair);
        return;
      }
      for (const pair of pairs) reset(pair);
      if (next === 'refuse') await closeListener();
    },
    async heal(): Promise<void> {
      const previous = mode;
      mode = undefined;
      if (previous === 'refuse') {
        server = createServer({ pauseOnConnect: true }, onConnection);
        await listen(server, listenHost, port);
      }
      for (const pair of pairs) resume(pair);
    },
    async stop(): Promise<void> {
      mode = 'reset';
      for (const pair of pairs) reset(pair);
      await closeListener();
    },
  };
}

function parseTarget(target: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TestkitArgumentError(`proxy target "${target}"`, 'expected host:port');
  }
  return { host: match[1], port };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
