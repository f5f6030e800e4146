/**
 * The name this agent answers to. Every signed request names the node it is for, and an
 * agent refuses one for another node: all agents share one secret, so the name is what keeps
 * a request captured on its way to one agent from being obeyed by the other. `node_name` when
 * configured; else a name generated at the first start and kept in the state directory, so it
 * survives restarts. Not the host name alone: two hosts may share one (cloned images,
 * `localhost`), and two agents with one name would obey each other's requests.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { NODE_NAME_PATTERN, NodeNameSchema, durableJsonFile } from '@failover/protocol';

/** The file that keeps a generated node name, in the state directory. */
export const NODE_FILE = 'node.json';

const NodeFileSchema = Type.Object({ node_name: NodeNameSchema });

/** The node name and where it came from. */
export interface NodeName {
  readonly name: string;
  /** `config`: `node_name`; `state`: generated at an earlier start; `generated`: generated now. */
  readonly source: 'config' | 'state' | 'generated';
}

/** Options of {@link resolveNodeName}. */
export interface NodeNameOptions {
  /** `node_name` from the config. */
  readonly configured: string | undefined;
  /** The prepared state directory. */
  readonly stateDir: string;
  /** The prefix of a generated name. @default os.hostname() */
  readonly hostname?: string;
}

/**
 * The node name: the configured one, the one kept in `node.json`, or a new one written there
 * (atomically, before it is used) as `<host name>-<8 random hex digits>`.
 * @throws StateFileError when node.json is present but unreadable or not a node name
 */
export async function resolveNodeName(options: NodeNameOptions): Promise<NodeName> {
  if (options.configured !== undefined) return { name: options.configured, source: 'config' };
  const file = durableJsonFile(path.join(options.stateDir, NODE_FILE), NodeFileSchema);
  const kept = await file.read();
  if (kept !== undefined) return { name: kept.node_name, source: 'state' };
  const name = `${label(options.hostname ?? hostname())}-${randomBytes(4).toString('hex')}`;
  await file.write({ node_name: name });
  return { name, source: 'generated' };
}

/** The host name as the start of a node name: allowed characters only, short enough for the suffix. */
function label(host: string): string {
  const cleaned = host
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 40);
  return new RegExp(NODE_NAME_PATTERN).test(cleaned) ? cleaned : 'node';
}
