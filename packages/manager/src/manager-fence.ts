/**
 * The manager's side of fencing, shared by the ports of both agents: the term and sender id
 * it stamps on every request, the node name of each agent, and whether it may still command.
 *
 * It stands down for the rest of its run, logging and notifying once, when an agent refuses a
 * command with `FAILOVER_STALE_TERM`, or says in a signed `/status` that it obeys a term this
 * manager's does not reach: a newer run or another manager commands the pair. It commands
 * neither agent while both answer to one node name, since a request signed for one would be
 * valid at the other. And it reports a second manager that an agent has heard from.
 */
import { judgeTerm, NODE_IDS, type FailoverEvent, type Logger, type NodeId, type TermClaim } from '@failover/core';
import { deposedText, nodeNameConflictText } from '@failover/notifier';

/** Options of {@link createManagerFence}. */
export interface ManagerFenceOptions {
  /** This run's term and sender id (`loadManagerTerm`). */
  readonly term: number;
  readonly sender: string;
  /** Time of notifications. */
  readonly now: () => number;
  /** Where standing down and a second manager are logged. @default nowhere (a one-shot command reports its own outcome) */
  readonly log?: Logger;
  /** Where they are notified. @default nowhere */
  readonly notify?: (event: FailoverEvent) => void;
  /** How long a second manager stays reported after an agent last listed it. @default 60_000 */
  readonly otherManagerWindowMs?: number;
  /**
   * Why this manager may not command at this moment, checked before every command; null while it
   * may. Highly available managers: not the leader, or past the leader's own deadline.
   * @default always may
   */
  readonly authority?: () => string | null;
}

/** What an agent's signed `/status` says about fencing. */
export interface FenceReport {
  /** The node name the agent answered as (the client's configured or learned one). */
  readonly nodeName: string | undefined;
  /** The highest term it has obeyed; undefined before the first, or from an older agent. */
  readonly highest: TermClaim | undefined;
  /** The senders it heard from lately. */
  readonly senders: readonly TermClaim[];
}

/** Why this manager stood down. */
export interface Deposition {
  readonly node: NodeId;
  readonly highest: TermClaim;
}

/** The shared fence of one manager run. */
export interface ManagerFence {
  /** The term and sender stamped on every request. */
  claim(): TermClaim;
  /** Why no command may be sent to `node` now, in words; null when one may. */
  blocked(node: NodeId): string | null;
  /** Takes in what `node`'s agent said in a signed answer. */
  heard(node: NodeId, report: FenceReport): void;
  /** `node`'s agent refused a command of this manager's term: it obeys `highest`. */
  refused(node: NodeId, highest: TermClaim): void;
  /** Why this manager stood down; null while it may command. */
  deposed(): Deposition | null;
  /** For `failover-manager status`: the term, the sender and why it stood down, in the notification's words. */
  view(): { readonly term: number; readonly sender: string; readonly deposed: string | null };
}

/** Creates the fence of one manager run. */
export function createManagerFence(options: ManagerFenceOptions): ManagerFence {
  const own: TermClaim = { term: options.term, sender: options.sender };
  const windowMs = options.otherManagerWindowMs ?? 60_000;
  const names: Partial<Record<NodeId, string>> = {};
  const othersSeen = new Map<string, number>();
  let deposition: Deposition | null = null;
  let conflictReported = false;

  const notify = (event: FailoverEvent): void => options.notify?.(event);

  function depose(node: NodeId, highest: TermClaim): void {
    if (deposition !== null) return;
    deposition = { node, highest };
    const event = {
      type: 'deposed' as const,
      at: options.now(),
      node,
      term: own.term,
      sender: own.sender,
      highestTerm: highest.term,
      highestSender: highest.sender,
    };
    options.log?.error(
      { term: own.term, highest_term: highest.term, highest_sender: highest.sender },
      deposedText(event),
    );
    notify(event);
  }

  function conflict(): string | null {
    const [first, second] = NODE_IDS.map((node) => names[node]);
    return first !== undefined && first === second ? first : null;
  }

  return {
    claim: () => own,
    blocked() {
      const unauthorized = options.authority?.() ?? null;
      if (unauthorized !== null) return unauthorized;
      if (deposition !== null) return deposedText({ ...deposedFields(deposition), term: own.term, sender: own.sender });
      const shared = conflict();
      return shared === null ? null : nodeNameConflictText(shared);
    },
    heard(node, report) {
      if (report.nodeName !== undefined) names[node] = report.nodeName;
      const shared = conflict();
      if (shared !== null && !conflictReported) {
        conflictReported = true;
        options.log?.error({ node_name: shared }, nodeNameConflictText(shared));
        notify({ type: 'node-name-conflict', at: options.now(), name: shared });
      }
      if (report.highest !== undefined && !judgeTerm(report.highest, own).obey) depose(node, report.highest);
      const now = options.now();
      const others = report.senders.filter((s) => s.sender !== own.sender);
      const fresh = others.filter((s) => now - (othersSeen.get(s.sender) ?? -Infinity) > windowMs);
      for (const other of others) othersSeen.set(other.sender, now);
      if (fresh.length > 0) {
        const senders = others.map((s) => ({ sender: s.sender, term: s.term }));
        options.log?.error(
          { node, senders },
          `${node} also hears from ${senders.map((s) => `${s.sender} (term ${s.term})`).join(', ')}: two managers`,
        );
        notify({ type: 'other-manager', at: now, node, self: own.sender, senders });
      }
    },
    refused: depose,
    deposed: () => deposition,
    view: () => ({
      term: own.term,
      sender: own.sender,
      deposed:
        deposition === null ? null : deposedText({ ...deposedFields(deposition), term: own.term, sender: own.sender }),
    }),
  };
}

function deposedFields(deposition: Deposition): { node: NodeId; highestTerm: number; highestSender: string } {
  return { node: deposition.node, highestTerm: deposition.highest.term, highestSender: deposition.highest.sender };
}
