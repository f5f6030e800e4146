/**
 * The agent's side of fencing: which role- or tower-changing request it may obey, decided
 * before it acts and kept on disk so that a restart forgets nothing.
 *
 * - **Terms.** The highest term obeyed, and its sender, in `term.json`. A request below it
 *   (or equal to it from another sender) is refused; one above it is obeyed only once the new
 *   term is on disk, so a crash right after cannot let the older term back in.
 * - **Replays.** The nonce of every obeyed changing request, until its signature's time can
 *   no longer be accepted, in `replay.json`. The in-memory replay cache of the signed server
 *   is empty after a restart; this file is what refuses a captured `become_passive` replayed
 *   to the agent that just restarted. Reads (`/status`) are not kept: they change nothing.
 * - **Heartbeats.** A signed `/status` of a higher term raises the floor too, though it changes
 *   nothing else: a new leader's first heartbeat fences the deposed one at this agent before
 *   the new one has any command to send.
 * - **Senders.** Who stamped requests with a term lately (status included): two senders
 *   within the window are two managers, reported in `/status` and the log.
 */
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import {
  judgeTerm,
  noteSender,
  recentSenders,
  type Clock,
  type Logger,
  type SenderSighting,
  type TermClaim,
} from '@failover/core';
import { durableJsonFile, type StaleTermDetails } from '@failover/protocol';

/** The file holding the highest term obeyed, in the state directory. */
export const TERM_FILE = 'term.json';
/** The file holding the nonces of obeyed changing requests, in the state directory. */
export const REPLAY_FILE = 'replay.json';

const TermFileSchema = Type.Object({
  term: Type.Integer({ minimum: 1 }),
  sender: Type.String({ minLength: 1 }),
  /** When it was first obeyed, Unix ms. */
  obeyed_at: Type.Integer(),
});

const ReplayFileSchema = Type.Object({
  nonces: Type.Array(Type.Object({ nonce: Type.String({ minLength: 1 }), expires_at: Type.Integer() })),
});

/** Options of {@link openAgentFence}. */
export interface AgentFenceOptions {
  /** The prepared state directory. */
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a sender counts as recent after its last request. @default 60_000 */
  readonly senderWindowMs?: number;
  /**
   * Most nonces kept at once; when full of live ones, changing requests are refused (fails
   * closed) rather than one forgotten. Only authenticated requests reach it. @default 1_000
   */
  readonly maxNonces?: number;
}

/** A changing request as the fence judges it. */
export interface ChangingRequest {
  readonly claim: TermClaim;
  /** Its verified nonce and until when it must be remembered (Unix ms); absent with `insecure_no_auth`. */
  readonly nonce?: { readonly value: string; readonly expiresAt: number };
}

/** Whether a changing request may be obeyed. */
export type Admission =
  | { readonly admitted: true }
  | {
      readonly admitted: false;
      readonly code: 'FAILOVER_STALE_TERM';
      readonly message: string;
      readonly details: StaleTermDetails;
    }
  | { readonly admitted: false; readonly code: 'FAILOVER_AUTH_REPLAYED'; readonly message: string };

/** The agent's fence. */
export interface AgentFence {
  /** Notes who stamped a request with which term; any request that carries one, status included. */
  note(claim: TermClaim): void;
  /**
   * Judges a role- or tower-changing request. When it is admitted, its nonce and a raised term
   * are on disk before this resolves; requests are judged one at a time.
   * @throws when a state file cannot be written; the request must then not be obeyed
   */
  admit(request: ChangingRequest): Promise<Admission>;
  /**
   * Takes the term of a signed heartbeat: a term above the highest becomes the highest (on disk
   * before this resolves); anything else changes nothing. No request is judged.
   */
  adopt(claim: TermClaim): Promise<void>;
  /** The highest term obeyed so far; null before the first. */
  highest(): TermClaim | null;
  /** The senders heard from within the window, most recent last. */
  recentSenders(): SenderSighting[];
}

/**
 * Opens the fence from the state directory: reads the highest term and the live nonces.
 * @throws StateFileError when a state file is present but unreadable or not what it should hold
 */
