import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Role } from '@failover/core';
import { holdsIdentity } from './role-runner';
import type { StatusSources } from './status-report';

/** Every role the agent can report, so each `failover_agent_role` series exists from the first scrape. */
const ROLES: readonly Role[] = ['active', 'passive', 'activating', 'deactivating', 'unconfirmed', 'unknown'];

/** Options of {@link createAgentMetrics}. */
export interface AgentMetricsOptions {
  /**
   * Adds prom-client's process and Node.js metrics (`process_resident_memory_bytes`,
   * `nodejs_eventloop_lag_seconds`, ...). Off for apps built in tests: its event-loop monitor
   * runs for the life of the process. @default false
   */
  readonly processMetrics?: boolean;
}

/**
 * The agent's Prometheus registry. Every value is read from the same sources as `/status` at
 * scrape time, so the two never disagree and nothing is sampled in the background. Names and
 * meanings are listed in docs/metrics.md.
 */
export function createAgentMetrics(sources: StatusSources, options: AgentMetricsOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  // A reading the agent does not have is 0, which every alert on it reads as bad: slot 0 is
  // far behind, a backup at time 0 is ancient.
  const gauge = (name: string, help: string, read: () => number | null): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read() ?? 0);
      },
    });
  };
  const fresh = () => {
    const view = sources.sampler.view();
    return view.overdue === null ? view.sample : null;
  };

  new Gauge({
    name: 'failover_agent_build_info',
    help: 'Always 1; the agent version is in the label.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: sources.agentVersion }, 1);
  new Gauge({
    name: 'failover_agent_role',
    help: 'The agent role: 1 for the current one, 0 for the others.',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const current = sources.role();
      for (const role of ROLES) this.set({ role }, role === current ? 1 : 0);
    },
  });
  gauge(
    'failover_agent_holds_identity',
    'Whether this node may vote with the staked identity (active, or unconfirmed after a failed promotion).',
    () => (holdsIdentity(sources.role()) ? 1 : 0),
  );
  gauge('failover_agent_dry_run', 'Whether the agent runs in dry run (role changes are logged, not made).', () =>
    sources.dryRun ? 1 : 0,
  );
  gauge('failover_agent_validator_process_up', 'Whether the validator process runs.', () => {
    const process = sources.sampler.view().sample?.process;
    return process?.ok === true && process.snapshot.running ? 1 : 0;
  });
  gauge('failover_agent_validator_healthy', "Whether the validator's local RPC answered getHealth ok in time.", () =>
    fresh()?.health.ok === true ? 1 : 0,
  );
  gauge(
    'failover_agent_validator_slot',
    "The validator's processed slot from its local RPC; 0 when unknown or the probe is overdue.",
    () => {
      const slot = fresh()?.slot;
      return slot?.ok === true ? slot.value : null;
    },
  );
  gauge(
    'failover_agent_probe_age_seconds',
    'Age of the latest finished probe of the validator; 0 before the first.',
    () => {
      const { ageMs } = sources.sampler.view();
      return ageMs === null ? null : Math.max(0, ageMs) / 1000;
    },
  );
  gauge(
    'failover_agent_tower_backup_timestamp_seconds',
    'Unix time of the last tower backup; 0 before the first. time() minus this is its age.',
    () => {
      const at = sources.keeper.state().lastBackupAt;
      return at === null ? null : at / 1000;
    },
  );
  gauge('failover_agent_tower_backup_slot', 'Last voted slot of the last tower backed up; 0 before the first.', () => {
    const last = sources.keeper.state().lastBackup;
    return last?.lastVotedSlot ?? null;
  });
  gauge('failover_agent_highest_term', 'The highest manager term this agent has obeyed; 0 before the first.', () => {
    return sources.fencing?.().highest?.term ?? null;
  });
  gauge(
    'failover_agent_recent_senders',
    'Managers that stamped a request with their term in the last minute; 2 or more are two managers.',
    () => sources.fencing?.().senders.length ?? 0,
  );
  return registry;
}
