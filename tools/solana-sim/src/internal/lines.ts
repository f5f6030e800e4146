import net from 'node:net';

/**
 * Newline-delimited JSON over a stream socket: the framing of the validator↔cluster link and of
 * the admin socket. A burst of lines (a validator resumed after SIGSTOP) arrives as one batch so
 * the receiver can act on the latest state only.
 */
export function onLines(socket: net.Socket, onBatch: (messages: unknown[]) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    const messages: unknown[] = [];
    for (const line of parts) {
      if (line.trim() === '') continue;
      try {
        messages.push(JSON.parse(line));
      } catch {
        socket.destroy(new Error('malformed line on simulator link'));
        return;
      }
    }
    if (messages.length > 0) onBatch(messages);
  });
}

/** Writes one message as a line; a closed socket drops it, like a lost packet. */
export function sendLine(socket: net.Socket, message: unknown): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}

/** One request/response over a unix socket (the admin channel), with a deadline. */
export async function requestOverSocket(path: string, message: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', () => sendLine(socket, message));
    onLines(socket, (messages) => {
      clearTimeout(timer);
      socket.end();
      resolve(messages[0]);
    });
  });
}
