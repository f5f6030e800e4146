import type { ServerResponse } from 'node:http';

/** What {@link sendEndlessBody} saw: how much it sent, and whether the client dropped the connection. */
export interface EndlessBody {
  readonly sentBytes: () => number;
  /** Resolves when the client closes the connection, with the bytes sent by then. */
  readonly closed: Promise<number>;
}

/**
 * Answers `status` with a JSON body that never ends: 64 KiB of spaces after another, as fast as
 * the client reads them, until the client drops the connection.
 */
export function sendEndlessBody(response: ServerResponse, status = 200): EndlessBody {
  let sent = 0;
  const chunk = Buffer.alloc(65_536, 0x20);
  const closed = new Promise<number>((resolve) => response.on('close', () => resolve(sent)));
  const pump = (): void => {
    while (!response.destroyed) {
      sent += chunk.length;
      if (!response.write(chunk)) return;
    }
  };
  response.writeHead(status, { 'content-type': 'application/json' });
  response.write('{"pad":"');
  response.on('drain', pump);
  pump();
  return { sentBytes: () => sent, closed };
}
