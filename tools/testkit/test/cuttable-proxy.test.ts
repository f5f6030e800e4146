import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCuttableProxy } from '@failover/testkit';
import type { CuttableProxy } from '@failover/testkit';

// An upstream that echoes every byte back, so the test sees both directions of the link.
async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    // The proxy resets its upstream side on cuts; that is expected, not a test failure.
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextData(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
}

function closedWith(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.once('close', () => resolve('close'));
  });
}

// The RST may arrive before or after the client sees the handshake complete.
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.once('close', () => resolve('close'));
  });
}

// A blackhole is observed as the absence of data; this is how long the test listens for it.
const SILENCE_MS = 150;

describe('startCuttableProxy', () => {
  let echo: { server: Server; port: number };
  let proxy: CuttableProxy;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startCuttableProxy({ target: `127.0.0.1:${echo.port}` });
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await proxy.stop();
    await new Promise((resolve) => echo.server.close(resolve));
  });

  async function client(): Promise<Socket> {
    const socket = await open(proxy.port);
    sockets.push(socket);
    socket.on('error', () => undefined);
    return socket;
  }

  it('forwards bytes both ways while healed', async () => {
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
    const socket = await client();
    socket.write('ping');
    await expect(nextData(socket)).resolves.toBe('ping');
  });

  it('blackhole passes nothing on open or new connections, and delivers the held bytes after heal', async () => {
    const old = await client();
    await proxy.cut('blackhole');
    const fresh = await client();
    let received = '';
    old.on('data', (d: Buffer) => (received += d.toString()));
    fresh.on('data', (d: Buffer) => (received += d.toString()));
    old.write('a');
    fresh.write('b');
    await sleep(SILENCE_MS);
    expect(received).toBe('');
    await proxy.heal();
    const deadline = Date.now() + 2000;
    while (received.length < 2 && Date.now() < deadline) await sleep(10);
    expect([...received].sort().join('')).toBe('ab');
  });

  it('refuse closes the listener and resets open connections; heal listens again on the same port', async () => {
    const old = await client();
    const oldClosed = closedWith(old);
    await proxy.cut('refuse');
    await expect(oldClosed).resolves.toBe('ECONNRESET');
    await expect(open(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.heal();
    const socket = await client();
    socket.write('again');
    await expect(nextData(socket)).resolves.toBe('again');
  });

  it('reset resets open connections and every new one', async () => {
    const old = await client();
    const oldClosed = closedWith(old);
    await proxy.cut('reset');
    await expect(oldClosed).resolves.toBe('ECONNRESET');
    await expect(connectOutcome(proxy.port)).resolves.toBe('ECONNRESET');
  });

  it('rejects a target without a port', async () => {
    await expect(startCuttableProxy({ target: 'localhost' })).rejects.toThrow(
      /FAILOVER_TESTKIT_ARGUMENT: proxy target "localhost"/,
    );
  });
});
