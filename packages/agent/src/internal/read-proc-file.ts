import { close, open, read } from 'node:fs';

/**
 * Reads at most `maxBytes` from the start of a /proc file as text; undefined when it cannot be
 * read (a process that exited between the directory listing and the read).
 *
 * /proc files report a size of 0, so `readFile` reads each through a 64 KiB buffer: the probe's
 * scan of every process's `comm` allocated 8 MB of buffers per probe on a host with 130
 * processes, every 400 ms. The promise-based `FileHandle` allocates less outside the heap but
 * about 1 MB of objects inside it per scan; these callbacks, a tenth of that. A buffer under
 * 4 KiB comes from Node's shared pool.
 */
export function readProcFile(file: string, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    open(file, 'r', (openError, fd) => {
      if (openError) return resolve(undefined);
      const buffer = Buffer.allocUnsafe(maxBytes);
      read(fd, buffer, 0, maxBytes, 0, (readError, bytesRead) => {
        close(fd, () => resolve(readError ? undefined : buffer.toString('utf8', 0, bytesRead)));
      });
    });
  });
}
