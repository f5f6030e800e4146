import type { AlpenglowGenesis, Clock, Role, SenderSighting, TermClaim } from '@failover/core';
import type { RpcResult, StatusResponse } from '@failover/protocol';
import type { TowerKeeper, TowerState } from './tower-keeper';
import type { ValidatorSampler } from './validator-sampler';

/** What a status answer is built from. */
export interface StatusSources {
  /** The background probe of the validator; `/status` never waits on the validator itself. */
  readonly sampler: Pick<ValidatorSampler, 'view'>;
  /** When the agent saw the validator exit, while it has not run since; null otherwise. @default never */
  readonly exitedAt?: () => number | null;
  readonly keeper: TowerKeeper;
  readonly role: () => Role;
  /** What a guard did lately (stray staked identity, isolation); null when nothing. */
  readonly alert?: () => string | null;
  /** Why a demotion's final tower backup is still pending (F4); null when none is. */
  readonly pendingFinalBackup?: () => string | null;
  readonly dryRun: boolean;
  readonly agentVersion: string;
  /** The node name, the highest term obeyed and the recent senders, for `/status`. */
  readonly fencing?: () => {
    readonly node: string;
    readonly highest: TermClaim | null;
    readonly senders: readonly SenderSighting[];
  };
  readonly clock: Clock;
}

/**
 * Builds the `/status` answer from the latest background probe, at once: the manager must
 * hear from a live agent even when its validator hangs, and hear that it hangs. A part that
 * failed becomes a line in `error` instead of failing the answer; a probe that is overdue
 * makes the RPC unhealthy and drops the readings it would have refreshed.
 */
export function buildStatus(sources: StatusSources): StatusResponse {
  const { sample, ageMs, overdue } = sources.sampler.view();
  const problems: string[] = [];
  const process = sample?.process;
  const validator =
    process?.ok === true ? process.snapshot : { running: false, uptimeSeconds: 0, crashLoop: false, recentRestarts: 0 };
  if (process !== undefined && !process.ok) problems.push(process.error);
  const fresh = overdue === null ? sample : null;
  if (overdue !== null) problems.push(overdue);
  if (fresh !== null) {
    if (!fresh.health.ok) problems.push(`getHealth: ${fresh.health.message}`);
    if (!fresh.slot.ok) problems.push(`getSlot: ${fresh.slot.message}`);
    if (!fresh.identity.ok) problems.push(`getIdentity: ${fresh.identity.message}`);
  }
  if (validator.crashLoop) problems.push(`validator restarted ${validator.recentRestarts} times recently (crash loop)`);
  const alert = sources.alert?.() ?? null;
  if (alert !== null) problems.push(alert);
  const tower = sources.keeper.state();
  // The manager's final-backup step waits on last_tower_backup; this says why it has not moved.
  const pendingFinal = sources.pendingFinalBackup?.() ?? null;
  if (pendingFinal !== null) problems.push(pendingFinal);
  else if (tower.lastError) problems.push(`tower backup failed: ${tower.lastError.message}`);
  if (tower.keptAside) {
    const { files, reason, at } = tower.keptAside;
    problems.push(
      `the step-down (${reason}) at ${new Date(at).toISOString()} kept the tower aside as ${files.join(' and ')}; ` +
        'to restore it, rename it back without the suffix while this node is passive and promote this node (docs/safety.md)',
    );
  }
  const history = tower.voteHistory;
  if (history?.lastError) problems.push(`vote history backup failed: ${history.lastError.message}`);
  const role = sources.role();
  const backedUpAt = tower.lastBackupAt === null ? 0 : Math.floor(tower.lastBackupAt / 1000);
  const last = tower.lastBackup;
  return {
    process_running: validator.running,
    process_uptime: validator.uptimeSeconds,
    process_healthy: validator.running && !validator.crashLoop,
    validator_slot: fresh?.slot.ok === true ? fresh.slot.value : 0,
    network_slot: 0,
    slot_diff: 0,
    is_healthy: fresh?.health.ok === true,
    // Anything but a settled passive may hold the staked identity; the manager must treat it
    // as a voter (a half-done demotion stays "active" in the machine for the same reason).
    is_active: role !== 'passive',
    last_tower_backup: backedUpAt,
    ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
    timestamp: Math.floor(sources.clock.now() / 1000),
    ...(fresh?.identity.ok === true ? { identity_pubkey: fresh.identity.value } : {}),
    ...(role === 'unknown' ? {} : { role }),
    ...(last && last.lastVotedSlot !== null
      ? { tower: { last_vote_slot: last.lastVotedSlot, sha256: last.sha256, backed_up_at: backedUpAt } }
      : {}),
    ...voteHistoryField(history),
    ...genesisField(fresh?.genesis),
    agent_version: sources.agentVersion,
    dry_run: sources.dryRun,
    ...(ageMs === null ? {} : { probe_age_ms: Math.max(0, Math.round(ageMs)) }),
    ...exitField(validator.running, sources.exitedAt?.() ?? null),
    ...fencingFields(sources),
  };
}

/** `process_exited_at`, only beside a `process_running: false` of the same answer. */
function exitField(running: boolean, exitedAt: number | null): Pick<StatusResponse, 'process_exited_at'> {
  return running || exitedAt === null ? {} : { process_exited_at: exitedAt };
}

/** The vote history last backed up, beside the tower; absent while none was (TowerBFT). */
function voteHistoryField(history: TowerState | undefined): Pick<StatusResponse, 'vote_history'> {
  const last = history?.lastBackup;
  if (!history || !last || last.lastVotedSlot === null || history.lastBackupAt === null) return {};
  return {
    vote_history: {
      newest_slot: last.lastVotedSlot,
      sha256: last.sha256,
      backed_up_at: Math.floor(history.lastBackupAt / 1000),
    },
  };
}

/**
 * The validator's Alpenglow genesis for `/status`: null when it answered null or predates
 * `getAgGenesisCert` (-32601: it cannot have migrated); absent when it could not be asked.
 */
function genesisField(
  genesis: RpcResult<AlpenglowGenesis | null> | undefined,
): Pick<StatusResponse, 'ag_genesis_cert'> {
  if (genesis === undefined) return {};
  if (!genesis.ok) return genesis.code === METHOD_NOT_FOUND ? { ag_genesis_cert: null } : {};
  const value = genesis.value;
  return { ag_genesis_cert: value === null ? null : { slot: value.slot, block_id: value.blockId } };
}

/** JSON-RPC "method not found". */
const METHOD_NOT_FOUND = -32601;

function fencingFields(
  sources: StatusSources,
): Pick<StatusResponse, 'node_name' | 'highest_term' | 'highest_term_sender' | 'recent_senders'> {
  const fencing = sources.fencing?.();
  if (fencing === undefined) return {};
  return {
    node_name: fencing.node,
    ...(fencing.highest === null
      ? {}
      : { highest_term: fencing.highest.term, highest_term_sender: fencing.highest.sender }),
    recent_senders: fencing.senders.map((s) => ({
      sender: s.sender,
      term: s.term,
      last_seen: Math.floor(s.lastSeenAt / 1000),
    })),
  };
}