export async function openAgentFence(options: AgentFenceOptions): Promise<AgentFence> {
  const { clock, logger } = options;
  const windowMs = options.senderWindowMs ?? 60_000;
  const maxNonces = options.maxNonces ?? 1_000;
  const termFile = durableJsonFile(path.join(options.stateDir, TERM_FILE), TermFileSchema);
  const replayFile = durableJsonFile(path.join(options.stateDir, REPLAY_FILE), ReplayFileSchema);
  const stored = await termFile.read();
  let highest: TermClaim | null = stored === undefined ? null : { term: stored.term, sender: stored.sender };
  const nonces = new Map<string, number>();
  for (const entry of (await replayFile.read())?.nonces ?? []) nonces.set(entry.nonce, entry.expires_at);
  let senders: SenderSighting[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  async function judge(request: ChangingRequest): Promise<Admission> {
    const now = clock.now();
    for (const [nonce, expiresAt] of nonces) if (expiresAt <= now) nonces.delete(nonce);
    const nonce = request.nonce;
    if (nonce !== undefined && nonces.has(nonce.value)) {
      return { admitted: false, code: 'FAILOVER_AUTH_REPLAYED', message: 'this request was already obeyed' };
    }
    const { claim } = request;
    const verdict = judgeTerm(highest, claim);
    if (!verdict.obey) {
      const { highest: floor } = verdict;
      logger.warn(
        { term: claim.term, sender: claim.sender, highest_term: floor.term, highest_term_sender: floor.sender },
        'refused a request of a stale term',
      );
      return {
        admitted: false,
        code: 'FAILOVER_STALE_TERM',
        message:
          claim.term < floor.term
            ? `term ${claim.term} of ${claim.sender} is below term ${floor.term} of ${floor.sender}, the highest obeyed`
            : `term ${claim.term} is already held by ${floor.sender}; ${claim.sender} needs a higher term`,
        details: {
          term: claim.term,
          sender: claim.sender,
          highest_term: floor.term,
          highest_term_sender: floor.sender,
        },
      };
    }
    if (nonce !== undefined) {
      if (nonces.size >= maxNonces)
        return { admitted: false, code: 'FAILOVER_AUTH_REPLAYED', message: 'too many recent requests to remember' };
      nonces.set(nonce.value, nonce.expiresAt);
      await replayFile.write({
        nonces: [...nonces].map(([value, expiresAt]) => ({ nonce: value, expires_at: expiresAt })),
      });
    }
    if (verdict.raises) await raise(claim, now, `obeying term ${claim.term} of ${claim.sender}`);
    return { admitted: true };
  }

  async function raise(claim: TermClaim, now: number, message: string): Promise<void> {
    await termFile.write({ term: claim.term, sender: claim.sender, obeyed_at: now });
    logger.info({ term: claim.term, sender: claim.sender, previous_term: highest?.term ?? null }, message);
    highest = claim;
  }

  async function adopt(claim: TermClaim): Promise<void> {
    if (highest !== null && claim.term <= highest.term) return;
    await raise(
      claim,
      clock.now(),
      `term ${claim.term} of ${claim.sender} came with a heartbeat; lower terms are refused from now on`,
    );
  }

  // One at a time: a judgement and a raise never interleave their reads and writes of the term.
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  }

  return {
    note(claim) {
      const now = clock.now();
      const before = recentSenders(senders, now, windowMs);
      senders = noteSender(senders, claim, now, windowMs);
      if (before.length > 0 && before.every((s) => s.sender !== claim.sender)) {
        // Two managers: at most one of them may act, and it is the one with the higher term.
        logger.warn(
          { senders: senders.map((s) => ({ sender: s.sender, term: s.term })) },
          `requests from ${senders.length} senders within ${Math.round(windowMs / 1000)} s; only the highest term is obeyed`,
        );
      }
    },
    admit: (request) => serially(() => judge(request)),
    adopt: (claim) => serially(() => adopt(claim)),
    highest: () => highest,
    recentSenders: () => recentSenders(senders, clock.now(), windowMs),
  };
}
