import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  CONSENSUS_VETO_KINDS,
  NODE_IDS,
  everyStepLabel,
  isConsensusVeto,
  type BlockCause,
  type FailoverEvent,
  type FailoverReason,
  type Observation,
  type UnreachableReason,
} from '@failover/core';
import type { SinkReport } from '@failover/notifier';
import type { MonitorSnapshot } from './monitor';
import { MANAGER_VERSION } from './version';

/** What the manager's metrics are read from at scrape time. */
export interface ManagerMetricsSources {
  /** The monitor's state: the leader's, or an idle one while this manager follows. */
  readonly snapshot: () => MonitorSnapshot;
  /** This manager's term and why it stood down (null while it may command). */
  readonly fence: () => { readonly term: number; readonly deposed: string | null };
  /** Highly available managers: why this one follows, null while it leads. @default always leads */
  readonly following?: () => string | null;
  readonly dryRun: boolean;
  /** The notifier's queueing sinks (Telegram). @default none */
  readonly notifier?: () => readonly SinkReport[];
}

/** Options of {@link createManagerMetrics}. */
export interface ManagerMetricsOptions {
  /** Adds prom-client's process and Node.js metrics (the bin does). @default false */
  readonly processMetrics?: boolean;
}

/** The manager's Prometheus registry and what feeds the counters between scrapes. */
export interface ManagerMetrics {
  readonly registry: Registry;
  /**
   * Adds the gauges read from the manager's state at scrape time; called once the monitor and
   * the fence exist (the counters count from the start).
   */
  readStateFrom(sources: ManagerMetricsSources): void;
  /** Counts an event the manager notifies (failovers, holds, unreachable agents). */
  observeEvent(event: FailoverEvent): void;
  /** Records a heartbeat's round trips to the agents. */
  observeTick(observation: Observation): void;
}

const STATES = ['monitoring', 'failing-over', 'cooldown'] as const;

// Every label value the counters below can take, each listed once: a record, so a new kind in
// core does not compile until it is added here, and its series exists at 0 from the start. A
// series that first appears at 1 shows no increase() or rate() in Prometheus, and a dashboard
// or an alert on it would miss the first failover, hold or unreachable agent.
const REASON_KINDS: Readonly<Record<FailoverReason['kind'], true>> = {
  unhealthy: true,
  switchover: true,
  fence: true,
  'no-voter': true,
};
const ENDINGS = ['complete', 'rolled-back', 'aborted', 'failed'] as const;
const BLOCK_CAUSES: Readonly<Record<BlockCause['kind'], true>> = {
  'startup-grace': true,
  cooldown: true,
  'passive-unreachable': true,
  'passive-unhealthy': true,
  'old-active-still-voting': true,
  'no-vote-proof': true,
  'stale-tower': true,
  'no-tower-floor': true,
  'votes-without-holder': true,
  migrating: true,
  standstill: true,
  'vote-account-excluded': true,
  'local-not-migrated': true,
  'both-active': true,
  'no-active': true,
  'identity-elsewhere': true,
  'dry-run': true,
  'journal-unwritable': true,
  paused: true,
};
const UNREACHABLE_REASONS: Readonly<Record<UnreachableReason, true>> = {
  timeout: true,
  refused: true,
  rejected: true,
  error: true,
};
const PHASES = ['tower', 'migrating', 'alpenglow', 'unknown'] as const;

/**
 * The manager's metrics (names in docs/metrics.md). Counters and histograms count the events
 * the manager notifies and the heartbeats it makes, from the start of the process; the gauges
 * {@link ManagerMetrics.readStateFrom} adds read the monitor's state at scrape time.
 */
