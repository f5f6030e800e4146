import fs from 'node:fs';
import net from 'node:net';
import type { Keypair } from '@failover/core';
import { parseKeypairJson } from '@failover/core';
import { onLines, sendLine } from './internal/lines';
import type { AdminOutcome, Voter } from './validator-voter';

/** Faults a test injects into one validator process through its admin socket. */
export interface ValidatorFaults {
  /** getHealth answers "Node is unhealthy" whatever the slot. */
  unhealthy: boolean;
  /** set-identity answers only after this many ms (a slow validator). */
  identityDelayMs: number;
  /** set-identity fails (after the delay) without changing anything. */
  failSetIdentity: boolean;
}

/** Firedancer's key switch lock (set_identity.c): held from a switch's start until it completes. */
export interface KeySwitch {
  locked: boolean;
}

/** What the admin handlers need from the running validator. */
export interface AdminContext {
  readonly voter: Voter;
  readonly faults: ValidatorFaults;
  readonly keySwitch: KeySwitch;
  readonly rpcAddress: string;
  /** Tells the cluster (gossip) about the new identity. */
  announceIdentity(pubkey: string): void;
  /** Ends the validator process (agave `exit`, or replay stage giving up on a bad tower). */
  exit(code: number, reason: string): void;
}

interface AdminRequest {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
}

/** jsonrpc-core's invalid-params code, which agave's admin RPC uses for its refusals. */
const INVALID_PARAMS = -32602;

function keypairFromBytes(bytes: unknown, what: string): Keypair {
  if (!Array.isArray(bytes)) throw new Error(`${what}: expected an array of 64 bytes`);
  return parseKeypairJson(JSON.stringify(bytes), what);
}

