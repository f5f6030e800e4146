/**
 * Where gossip places the staked identity: the Go tool's `gossip_check_command` (a shell
 * line such as `solana -ut gossip | grep IDENTITY`), or natively the cluster RPC's
 * `getClusterNodes`. The IP found is matched against the two validators' configured IPs.
 */
import { execFile } from 'node:child_process';
import { parseGossipTable } from '@failover/core';
import type { Clock, GossipNode, GossipObservation, NodeId } from '@failover/core';
import type { ClusterRpc } from '@failover/protocol';

/** A gossip reading, or why there is none. */
export type GossipReading =
  { readonly ok: true; readonly value: GossipObservation } | { readonly ok: false; readonly detail: string };

/** Reads where gossip places the staked identity. */
export interface GossipReader {
  /** Names the source in logs: `gossip_check_command` or `getClusterNodes`. */
  readonly source: string;
  read(): Promise<GossipReading>;
}

/** The IP each node is known by in gossip. */
export type NodeIps = Readonly<Record<NodeId, string | undefined>>;

/** Options of {@link createCommandGossipReader}. */
export interface CommandGossipOptions {
  /** From the config file; `{validator_identity}` becomes the staked pubkey. Never built from network input. */
  readonly command: string;
  readonly stakedIdentityPubkey: string | undefined;
  readonly nodeIps: NodeIps;
  readonly clock: Clock;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

/** Runs `gossip_check_command` through bash and reads the first column of its matching line. */
export function createCommandGossipReader(options: CommandGossipOptions): GossipReader {
  const command =
    options.stakedIdentityPubkey === undefined
      ? options.command
      : options.command.replaceAll('{validator_identity}', options.stakedIdentityPubkey);
  return {
    source: 'gossip_check_command',
    read: async () => {
      const run = await runBash(command, options.timeoutMs ?? 10_000);
      const at = options.clock.now();
      // `grep` exits 1 when nothing matched: the identity is not in gossip at all.
      if (run.exitCode === 1 && run.stdout.trim() === '')
        return { ok: true, value: { holder: null, ip: null, observedAt: at } };
      if (run.exitCode !== 0)
        return {
          ok: false,
          detail: `gossip_check_command ${run.failure ?? `exited with ${run.exitCode}`}: ${run.stderr.trim().slice(0, 200)}`,
        };
      const entry = pick(parseGossipTable(run.stdout), options.stakedIdentityPubkey);
      if (entry === undefined) {
        return run.stdout.trim() === ''
          ? { ok: true, value: { holder: null, ip: null, observedAt: at } }
          : {
              ok: false,
              detail: `gossip_check_command printed no gossip line: ${JSON.stringify(run.stdout.trim().slice(0, 120))}`,
            };
      }
      return { ok: true, value: { holder: holderOf(entry.ip, options.nodeIps), ip: entry.ip, observedAt: at } };
    },
  };
}

/** Reads the gossip table from the cluster RPC; needs the staked pubkey to find the entry. */
export function createRpcGossipReader(options: {
  rpc: ClusterRpc;
  stakedIdentityPubkey: string;
  nodeIps: NodeIps;
  clock: Clock;
}): GossipReader {
  return {
    source: 'getClusterNodes',
    read: async () => {
      const nodes = await options.rpc.getClusterNodes();
      if (!nodes.ok) return { ok: false, detail: `getClusterNodes: ${nodes.message}` };
      const entry = nodes.value.find((node) => node.pubkey === options.stakedIdentityPubkey);
      const at = options.clock.now();
      if (entry === undefined) return { ok: true, value: { holder: null, ip: null, observedAt: at } };
      return { ok: true, value: { holder: holderOf(entry.ip, options.nodeIps), ip: entry.ip, observedAt: at } };
    },
  };
}

/** The node whose configured IP is `ip`, or null when it is neither. */
export function holderOf(ip: string, nodeIps: NodeIps): NodeId | null {
  if (nodeIps.validator1 === ip) return 'validator1';
  if (nodeIps.validator2 === ip) return 'validator2';
  return null;
}

/** A node's gossip IP: its `ip` key, else the host of its agent endpoint (the Go tool used `ip` only). */
export function nodeIpOf(node: { ip?: string; endpoint: string }): string | undefined {
  if (node.ip !== undefined) return node.ip;
  try {
    return new URL(node.endpoint).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function pick(nodes: readonly GossipNode[], pubkey: string | undefined): GossipNode | undefined {
  if (pubkey === undefined) return nodes[0];
  return nodes.find((node) => node.pubkey === pubkey);
}

interface BashRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly failure?: string;
}

function runBash(command: string, timeoutMs: number): Promise<BashRun> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ exitCode: 0, stdout, stderr });
        const killed = (error as { killed?: boolean }).killed === true;
        const code = typeof error.code === 'number' ? error.code : null;
        resolve({
          exitCode: code,
          stdout,
          stderr,
          ...(killed
            ? { failure: `did not finish within ${timeoutMs} ms` }
            : code === null
              ? { failure: error.message }
              : {}),
        });
      },
    );
  });
}
