import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Keypair } from '@failover/core';
import { parseKeypairJson } from '@failover/core';
import {
  RpcFailure,
  callJsonRpc,
  commitmentOf,
  methodNotFound,
  serveJsonRpc,
  slotAtCommitment,
} from './internal/json-rpc';
import { onLines, sendLine } from './internal/lines';
import type { ClusterToValidator, SlotMessage, ValidatorToCluster } from './internal/link-protocol';
import { speaksAlpenglow } from './alpenglow';
import { ConsensusView } from './validator-consensus';
import type { ValidatorFaults } from './validator-admin';
import { serveAdmin } from './validator-admin';
import { Voter } from './validator-voter';

/** Command-line of a simulated validator (a subset of agave-validator's, same names). */
export interface ValidatorArgs {
  readonly name: string;
  readonly identityPath: string;
  readonly ledgerDir: string;
  readonly bindAddress: string;
  readonly rpcPort: number;
  readonly clusterLink: string;
  readonly clusterRpcUrl: string;
  readonly processName: string;
  readonly authorizedVoterPaths: readonly string[];
  readonly version: string;
  readonly featureSet: number;
  /** The Alpenglow genesis this node migrates on ('cluster' unless a test puts it on another). */
  readonly alpenglowGenesis: string;
  /** False: started with --do-not-require-vote-history. */
  readonly requireVoteHistory: boolean;
}

/** agave's DEFAULT_HEALTH_CHECK_SLOT_DISTANCE: further behind than this is unhealthy. */
const HEALTH_CHECK_SLOT_DISTANCE = 128;

/** Parses `--flag value` pairs; `--authorized-voter` may repeat. */
export function parseValidatorArgs(argv: readonly string[]): ValidatorArgs {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`bad validator argument near '${flag}'`);
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  const one = (flag: string): string => {
    const v = values.get(flag)?.[0];
    if (v === undefined) throw new Error(`missing ${flag}`);
    return v;
  };
  return {
    name: one('--name'),
    identityPath: one('--identity'),
    ledgerDir: one('--ledger'),
    bindAddress: one('--rpc-bind-address'),
    rpcPort: Number(one('--rpc-port')),
    clusterLink: one('--cluster-link'),
    clusterRpcUrl: one('--cluster-rpc'),
    processName: one('--process-name'),
    authorizedVoterPaths: values.get('--authorized-voter') ?? [],
    version: one('--version-string'),
    featureSet: Number(one('--feature-set')),
    alpenglowGenesis: values.get('--alpenglow-genesis')?.[0] ?? 'cluster',
    requireVoteHistory: values.get('--require-vote-history')?.[0] !== 'false',
  };
}

function readKeypair(file: string): Keypair {
  // The identity may be a symlink (identity.json → staked or unstaked key); like agave, it is
  // resolved once at start, so a restart comes up on whatever the link names then.
  return parseKeypairJson(fs.readFileSync(file, 'utf8'), file);
}

/** getHealth under Alpenglow: against the highest finalized slot, unknown until one is seen. */
function alpenglowHealth(voter: Voter, consensus: ConsensusView): 'ok' {
  if (!consensus.hasSeenFinalization(voter.localSlot)) {
    throw new RpcFailure(-32005, 'Node is unhealthy', { numSlotsBehind: null });
  }
  const behind = consensus.finalizedBehind(voter.localSlot);
  if (behind > HEALTH_CHECK_SLOT_DISTANCE) {
    throw new RpcFailure(-32005, `Node is behind by ${behind} slots`, { numSlotsBehind: behind });
  }
  return 'ok';
}

