/**
 * What the fencing classes check besides the judge, from what was seen on the wire and in the
 * judge's vote records. Pure, so each rule is a table test.
 */
import type { VoteRecord } from '@failover/solana-sim';
import { gapWindows } from './gap-windows';
import { jsonBody, type Exchange } from './recording-proxy';

/** The paths whose requests change a role and carry the sender's term. */
const CHANGING_PATHS: ReadonlySet<string> = new Set(['/failover', '/shutdown']);

/** A role-changing request seen on the wire, with its term and what the agent answered. */
export interface TermExchange {
  readonly agent: string;
  readonly sender: string;
  readonly term: number;
  readonly action: string;
  readonly sentMs: number;
  readonly answeredMs: number | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
}

/** The role-changing requests among `exchanges` that carry a term, in the order they arrived. */
export function termExchanges(exchanges: readonly Exchange[]): TermExchange[] {
  const out: TermExchange[] = [];
  for (const e of exchanges) {
    if (e.method !== 'POST' || !CHANGING_PATHS.has(e.path.split('?')[0] ?? '')) continue;
    const body = jsonBody(e);
    const term = body?.['term'];
    if (typeof term !== 'number') continue;
    out.push({
      agent: e.agent,
      sender: typeof body?.['sender'] === 'string' ? body['sender'] : '?',
      term,
      action: typeof body?.['action'] === 'string' ? body['action'] : e.path,
      sentMs: e.sentMs,
      answeredMs: e.answeredMs,
      status: e.status,
      code: e.code,
    });
  }
  return out.sort((a, b) => a.sentMs - b.sentMs);
}

const obeyed = (e: TermExchange): boolean => e.status !== undefined && e.status >= 200 && e.status < 300;

/**
 * Requests an agent obeyed although it had already answered, before they arrived, that it
 * obeyed a higher term: each is a breach of "only the higher term is obeyed". Requests that
 * overlap in flight are not compared, since the agent judges them in an order the wire does
 * not show.
 */
export function lowerTermsObeyed(exchanges: readonly TermExchange[]): string[] {
  const breaches: string[] = [];
  for (const late of exchanges.filter(obeyed)) {
    const higher = exchanges.find(
      (e) =>
        e.agent === late.agent &&
        obeyed(e) &&
        e.term > late.term &&
        e.answeredMs !== undefined &&
        e.answeredMs < late.sentMs,
    );
    if (higher !== undefined)
      breaches.push(
        `${late.agent} obeyed ${late.action} of term ${late.term} (${late.sender}) after it had obeyed term ${higher.term} (${higher.sender})`,
      );
  }
  return breaches;
}

/** Options of {@link timeToVoter}. */
export interface TimeToVoterOptions {
  /** When the fault began: the time is counted from here. */
  readonly sinceMs: number;
  /** The end of observation. */
  readonly now: { readonly slot: number; readonly timeMs: number };
}

/**
 * How long after `sinceMs` the staked identity had a voter again: the end of the last voting
 * gap that reaches past `sinceMs`, or the first landed vote after it when voting never
 * stopped. Null when nobody votes at the end of observation.
 */
export function timeToVoter(votes: readonly VoteRecord[], options: TimeToVoterOptions): number | null {
  const gaps = gapWindows(votes, { sinceMs: options.sinceMs, now: options.now, minSlots: 3 });
  const last = gaps[gaps.length - 1];
  if (last?.open) return null;
  if (last !== undefined) return Math.max(0, last.endMs - options.sinceMs);
  const next = votes.filter((v) => v.landed && v.timeMs >= options.sinceMs).sort((a, b) => a.timeMs - b.timeMs)[0];
  return next === undefined ? null : next.timeMs - options.sinceMs;
}
