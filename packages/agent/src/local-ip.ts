import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * The host's own IPv4 address for comparing with gossip, from its interfaces alone: the agent
 * never asks an outside service (an "what is my IP" call leaks the validator's location and
 * fails on machines without an outbound route). The first non-internal IPv4 address wins, in
 * interface order; undefined when there is none.
 */
export function detectLocalIp(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string | undefined {
  for (const name of Object.keys(interfaces).sort()) {
    for (const info of interfaces[name] ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return undefined;
}
