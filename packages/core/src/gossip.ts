/**
 * Where an identity appears in gossip: parsed from `solana gossip` text output or from the
 * `getClusterNodes` RPC result, into one shape. The manager uses it to see which machine
 * (by IP) advertises the staked identity.
 *
 * Text format, from solana `cli-output/src/cli_output.rs` (`CliGossipNodes`,
 * `CliGossipNode`):
 *
 *   IP Address      | Identity                                     | Gossip | TPU   | RPC Address           | Version | Feature Set
 *   ----------------+----------------------------------------------+--------+-------+-----------------------+---------+----------------
 *   {ip:15} | {pubkey or label:44} | {gossip port:6} | {tpu port:5} | {rpc ip:port:21} | {version:8}| {feature set}
 *   Nodes: N
 *
 * Missing values print as `none` (`unknown` for version and feature set). Older CLIs had
 * fewer or other columns; the parser keys on the first four and recognises the rest by form.
 */
import { ClusterNodesFormatError } from './errors';
import { isValidPubkey } from './keys';

/** One node as gossip advertises it. */
export interface GossipNode {
  /** Identity pubkey, base58. */
  readonly pubkey: string;
  /** IP of the gossip address (IPv4 dotted, or IPv6 without brackets). */
  readonly ip: string;
  readonly gossipPort?: number;
  readonly tpuPort?: number;
  /** RPC socket address as printed: `ip:port`, or `[ipv6]:port`. */
  readonly rpc?: string;
  readonly version?: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const VERSION = /^\d+\.\d+\.\d+\S*$/;

/** True for a dotted-quad IPv4 address or an IPv6 address in any standard text form. */
export function isIpAddress(text: string): boolean {
  return IPV4.test(text) || isIpv6(text);
}

function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const all = [...head, ...tail];
  // An embedded IPv4 (`::ffff:1.2.3.4`) may end the address and counts as two groups.
  const last = all.at(-1);
  const embedded = last !== undefined && IPV4.test(last);
  const hexGroups = embedded ? all.slice(0, -1) : all;
  if (!hexGroups.every((group) => HEX_GROUP.test(group))) return false;
  const count = hexGroups.length + (embedded ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

/** Splits `ip:port` / `[ipv6]:port` into its parts, or `null` when it is not one. */
export function parseSocketAddress(text: string): { ip: string; port: number } | null {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (match === null) return null;
  const ip = match[1] ?? '';
  const port = parsePort(match[2] ?? '');
  if (port === undefined) return null;
  if (bracketed !== null ? !isIpv6(ip) : !IPV4.test(ip)) return null;
  return { ip, port };
}

/**
 * Parses one row of `solana gossip` output; returns `null` for anything that is not a
 * node row (header, separator, `Nodes: N`, a row without an IP or with a label in place of
 * the pubkey), so the output of `solana gossip | grep <pubkey>` parses the same as a table.
 */
export function parseGossipLine(line: string): GossipNode | null {
  const columns = line.split('|').map((column) => column.trim());
  const [ip, pubkey, gossip, tpu, ...rest] = columns;
  if (ip === undefined || pubkey === undefined || !isIpAddress(ip) || !isValidPubkey(pubkey)) return null;

  let rpc: string | undefined;
  let version: string | undefined;
  for (const column of rest) {
    if (rpc === undefined && parseSocketAddress(column) !== null) rpc = column;
    else if (version === undefined && VERSION.test(column)) version = column;
  }
  const gossipPort = gossip === undefined ? undefined : parsePort(gossip);
  const tpuPort = tpu === undefined ? undefined : parsePort(tpu);
  return {
    pubkey,
    ip,
    ...(gossipPort === undefined ? {} : { gossipPort }),
    ...(tpuPort === undefined ? {} : { tpuPort }),
    ...(rpc === undefined ? {} : { rpc }),
    ...(version === undefined ? {} : { version }),
  };
}

/** Parses `solana gossip` output, keeping every valid node row and skipping the rest. */
export function parseGossipTable(text: string): GossipNode[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const node = parseGossipLine(line);
    return node === null ? [] : [node];
  });
}

function optionalString(entry: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ClusterNodesFormatError(`${path}.${key}`, 'must be a string or null');
  return value;
}

function optionalSocket(
  entry: Record<string, unknown>,
  key: string,
  path: string,
): { ip: string; port: number } | undefined {
  const text = optionalString(entry, key, path);
  if (text === undefined) return undefined;
  const address = parseSocketAddress(text);
  if (address === null) throw new ClusterNodesFormatError(`${path}.${key}`, 'is not an ip:port socket address');
  return address;
}

/**
 * Maps a `getClusterNodes` RPC result (`[{ pubkey, gossip, tpu, rpc, version, ... }]`,
 * addresses as `ip:port` strings or null) to gossip nodes. Nodes without a gossip address
 * are left out: they cannot be matched to a machine.
 * @throws {ClusterNodesFormatError} naming the JSON path of the first malformed value
 */
export function fromClusterNodes(result: unknown): GossipNode[] {
  if (!Array.isArray(result)) throw new ClusterNodesFormatError('result', 'must be an array');
  return result.flatMap((entry: unknown, index): GossipNode[] => {
    const path = `result[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ClusterNodesFormatError(path, 'must be an object');
    }
    const record = entry as Record<string, unknown>;
    const pubkey = record['pubkey'];
    if (typeof pubkey !== 'string' || !isValidPubkey(pubkey)) {
      throw new ClusterNodesFormatError(`${path}.pubkey`, 'must be a base58 public key');
    }
    const gossip = optionalSocket(record, 'gossip', path);
    const tpu = optionalSocket(record, 'tpu', path);
    const rpc = optionalString(record, 'rpc', path);
    if (rpc !== undefined && parseSocketAddress(rpc) === null) {
      throw new ClusterNodesFormatError(`${path}.rpc`, 'is not an ip:port socket address');
    }
    const version = optionalString(record, 'version', path);
    if (gossip === undefined) return [];
    return [
      {
        pubkey,
        ip: gossip.ip,
        gossipPort: gossip.port,
        ...(tpu === undefined ? {} : { tpuPort: tpu.port }),
        ...(rpc === undefined ? {} : { rpc }),
        ...(version === undefined ? {} : { version }),
      },
    ];
  });
}

/**
 * Finds the node advertising `pubkey`. Gossip holds one contact info per identity; after
 * `set-identity` it keeps showing the old IP until the new holder's entry replaces it, so
 * compare `ip` with the machine you expect rather than trusting presence alone.
 */
export function findNodeByPubkey(nodes: readonly GossipNode[], pubkey: string): GossipNode | undefined {
  return nodes.find((node) => node.pubkey === pubkey);
}