function keypairFromPath(file: unknown, what: string): Keypair {
  if (typeof file !== 'string') throw new Error(`${what}: expected a path`);
  try {
    return parseKeypairJson(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    throw new Error(`Failed to read ${what} from ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function setIdentity(
  ctx: AdminContext,
  identity: Keypair,
  requireTower: boolean,
  requireVoteHistory: boolean,
): Promise<AdminOutcome> {
  if (ctx.faults.identityDelayMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.identityDelayMs));
  if (ctx.faults.failSetIdentity) return { ok: false, message: 'set-identity failed (simulated fault)' };
  const outcome = ctx.voter.setIdentity(identity, requireTower, requireVoteHistory);
  if (outcome.ok === 'exit') {
    ctx.exit(1, outcome.message);
    return { ok: false, message: outcome.message };
  }
  if (outcome.ok) ctx.announceIdentity(identity.pubkey);
  return outcome;
}

/** Firedancer's refusal while its key switch lock is held (src/app/shared/commands/set_identity.c). */
export const KEY_SWITCH_LOCKED =
  'Cannot set-identity because Firedancer is already in the process of switching keys. If you are not currently ' +
  'changing the identity, it might be because an identity change was abandoned. To recover, run the `set-identity` ' +
  'command again with the `--force` argument.';

function sleepUnlessCancelled(ms: number, cancelled: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    cancelled.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      cancelled.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * `fdctl`/`firedancer set-identity`. Unlike agave's admin RPC, Firedancer's switch is driven
 * step by step by the CLI process: one that goes away part way (killed, Ctrl+C) leaves the
 * lock held and the old key in place, and every later switch fails until one passes `force`.
 * The simulator does not produce blocks, so there is no in-progress leader slot to wait for.
 */
async function fdSetIdentity(
  ctx: AdminContext,
  identity: Keypair,
  options: { requireTower: boolean; force: boolean },
  cancelled: AbortSignal,
): Promise<AdminOutcome> {
  if (ctx.keySwitch.locked && !options.force) return { ok: false, message: KEY_SWITCH_LOCKED };
  ctx.keySwitch.locked = true;
  if (ctx.faults.identityDelayMs > 0) await sleepUnlessCancelled(ctx.faults.identityDelayMs, cancelled);
  if (cancelled.aborted) return { ok: false, message: 'set-identity abandoned part way; the key switch stays locked' };
  ctx.keySwitch.locked = false;
  if (ctx.faults.failSetIdentity) return { ok: false, message: 'set-identity failed (simulated fault)' };
  const outcome = ctx.voter.setIdentity(identity, options.requireTower);
  if (outcome.ok === 'exit') {
    ctx.exit(1, outcome.message);
    return { ok: false, message: outcome.message };
  }
  if (outcome.ok) ctx.announceIdentity(identity.pubkey);
  return outcome;
}

async function dispatch(
  ctx: AdminContext,
  method: string,
  params: unknown[],
  cancelled: AbortSignal,
): Promise<unknown> {
  const outcome = (o: AdminOutcome): null => {
    if (!o.ok) throw Object.assign(new Error(o.message), { rpcCode: INVALID_PARAMS });
    return null;
  };
  switch (method) {
    // params: keypair, require_tower, require_vote_history (agave's default: required).
    case 'setIdentity':
      return outcome(
        await setIdentity(ctx, keypairFromPath(params[0], 'identity keypair'), params[1] === true, params[2] !== false),
      );
    case 'setIdentityFromBytes':
      return outcome(
        await setIdentity(
          ctx,
          keypairFromBytes(params[0], 'identity keypair'),
          params[1] === true,
          params[2] !== false,
        ),
      );
    case 'fdSetIdentity':
      return outcome(
        await fdSetIdentity(
          ctx,
          keypairFromBytes(params[0], 'identity keypair'),
          { requireTower: params[1] === true, force: params[2] === true },
          cancelled,
        ),
      );
    case 'addAuthorizedVoter':
      return outcome(ctx.voter.addAuthorizedVoter(keypairFromPath(params[0], 'authorized voter keypair')));
    case 'addAuthorizedVoterFromBytes':
      return outcome(ctx.voter.addAuthorizedVoter(keypairFromBytes(params[0], 'authorized voter keypair')));
    case 'removeAllAuthorizedVoters':
      ctx.voter.removeAllAuthorizedVoters();
      return null;
    case 'rpcAddress':
      return ctx.rpcAddress;
    case 'exit':
      setImmediate(() => ctx.exit(0, 'exit requested over the admin socket'));
      return null;
    case 'simFault': {
      const patch = (params[0] ?? {}) as Partial<ValidatorFaults>;
      if (typeof patch.unhealthy === 'boolean') ctx.faults.unhealthy = patch.unhealthy;
      if (typeof patch.identityDelayMs === 'number') ctx.faults.identityDelayMs = patch.identityDelayMs;
      if (typeof patch.failSetIdentity === 'boolean') ctx.faults.failSetIdentity = patch.failSetIdentity;
      const lock = (params[0] ?? {}) as { keySwitchLocked?: unknown };
      if (typeof lock.keySwitchLocked === 'boolean') ctx.keySwitch.locked = lock.keySwitchLocked;
      return { ...ctx.faults };
    }
    case 'simStatus':
      return {
        identity: ctx.voter.identity.pubkey,
        voting: ctx.voter.isVoting(),
        slot: ctx.voter.localSlot,
        clusterSlot: ctx.voter.clusterSlot,
        lastVote: ctx.voter.lastVote,
        keySwitchLocked: ctx.keySwitch.locked,
      };
    default:
      throw Object.assign(new Error('Method not found'), { rpcCode: -32601 });
  }
}

/**
 * Serves the admin socket `LEDGER/admin.rpc` (agave's admin_rpc_service listens on the same
 * path): line-framed JSON-RPC with agave's method names, plus `simFault`/`simStatus`.
 * Key bytes arriving here are never logged or echoed back.
 */
export async function serveAdmin(socketPath: string, ctx: AdminContext): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    // A client that goes away abandons what it started (Firedancer's CLI-driven key switch).
    const gone = new AbortController();
    socket.once('close', () => gone.abort());
    onLines(socket, (messages) => {
      for (const message of messages) {
        const request = message as AdminRequest;
        const id = request.id ?? null;
        const params = Array.isArray(request.params) ? request.params : [];
        dispatch(ctx, String(request.method), params, gone.signal).then(
          (result) => sendLine(socket, { jsonrpc: '2.0', id, result }),
          (err: Error & { rpcCode?: number }) =>
            sendLine(socket, { jsonrpc: '2.0', id, error: { code: err.rpcCode ?? -32603, message: err.message } }),
        );
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return server;
}
