/**
 * One agent as the monitor and the executor see it, over protocol's typed client: statuses
 * become core observations, failures become values that say which kind they were. Every
 * request names the agent's node and carries this manager's term; what the agent says about
 * terms, senders and its name goes to the shared fence, which may stop the port from sending
 * commands at all.
 */
import type { Clock, NodeId } from '@failover/core';
import {
  StaleTermDetailsSchema,
  TowerStaleDetailsSchema,
  VoteHistoryStaleDetailsSchema,
  createAgentClient,
  toNodeStatus,
  toUnreachableReason,
} from '@failover/protocol';
import type { AgentCallError, AgentClient, Secret, StatusResponse } from '@failover/protocol';
import { Value } from '@sinclair/typebox/value';
import type { AgentPort, FailoverCall, FailoverRefusal } from './failover-executor';
import type { FenceReport, ManagerFence } from './manager-fence';

/** Options of {@link createAgentPort}. */
export interface AgentPortOptions {
  /** Which of the pair this agent is, for the fence and its notifications. */
  readonly node: NodeId;
  readonly endpoint: string;
  /** `validatorN.node_name`; absent, the client learns it from the agent's first signed answer. */
  readonly nodeName?: string;
  /** The shared secret; absent only with `insecure_no_auth`. */
  readonly secret: Secret | undefined;
  /** `request_timeout`: the limit of each status call. */
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  /** This manager run's term and standing, shared by both ports. */
  readonly fence: ManagerFence;
}

/** An agent port plus the raw client, for `--shutdown-agent`. */
export interface AgentLink extends AgentPort {
  readonly client: AgentClient;
}

/** Builds the port of the agent at `endpoint`. */
export function createAgentPort(options: AgentPortOptions): AgentLink {
  const { node, fence } = options;
  const client = createAgentClient({
    baseUrl: options.endpoint,
    timeoutMs: options.requestTimeoutMs,
    clock: options.clock,
    fence: () => fence.claim(),
    ...(options.nodeName === undefined ? {} : { node: options.nodeName }),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
  });
  // Echoed as last_received_timestamp, so the agent can tell that its answers are lost on
  // the way back (a one-way partition) rather than that the manager went silent.
  let lastReceivedTimestamp: number | undefined;

  return {
    client,
    async status() {
      const started = options.clock.now();
      const answer = await client.status(lastReceivedTimestamp === undefined ? {} : { lastReceivedTimestamp });
      if (!answer.ok)
        return { reachable: false, reason: toUnreachableReason(answer.error), detail: describeCallError(answer.error) };
      lastReceivedTimestamp = answer.value.timestamp;
      fence.heard(node, fenceReport(answer.value, client.node()));
      return { reachable: true, status: toNodeStatus(answer.value), latencyMs: options.clock.now() - started };
    },
    async watch(processRunning, waitMs, signal) {
      const answer = await client.watch({ processRunning, waitMs }, { signal });
      if (answer.ok)
        return { ok: true, running: answer.value.process_running, exitedAt: answer.value.process_exited_at ?? null };
      const unsupported =
        answer.error.kind === 'rejected' && (answer.error.status === 404 || answer.error.status === 405);
      return { ok: false, unsupported, detail: describeCallError(answer.error) };
    },
    async failover(request, timeoutMs) {
      // A manager that stood down, or cannot tell the two agents apart, sends nothing at all.
      const blocked = fence.blocked(node);
      if (blocked !== null) return { ok: false, detail: `not sent: ${blocked}`, refusal: null };
      const { action, reason, skipIdentity, minTowerSlot, minVoteHistorySlot, prePromoteChecked, carriedTower } =
        request;
      const answer = await client.failover(
        {
          action,
          reason,
          skipIdentity,
          ...(minTowerSlot === undefined ? {} : { minTowerSlot }),
          ...(minVoteHistorySlot === undefined ? {} : { minVoteHistorySlot }),
          ...(prePromoteChecked === undefined ? {} : { prePromoteChecked }),
          ...(carriedTower === undefined ? {} : { carriedTower }),
        },
        { timeoutMs },
      );
      if (!answer.ok) {
        const stale = staleTermOf(answer.error);
        if (stale !== null) fence.refused(node, stale);
        return { ok: false, detail: describeCallError(answer.error), refusal: refusalOf(answer.error, request) };
      }
      return {
        ok: true,
        success: answer.value.success,
        message: answer.value.message,
        dryRun: answer.value.dry_run,
        warnings: answer.value.warnings ?? [],
        ...(answer.value.final_tower === undefined ? {} : { finalTower: answer.value.final_tower }),
      };
    },
  };
}

/** What a signed `/status` says about terms, senders and the node's name. */
function fenceReport(status: StatusResponse, nodeName: string | undefined): FenceReport {
  return {
    nodeName: status.node_name ?? nodeName,
    highest:
      status.highest_term === undefined || status.highest_term_sender === undefined
        ? undefined
        : { term: status.highest_term, sender: status.highest_term_sender },
    senders: (status.recent_senders ?? []).map((s) => ({ sender: s.sender, term: s.term })),
  };
}

/** The term an agent obeys, from its `FAILOVER_STALE_TERM` refusal (the client has verified its signature). */
function staleTermOf(error: AgentCallError): { term: number; sender: string } | null {
  if (error.kind !== 'rejected' || error.code !== 'FAILOVER_STALE_TERM') return null;
  if (!Value.Check(StaleTermDetailsSchema, error.details)) return null;
  return { term: error.details.highest_term, sender: error.details.highest_term_sender };
}

/**
 * The refusals the executor acts on: busy (a role change in progress, wait for it), a hook's
 * veto (not retried), a `check_promote` the agent does not know (a bad request to an older
 * agent), and a stale tower or vote history (hold the promotion). Details that do not match
 * the schema still count as stale, at the slot the manager asked for.
 */
function refusalOf(error: AgentCallError, request: FailoverCall): FailoverRefusal | null {
  if (error.kind !== 'rejected') return null;
  if (error.code === 'FAILOVER_BUSY') return { kind: 'busy' };
  if (error.code === 'FAILOVER_HOOK_REFUSED') return { kind: 'hook-refused' };
  if (request.action === 'check_promote' && error.status === 400) return { kind: 'unsupported' };
  if (error.code === 'FAILOVER_VOTE_HISTORY_STALE') {
    const details = Value.Check(VoteHistoryStaleDetailsSchema, error.details) ? error.details : undefined;
    return {
      kind: 'stale-tower',
      file: 'vote-history',
      towerSlot: details?.vote_history_newest_slot ?? null,
      lastVote: details?.min_vote_history_slot ?? request.minVoteHistorySlot ?? 0,
    };
  }
  if (error.code !== 'FAILOVER_TOWER_STALE') return null;
  const details = Value.Check(TowerStaleDetailsSchema, error.details) ? error.details : undefined;
  return {
    kind: 'stale-tower',
    towerSlot: details?.tower_last_vote_slot ?? null,
    lastVote: details?.min_tower_slot ?? request.minTowerSlot ?? 0,
  };
}

/** One line about a failed agent call, for logs and notifications. */
export function describeCallError(error: AgentCallError): string {
  switch (error.kind) {
    case 'rejected':
      return `${error.code} (HTTP ${error.status}): ${error.message}`;
    case 'forged-response':
      return `FAILOVER_RESPONSE_FORGED: ${error.message}; someone on the path may be answering for the agent`;
    default:
      return error.message;
  }
}