export function createManagerMetrics(options: ManagerMetricsOptions = {}): ManagerMetrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Gauge({
    name: 'failover_manager_build_info',
    help: 'Always 1; the manager version is in the label.',
    labelNames: ['version'],
    registers,
  }).set({ version: MANAGER_VERSION }, 1);
  const failovers = new Counter({
    name: 'failover_manager_failovers_total',
    help: 'Failovers and switchovers that ended, by why they started and how they ended.',
    labelNames: ['reason', 'outcome'],
    registers,
  });
  for (const reason of Object.keys(REASON_KINDS)) for (const outcome of ENDINGS) failovers.inc({ reason, outcome }, 0);
  const failoverSeconds = new Histogram({
    name: 'failover_manager_failover_duration_seconds',
    help: 'Time from the start of a completed failover to the new holder confirmed.',
    buckets: [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120],
    registers,
  });
  const stepSeconds = new Histogram({
    name: 'failover_manager_step_duration_seconds',
    help: 'Time each step of a failover took, attempts included, by step and result.',
    labelNames: ['step', 'ok'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  });
  for (const step of everyStepLabel()) for (const ok of ['true', 'false']) stepSeconds.zero({ step, ok });
  const blocks = new Counter({
    name: 'failover_manager_blocks_total',
    help: 'Failovers held back, by cause (each hold counted once, when it began).',
    labelNames: ['cause'],
    registers,
  });
  for (const cause of Object.keys(BLOCK_CAUSES)) blocks.inc({ cause }, 0);
  const vetoes = new Counter({
    name: 'failover_manager_consensus_vetoes_total',
    help: 'Failovers held back by the consensus phase (migrating, standstill, vote-account-excluded, local-not-migrated), by cause; each veto counted once, when it began.',
    labelNames: ['cause'],
    registers,
  });
  // Every cause at 0 from the start, so an alert on an increase sees the first veto.
  for (const cause of CONSENSUS_VETO_KINDS) vetoes.inc({ cause }, 0);
  const unreachable = new Counter({
    name: 'failover_manager_unreachable_total',
    help: 'Times a node stopped answering, by why.',
    labelNames: ['node', 'reason'],
    registers,
  });
  for (const node of NODE_IDS)
    for (const reason of Object.keys(UNREACHABLE_REASONS)) unreachable.inc({ node, reason }, 0);
  const heartbeat = new Histogram({
    name: 'failover_manager_heartbeat_seconds',
    help: "Round trip of the manager's /status request to each agent that answered.",
    labelNames: ['node'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers,
  });

  return {
    registry,
    readStateFrom(sources) {
      registerStateGauges(registers, sources);
    },
    observeEvent(event) {
      switch (event.type) {
        case 'failover-complete':
          failovers.inc({ reason: event.reason.kind, outcome: 'complete' });
          failoverSeconds.observe(event.totalMs / 1000);
          for (const step of event.steps) stepSeconds.observe({ step: step.step, ok: 'true' }, step.ms / 1000);
          return;
        case 'failover-failed':
        case 'rolled-back': {
          const outcome = event.type === 'rolled-back' ? 'rolled-back' : event.outcome;
          failovers.inc({ reason: event.reason.kind, outcome });
          for (const step of event.steps) stepSeconds.observe({ step: step.step, ok: String(step.ok) }, step.ms / 1000);
          return;
        }
        case 'blocked':
          blocks.inc({ cause: event.cause.kind });
          if (isConsensusVeto(event.cause)) vetoes.inc({ cause: event.cause.kind });
          return;
        case 'unreachable':
          unreachable.inc({ node: event.node, reason: event.reason });
          return;
        default:
          return;
      }
    },
    observeTick(observation) {
      for (const node of NODE_IDS) {
        const seen = observation.nodes[node];
        if (seen.reachable) heartbeat.observe({ node }, seen.latencyMs / 1000);
      }
    },
  };
}

function registerStateGauges(registers: Registry[], sources: ManagerMetricsSources): void {
  const state = () => sources.snapshot().state;
  new Gauge({
    name: 'failover_manager_dry_run',
    help: 'Whether the manager runs in dry run (failovers are decided and reported, never executed).',
    registers,
    collect() {
      this.set(sources.dryRun ? 1 : 0);
    },
  });
  new Gauge({
    name: 'failover_manager_paused',
    help: 'Whether an operator paused automatic failover for maintenance (failover-manager pause).',
    registers,
    collect() {
      this.set(state().pause === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'failover_manager_term',
    help: "This manager's term: its local counter, or its election's while it leads.",
    registers,
    collect() {
      this.set(sources.fence().term);
    },
  });
  new Gauge({
    name: 'failover_manager_commanding',
    help: 'Whether this manager may command the agents: 1 for the leader (or the one manager without the election), 0 for a follower or one that stood down.',
    registers,
    collect() {
      this.set(sources.fence().deposed === null && (sources.following?.() ?? null) === null ? 1 : 0);
    },
  });
  new Gauge({
    name: 'failover_manager_state',
    help: "The manager machine's state: 1 for the current one.",
    labelNames: ['state'],
    registers,
    collect() {
      const current = state().status;
      for (const name of STATES) this.set({ state: name }, name === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'failover_manager_consensus_phase',
    help: "The cluster's consensus phase as the manager last read it (tower, migrating, alpenglow, unknown): 1 for the current one; no series before the first heartbeat or without a phase reader.",
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      const current = state().lastObservation?.consensus?.phase;
      if (current === undefined) return;
      for (const phase of PHASES) this.set({ phase }, phase === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'failover_manager_node_active',
    help: 'Whether the manager counts the node as the one holding the staked identity.',
    labelNames: ['node'],
    registers,
    collect() {
      const { active } = state();
      for (const node of NODE_IDS) this.set({ node }, active === node ? 1 : 0);
    },
  });
  const perNode = (name: string, help: string, read: (node: (typeof NODE_IDS)[number]) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const node of NODE_IDS) {
          const value = read(node);
          // A node not observed yet has no series, rather than a value that reads as a verdict.
          if (value !== null) this.set({ node }, value);
        }
      },
    });
  };
  perNode('failover_manager_node_reachable', 'Whether the node answered the last heartbeat.', (node) => {
    const reachable = state().nodes[node].reachable;
    return reachable === null ? null : reachable ? 1 : 0;
  });
  perNode('failover_manager_node_healthy', "The manager's last verdict on the node's health.", (node) => {
    const health = state().nodes[node].health;
    return health === null ? null : health.healthy ? 1 : 0;
  });
  perNode('failover_manager_node_consecutive_misses', 'Consecutive unhealthy heartbeats of the node.', (node) =>
    state().nodes[node].reachable === null ? null : state().nodes[node].misses,
  );
  perNode('failover_manager_node_slot_lag', "Slots the node's validator is behind the cluster slot.", (node) => {
    const slot = state().nodes[node].slot;
    const cluster = sources.snapshot().observation?.clusterSlot ?? null;
    return slot === null || cluster === null ? null : Math.max(0, cluster.slot - slot);
  });
  registerNotifierMetrics(registers, sources.notifier ?? (() => []));
  new Gauge({
    name: 'failover_manager_vote_lag_slots',
    help: "Slots between the cluster slot and the vote account's last vote; absent until both were read.",
    registers,
    collect() {
      this.reset();
      const observation = sources.snapshot().observation;
      const cluster = observation?.clusterSlot ?? null;
      const vote = observation?.vote ?? null;
      if (cluster !== null && vote !== null) this.set(Math.max(0, cluster.slot - vote.lastVote));
    },
  });
}

const SINK_OUTCOMES = ['delivered', 'failed', 'dropped'] as const;

/** The notifier's sinks, read at scrape time: what waits, and what became of what was sent. */
function registerNotifierMetrics(registers: Registry[], reports: () => readonly SinkReport[]): void {
  new Gauge({
    name: 'failover_notifier_queue_depth',
    help: 'Notifications waiting in a sink, the one being sent included.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      for (const report of reports()) this.set({ sink: report.sink }, report.queued);
    },
  });
  // The sinks keep the totals; each scrape copies them.
  new Counter({
    name: 'failover_notifier_messages_total',
    help: 'Notifications a sink finished with, by outcome: delivered, failed (given up after its attempts) or dropped unsent.',
    labelNames: ['sink', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const report of reports())
        for (const outcome of SINK_OUTCOMES) this.inc({ sink: report.sink, outcome }, report[outcome]);
    },
  });
  new Counter({
    name: 'failover_notifier_send_failures_total',
    help: 'Attempts to send a notification that failed, retried ones included.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      for (const report of reports()) this.inc({ sink: report.sink }, report.failedAttempts);
    },
  });
}
