import type { Role } from '@failover/core';
import type { StatusResponse } from '@failover/protocol';
import type { ValidatorProbe } from './process-probe';
import type { TowerKeeper } from './tower-keeper';
import type { LocalRpc } from './validator-rpc';

/** What a status answer is built from. */
export interface StatusSources {
  readonly probe: ValidatorProbe;
  readonly localRpc: LocalRpc;
  readonly keeper: TowerKeeper;
  readonly role: () => Role;
  /** What a guard did lately (stray staked identity, isolation); null when nothing. */
  readonly alert?: () => string | null;
  readonly dryRun: boolean;
  readonly agentVersion: string;
  readonly now: () => number;
}

/**
 * Builds the `/status` answer. Every part is fetched in parallel under the RPC client's own
 * deadline, and a part that fails becomes a line in `error` instead of failing the answer:
 * the manager must hear from a live agent even when its validator's RPC hangs.
 */
export async function buildStatus(sources: StatusSources): Promise<StatusResponse> {
  const [probed, health, slot, identity] = await Promise.all([
    sources.probe.probe().then(
      (snapshot) => ({ ok: true as const, snapshot }),
      (error: unknown) => ({ ok: false as const, error: `process probe failed: ${(error as Error).message}` }),
    ),
    sources.localRpc.getHealth(),
    sources.localRpc.getSlot(),
    sources.localRpc.getIdentity(),
  ]);
  const validator = probed.ok ? probed.snapshot : { running: false, uptimeSeconds: 0, crashLoop: false, recentRestarts: 0 };
  const problems: string[] = [];
  if (!probed.ok) problems.push(probed.error);
  if (!health.ok) problems.push(`getHealth: ${health.error}`);
  if (!slot.ok) problems.push(`getSlot: ${slot.error}`);
  if (!identity.ok) problems.push(`getIdentity: ${identity.error}`);
  if (validator.crashLoop) problems.push(`validator restarted ${validator.recentRestarts} times recently (crash loop)`);
  const alert = sources.alert?.() ?? null;
  if (alert !== null) problems.push(alert);
  const tower = sources.keeper.state();
  if (tower.lastError) problems.push(`tower backup failed: ${tower.lastError.message}`);
  const role = sources.role();
  const backedUpAt = tower.lastBackupAt === null ? 0 : Math.floor(tower.lastBackupAt / 1000);
  const last = tower.lastBackup;
  return {
    process_running: validator.running,
    process_uptime: validator.uptimeSeconds,
    process_healthy: validator.running && !validator.crashLoop,
    validator_slot: slot.ok ? slot.value : 0,
    network_slot: 0,
    slot_diff: 0,
    is_healthy: health.ok,
    // Anything but a settled passive may hold the staked identity; the manager must treat it
    // as a voter (a half-done demotion stays "active" in the machine for the same reason).
    is_active: role !== 'passive',
    last_tower_backup: backedUpAt,
    ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
    timestamp: Math.floor(sources.now() / 1000),
    ...(identity.ok ? { identity_pubkey: identity.value } : {}),
    ...(role === 'unknown' ? {} : { role }),
    ...(last && last.lastVotedSlot !== null ? { tower: { last_vote_slot: last.lastVotedSlot, sha256: last.sha256, backed_up_at: backedUpAt } } : {}),
    agent_version: sources.agentVersion,
    dry_run: sources.dryRun,
  };
}
