import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on `host` by binding port 0, then releases it.
 *
 * There is a window between release and the caller's own bind in which another process may
 * take the port; the starters in this kit retry with fresh ports when a bind fails.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the bound address on ${host}`));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}
