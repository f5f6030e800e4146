import http from 'node:http';
import net from 'node:net';
import type { ClusterConfig, GossipNode } from './cluster-model';
import { slotAt } from './cluster-model';
import { handleClusterRpc } from './cluster-rpc';
import { handleControl } from './cluster-control';
import type { ClusterState } from './cluster-state';
import {
  alpenglowVotedIdentities,
  countVote,
  createClusterState,
  distributeSlot,
  isAlpenglowSlot,
  isCutFromCluster,
} from './cluster-state';
import { serveJsonRpc } from './internal/json-rpc';
import { onLines, sendLine } from './internal/lines';
import type { ClusterToValidator, ValidatorToCluster } from './internal/link-protocol';

function applyGossipChange(state: ClusterState, change: (nodes: Map<string, GossipNode>) => void): void {
  // Gossip spreads in hops; a set-identity shows up on other nodes (and in `solana gossip`)
  // only after a while, which the manager's gossip-based detection must tolerate.
  if (state.config.gossipDelayMs <= 0) change(state.gossip);
  else setTimeout(() => change(state.gossip), state.config.gossipDelayMs).unref();
}

function onValidatorMessage(
  state: ClusterState,
  socket: net.Socket,
  message: ValidatorToCluster,
  nameRef: { name?: string },
): void {
  if (message.t === 'hello') {
    const node: GossipNode = { ...message };
    nameRef.name = message.name;
    state.linked.set(message.name, { socket, node, sentSlot: 0 });
    applyGossipChange(state, (g) => g.set(message.name, { ...node }));
    const welcome: ClusterToValidator = {
      t: 'welcome',
      voting: state.config.voting.map((v) => v.identity),
      votePubkeys: Object.fromEntries(state.config.voting.map((v) => [v.identity, v.votePubkey])),
      voteAccounts: state.accounts.size,
      alpenglowVoted: alpenglowVotedIdentities(state),
    };
    sendLine(socket, welcome);
    distributeSlot(state);
    return;
  }
  const name = nameRef.name;
  if (name === undefined) return;
  const linked = state.linked.get(name);
  if (message.t === 'identity') {
    if (linked) linked.node.identity = message.identity;
    applyGossipChange(state, (g) => {
      const entry = g.get(name);
      if (entry) entry.identity = message.identity;
    });
    return;
  }
  const landed = !isCutFromCluster(state, name) && !state.votesCut.has(name);
  state.judge.record({
    identity: message.identity,
    slot: message.slot,
    tipSlot: state.slot(),
    validator: name,
    timeMs: state.now(),
    landed,
    consensus: isAlpenglowSlot(state, message.slot) ? 'alpenglow' : 'tower',
  });
  const account = state.accounts.get(message.identity);
  if (landed && account) countVote(state, account, message.slot, message.root);
}

function acceptLink(state: ClusterState, socket: net.Socket): void {
  const nameRef: { name?: string } = {};
  socket.setNoDelay(true);
  onLines(socket, (messages) => {
    for (const m of messages) onValidatorMessage(state, socket, m as ValidatorToCluster, nameRef);
  });
  const forget = (): void => {
    const name = nameRef.name;
    if (name === undefined || state.linked.get(name)?.socket !== socket) return;
    state.linked.delete(name);
    applyGossipChange(state, (g) => {
      if (!state.linked.has(name)) g.delete(name);
    });
  };
  socket.on('close', forget);
  socket.on('error', forget);
}

function scheduleTicks(state: ClusterState): void {
  // Ticks follow the wall clock's slot boundaries; the tip itself may stand still (standstill).
  const clockSlot = (): number => slotAt(state.config, state.startMs, state.now());
  const dueOf = (slot: number): number => state.startMs + (slot - state.config.startSlot) * state.config.slotMs;
  let next = clockSlot() + 1;
  const tick = (): void => {
    const late = Math.max(0, state.now() - dueOf(next));
    state.ticks.count += 1;
    state.ticks.totalLateMs += late;
    state.ticks.maxLateMs = Math.max(state.ticks.maxLateMs, late);
    distributeSlot(state);
    next = clockSlot() + 1;
    setTimeout(tick, Math.max(0, dueOf(next) - state.now()));
  };
  setTimeout(tick, Math.max(0, dueOf(next) - state.now()));
}

/**
 * Runs the cluster: JSON-RPC on `/` and on `/backend/<name>` (Solana methods; see
 * `RpcBackend`) and `/sim` (faults and the judge) on one
 * loopback HTTP port, and the validator link on another. Reports both ports to the parent over
 * IPC and exits when the parent goes away, so a crashed test run leaves no cluster behind.
 */
export async function runClusterProcess(config: ClusterConfig, rpcPort = 0): Promise<void> {
  const state = createClusterState(config);
  const server = http.createServer((req, res) => {
    const backend = /^\/backend\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
    const handler =
      req.url === '/sim'
        ? (method: string, params: unknown[]) => handleControl(state, method, params)
        : (method: string, params: unknown[]) =>
            handleClusterRpc(state, method, params, backend === undefined ? undefined : state.backends.get(backend));
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    serveJsonRpc(handler, req, res).catch(() => res.destroy());
  });
  const link = net.createServer((socket) => acceptLink(state, socket));
  await new Promise<void>((resolve) => server.listen(rpcPort, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => link.listen(0, '127.0.0.1', resolve));
  scheduleTicks(state);
  const ports = {
    rpcPort: (server.address() as net.AddressInfo).port,
    linkPort: (link.address() as net.AddressInfo).port,
  };
  if (process.send) {
    process.send({ ready: ports });
    process.on('disconnect', () => process.exit(0));
  } else {
    process.stdout.write(`${JSON.stringify({ ready: ports })}\n`);
  }
}
