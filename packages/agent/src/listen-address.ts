import { AgentListenAddressError } from './errors';

/**
 * Splits the Go-style `listen_addr` (`:8080`, `127.0.0.1:8080`, `[::1]:8080`) into what
 * `listen()` takes; `:8080` listens on every interface, as Go's `net.Listen` does.
 * @throws {AgentListenAddressError} when it is none of these forms
 */
export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65_535) throw new AgentListenAddressError(value);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
