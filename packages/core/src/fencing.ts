/**
 * Fencing by terms: which request an agent may obey, and how two senders are noticed. A
 * manager stamps every role- or tower-changing request with its term and its sender id; an
 * agent keeps the highest term it has obeyed and refuses anything below it, so a stale
 * manager (an earlier run, a paused process, a deposed leader) cannot act again. Pure: the
 * agent persists what these functions decide before it acts.
 */

/** A term as a sender stamps it on a request, or as an agent records the one it obeyed. */
export interface TermClaim {
  /** The sender's term: its election revision, or the counter it raises at every start. */
  readonly term: number;
  /** Who sent it: a manager's stable id (`manager-<hex>`). */
  readonly sender: string;
}

/** The verdict on a request's term. */
export type TermVerdict =
  /** Obey; `raises` when the request's term is above the highest obeyed, which must be persisted first. */
  | { readonly obey: true; readonly raises: boolean }
  /** Refuse: `highest` is the term obeyed so far, which the request's does not reach. */
  | { readonly obey: false; readonly highest: TermClaim };

/**
 * Judges `claim` against the highest term obeyed so far (null: none yet). A higher term is
 * obeyed and raises the record; a lower one is refused. At an equal term only the sender
 * already recorded is obeyed: two managers that counted to the same term locally are two
 * voices, and the one that spoke first keeps the floor until the other takes a higher term.
 */
export function judgeTerm(highest: TermClaim | null, claim: TermClaim): TermVerdict {
  if (highest === null || claim.term > highest.term) return { obey: true, raises: true };
  if (claim.term === highest.term && claim.sender === highest.sender) return { obey: true, raises: false };
  return { obey: false, highest };
}

/** One sender an agent heard from, with the last term it sent and when. */
export interface SenderSighting {
  readonly sender: string;
  /** The term of its latest request. */
  readonly term: number;
  /** When its latest request arrived (ms). */
  readonly lastSeenAt: number;
}

/**
 * Records that `claim.sender` sent a request at `at`, and drops every sender not heard from
 * within `windowMs`. More than one sender left means two managers talk to this agent.
 * Returns a new list, most recently heard last.
 */
export function noteSender(
  sightings: readonly SenderSighting[],
  claim: TermClaim,
  at: number,
  windowMs: number,
): SenderSighting[] {
  const kept = sightings.filter((s) => s.sender !== claim.sender && at - s.lastSeenAt <= windowMs);
  return [...kept, { sender: claim.sender, term: claim.term, lastSeenAt: at }];
}

/** The senders of `sightings` heard from within `windowMs` of `now`. */
export function recentSenders(sightings: readonly SenderSighting[], now: number, windowMs: number): SenderSighting[] {
  return sightings.filter((s) => now - s.lastSeenAt <= windowMs);
}
