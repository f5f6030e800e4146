import type { Socket } from 'node:net';

/**
 * Ends a connection abruptly: an RST to the far party, or a plain close once this side has
 * already sent (or queued) its FIN. libuv refuses an RST on a stream whose shutdown is under way,
 * and Node then marks the handle closing without closing it: the socket leaks and the process
 * spins at 100 % CPU when it exits.
 */
export function abortSocket(socket: Socket): void {
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