function localRpc(args: ValidatorArgs, voter: Voter, faults: ValidatorFaults, consensus: ConsensusView) {
  // Calls the local node cannot answer by itself are served from the cluster, as a full RPC
  // node would (leader schedule, vote accounts, epoch info).
  const forwarded = new Set([
    'getEpochInfo',
    'getLeaderSchedule',
    'getVoteAccounts',
    'getClusterNodes',
    'getHighestSnapshotSlot',
  ]);
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    await serveJsonRpc(
      (method, params) => {
        switch (method) {
          case 'getHealth': {
            if (faults.unhealthy) throw new RpcFailure(-32005, 'Node is unhealthy', { numSlotsBehind: null });
            if (consensus.hasMigrated(voter.localSlot)) return alpenglowHealth(voter, consensus);
            const behind = voter.clusterSlot - voter.localSlot;
            if (behind > HEALTH_CHECK_SLOT_DISTANCE) {
              throw new RpcFailure(-32005, `Node is behind by ${behind} slots`, { numSlotsBehind: behind });
            }
            return 'ok';
          }
          case 'getSlot':
            return slotAtCommitment(voter.localSlot, commitmentOf(params, 0), consensus.finalizedSlot(voter.localSlot));
          case 'getAgGenesisCert':
            if (!speaksAlpenglow(args.version)) throw methodNotFound();
            return consensus.genesisCert(voter.localSlot);
          case 'getIdentity':
            return { identity: voter.identity.pubkey };
          case 'getVersion':
            return { 'solana-core': args.version, 'feature-set': args.featureSet };
          default:
            if (forwarded.has(method)) return callJsonRpc(args.clusterRpcUrl, method, params);
            throw methodNotFound();
        }
      },
      req,
      res,
    );
  };
}

/**
 * Runs one simulated validator: local RPC on its own loopback address, the admin socket in its
 * ledger, and the link to the cluster it replays slots from and sends votes to.
 */
export async function runValidatorProcess(args: ValidatorArgs): Promise<void> {
  process.title = args.processName;
  const log = (line: string): void => {
    process.stdout.write(`[${new Date().toISOString()} ${args.name}] ${line}\n`);
  };
  fs.mkdirSync(args.ledgerDir, { recursive: true });
  const identity = readKeypair(args.identityPath);
  const voters = new Map<string, Keypair>();
  // agave: without --authorized-voter, the identity keypair is the only authorized voter.
  const voterKeys = args.authorizedVoterPaths.length > 0 ? args.authorizedVoterPaths.map(readKeypair) : [identity];
  for (const kp of voterKeys) voters.set(kp.pubkey, kp);

  const link = net.createConnection({
    host: '127.0.0.1',
    port: Number(args.clusterLink),
    localAddress: args.bindAddress,
  });
  link.setNoDelay(true);
  const send = (message: ValidatorToCluster): void => sendLine(link, message);
  const consensus = new ConsensusView(args.alpenglowGenesis);
  const voter = new Voter(args.ledgerDir, identity, voters, send, log, consensus);
  const faults: ValidatorFaults = { unhealthy: false, identityDelayMs: 0, failSetIdentity: false };

  const rpc = http.createServer((req, res) => {
    localRpc(args, voter, faults, consensus)(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    rpc.once('error', reject);
    rpc.listen(args.rpcPort, args.bindAddress, resolve);
  });
  const rpcPort = (rpc.address() as net.AddressInfo).port;

  const exit = (code: number, reason: string): void => {
    log(reason);
    process.exit(code);
  };
  await serveAdmin(path.join(args.ledgerDir, 'admin.rpc'), {
    voter,
    faults,
    keySwitch: { locked: false },
    rpcAddress: `${args.bindAddress}:${rpcPort}`,
    announceIdentity: (pubkey) => send({ t: 'identity', identity: pubkey }),
    exit,
  });

  let pendingSlot: SlotMessage | null = null;
  onLines(link, (messages) => {
    for (const m of messages as ClusterToValidator[]) {
      if (m.t === 'welcome') {
        consensus.onWelcome(m);
        const refusal = voter.onWelcome(m.voting, args.requireVoteHistory);
        if (refusal !== null) exit(1, refusal);
      } else if (!pendingSlot || m.slot > pendingSlot.slot) pendingSlot = m;
    }
    // After a stall (SIGSTOP, a loaded machine) only the newest slot is voted on, as a
    // validator that catches up votes on the tip rather than every slot it replayed.
    if (pendingSlot) {
      consensus.onSlot(pendingSlot);
      voter.onSlot(pendingSlot.slot, pendingSlot.clusterSlot);
      pendingSlot = null;
    }
  });
  link.on('error', (err) => exit(1, `cluster link failed: ${err.message}`));
  link.on('close', () => exit(1, 'cluster link closed'));
  await new Promise<void>((resolve) => link.once('connect', resolve));
  send({
    t: 'hello',
    name: args.name,
    ip: args.bindAddress,
    identity: identity.pubkey,
    rpcPort,
    gossipPort: 8001,
    tpuPort: 8003,
    version: args.version,
  });
  log(`started as ${identity.pubkey}, rpc ${args.bindAddress}:${rpcPort}`);
  if (process.send) {
    process.send({ ready: { rpcPort } });
    process.on('disconnect', () => process.exit(0));
  }
}
