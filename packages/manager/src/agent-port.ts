/**
 * One agent as the monitor and the executor see it, over protocol's typed client: statuses
 * become core observations, failures become values that say which kind they were.
 */
import type { Clock } from '@failover/core';
import { TowerStaleDetailsSchema, createAgentClient, toNodeStatus, toUnreachableReason } from '@failover/protocol';
import type { AgentCallError, AgentClient, Secret } from '@failover/protocol';
import { Value } from '@sinclair/typebox/value';
import type { AgentPort, FailoverRefusal } from './failover-executor';

/** Options of {@link createAgentPort}. */
export interface AgentPortOptions {
  readonly endpoint: string;
  /** The shared secret; absent only with `insecure_no_auth`. */
  readonly secret: Secret | undefined;
  /** `request_timeout`: the limit of each status call. */
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
}

/** An agent port plus the raw client, for `--shutdown-agent`. */
export interface AgentLink extends AgentPort {
  readonly client: AgentClient;
}

/** Builds the port of the agent at `endpoint`. */
export function createAgentPort(options: AgentPortOptions): AgentLink {
  const client = createAgentClient({
    baseUrl: options.endpoint,
    timeoutMs: options.requestTimeoutMs,
    clock: options.clock,
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
      return { reachable: true, status: toNodeStatus(answer.value), latencyMs: options.clock.now() - started };
    },
    async failover(request, timeoutMs) {
      const { action, reason, skipIdentity, minTowerSlot } = request;
      const answer = await client.failover(
        { action, reason, skipIdentity, ...(minTowerSlot === undefined ? {} : { minTowerSlot }) },
        { timeoutMs },
      );
      if (!answer.ok)
        return { ok: false, detail: describeCallError(answer.error), refusal: refusalOf(answer.error, minTowerSlot) };
      return { ok: true, success: answer.value.success, message: answer.value.message, dryRun: answer.value.dry_run };
    },
  };
}

/**
 * The refusals the executor acts on: busy (a role change in progress, wait for it) and a
 * stale tower (hold the promotion). Details that do not match the schema still count as a
 * stale tower, at the slot the manager asked for.
 */
function refusalOf(error: AgentCallError, minTowerSlot: number | undefined): FailoverRefusal | null {
  if (error.kind !== 'rejected') return null;
  if (error.code === 'FAILOVER_BUSY') return { kind: 'busy' };
  if (error.code !== 'FAILOVER_TOWER_STALE') return null;
  const details = Value.Check(TowerStaleDetailsSchema, error.details) ? error.details : undefined;
  return {
    kind: 'stale-tower',
    towerSlot: details?.tower_last_vote_slot ?? null,
    lastVote: details?.min_tower_slot ?? minTowerSlot ?? 0,
  };
}

/** One line about a failed agent call, for logs and notifications. */
export function describeCallError(error: AgentCallError): string {
  switch (error.kind) {
    case 'rejected':
      return `${error.code} (HTTP ${error.status}): ${error.message}`;
    default:
      return error.message;
  }
}
