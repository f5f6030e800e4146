import { decodeTower, type Clock, type Logger, type TowerStale } from '@failover/core';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@failover/protocol';
import { sha256Hex, type BackupFailure, type TowerBackupMeta, type TowerStore } from './tower-store';

/** The outcome of a backup attempt. */
export type BackupReport =
  | { readonly status: 'stored'; readonly meta: TowerBackupMeta }
  | { readonly status: 'unchanged' | 'in-flight' | 'no-tower' | 'dry-run' }
  /** `reason` when the store refused or failed it; absent when the file itself was bad. */
  | { readonly status: 'failed'; readonly error: string; readonly reason?: BackupFailure };

/** The outcome of a restore. */
export type RestoreReport =
  | {
      readonly ok: true;
      readonly action: 'restored' | 'kept-disk' | 'dry-run';
      readonly lastVotedSlot: number | null;
      readonly detail: string;
    }
  | { readonly ok: false; readonly code: string; readonly error: string; readonly towerStale?: TowerStale };

/** What `/status` shows about the tower. */
export interface TowerState {
  /** The last backup that reached the store. */
  readonly lastBackup: TowerBackupMeta | null;
  /** When it reached the store (ms since epoch). */
  readonly lastBackupAt: number | null;
  /** The last backup failure since the last success, if any. */
  readonly lastError: { readonly message: string; readonly at: number } | null;
  readonly store: string;
}

/** Keeps the tower file: backups while active, restore before activation, removal after. */
export interface TowerKeeper {
  /** Backs the tower up unless one is in flight or the file has not changed since the last. */
  backupIfChanged(): Promise<BackupReport>;
  /** Like `backupIfChanged`, but waits for a backup in flight instead of skipping. */
  backupNext(): Promise<BackupReport>;
  /**
   * Waits for any backup in flight, then backs up whatever is on disk (on demotion). With
   * `quiet`, a failure is not logged (a retry loop logs its own outcomes once).
   */
  finalBackup(quiet?: boolean): Promise<BackupReport>;
  /**
   * Fetches, verifies and installs the latest backup, or keeps the newer tower on disk. With
   * `minTowerSlot`, refuses (`FAILOVER_TOWER_STALE`) before writing anything when the tower it
   * would install ends below that slot; and when the store cannot be read, keeps the tower on
   * disk if it verifies and reaches that slot (`FAILOVER_TOWER_STORE_UNAVAILABLE` otherwise).
   */
  restore(minTowerSlot?: number): Promise<RestoreReport>;
  /** Deletes the tower file so a stale tower can never be picked up later. */
  removeTowerFile(): Promise<{ readonly ok: boolean; readonly error?: string }>;
  state(): TowerState;
}

/** Options of {@link createTowerKeeper}. */
export interface TowerKeeperOptions {
  /** Full path of the tower file (`tower_file_path` with placeholders resolved). */
  readonly towerFile: string;
  /** The staked identity whose tower this is. */
  readonly identity: string;
  readonly store: TowerStore;
  /** Who takes the backups, recorded with each. */
  readonly source: string;
  /** Log instead of writing or removing anything. */
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Called when the store refused a backup as fenced: another agent wrote this identity's
   * tower since this one last read or wrote it, so another machine was given the identity.
   */
  readonly onFenced?: (detail: string) => void;
}

interface DiskTower {
  readonly bytes: Buffer;
  readonly lastVotedSlot: number | null;
  readonly valid: boolean;
}

/** Creates the tower keeper for one staked identity and one store. */
export function createTowerKeeper(options: TowerKeeperOptions): TowerKeeper {
  const { logger, store, towerFile, identity } = options;
  const { clock } = options;
  let inFlight: Promise<BackupReport> | undefined;
  let lastBackup: TowerBackupMeta | null = null;
  let lastBackupAt: number | null = null;
  let lastError: TowerState['lastError'] = null;

  const readDisk = async (): Promise<DiskTower | undefined> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(towerFile);
    } catch {
      return undefined;
    }
    const decoded = decodeTower(bytes, identity);
    return { bytes, valid: decoded.ok, lastVotedSlot: decoded.ok ? decoded.lastVotedSlot : null };
  };

  const runBackup = async (force: boolean, quiet = false): Promise<BackupReport> => {
    const disk = await readDisk();
    if (!disk) return { status: 'no-tower' };
    const sha256 = sha256Hex(disk.bytes);
    if (!force && lastBackup?.sha256 === sha256) return { status: 'unchanged' };
    if (!disk.valid) {
      // agave renames a complete file into place, so a bad file is not a torn read: never ship it.
      return fail(`${towerFile} does not verify for ${identity}; not backing it up`, quiet);
    }
    const meta: TowerBackupMeta = {
      fileName: path.basename(towerFile),
      sha256,
      lastVotedSlot: disk.lastVotedSlot,
      source: options.source,
      takenAt: new Date(clock.now()).toISOString(),
    };
    if (options.dryRun) {
      logger.info(
        { tower_sha256: sha256, last_voted_slot: disk.lastVotedSlot, dry_run: true },
        `would back up ${towerFile} to ${store.describe()}`,
      );
      return { status: 'dry-run' };
    }
    const outcome = await store.backup(disk.bytes, meta);
    if (!outcome.ok) {
      const failed = fail(`tower backup to ${store.describe()} failed (${outcome.reason}): ${outcome.error}`, quiet);
      if (outcome.reason === 'fenced') options.onFenced?.(outcome.error);
      return { ...failed, reason: outcome.reason };
    }
    lastBackup = meta;
    lastBackupAt = clock.now();
    if (lastError) logger.info({ store: store.describe() }, 'tower backups resumed');
    lastError = null;
    logger.debug({ last_voted_slot: meta.lastVotedSlot, tower_sha256: sha256 }, 'tower backed up');
    return { status: 'stored', meta };
  };

  const fail = (message: string, quiet = false): BackupReport & { status: 'failed' } => {
    lastError = { message, at: clock.now() };
    if (!quiet) logger.error({ store: store.describe() }, message);
    return { status: 'failed', error: message };
  };

  const putBack = async (disk: DiskTower | undefined): Promise<void> => {
    // The command store's restore writes into the ledger itself; undo it when refused.
    if (store.kind !== 'command') return;
    if (disk) await writeFileAtomic(towerFile, disk.bytes);
    else await rm(towerFile, { force: true });
  };

  /**
   * The store cannot be read: the tower on disk is taken when it verifies and reaches the floor.
   * The vote account's last vote is then the proof that no backup can hold a later vote (the
   * same proof a restored backup must meet), and a planned switchover that ran into an etcd
   * outage hands the identity back to the old active, whose tower stayed on disk when its final
   * backup failed, instead of leaving nobody voting. Without a floor nothing says how old the
   * local tower is, so the restore is refused as before.
   */
  const restoreWithoutStore = async (
    disk: DiskTower | undefined,
    storeError: string,
    minTowerSlot: number | undefined,
  ): Promise<RestoreReport> => {
    const unreadable = `cannot read the tower backup from ${store.describe()}: ${storeError}`;
    await putBack(disk);
    if (minTowerSlot === undefined) {
      return {
        ok: false,
        code: 'FAILOVER_TOWER_STORE_UNAVAILABLE',
        error: `${unreadable}; no min_tower_slot to judge ${towerFile} by`,
      };
    }
    if (disk?.valid !== true || (disk.lastVotedSlot ?? -1) < minTowerSlot) {
      const local = !disk
        ? `there is no ${towerFile}`
        : disk.valid
          ? `${towerFile} ends at slot ${disk.lastVotedSlot ?? 'none'}, below min_tower_slot ${minTowerSlot}`
          : `${towerFile} does not verify for ${identity}`;
      return { ok: false, code: 'FAILOVER_TOWER_STORE_UNAVAILABLE', error: `${unreadable}, and ${local}` };
    }
    const detail = `kept ${towerFile} (last voted slot ${disk.lastVotedSlot}, at or above min_tower_slot ${minTowerSlot}): ${unreadable}`;
    logger.warn({ min_tower_slot: minTowerSlot, tower_last_vote_slot: disk.lastVotedSlot }, detail);
    return { ok: true, action: 'kept-disk', lastVotedSlot: disk.lastVotedSlot, detail };
  };

  return {
    backupIfChanged() {
      if (inFlight) return Promise.resolve({ status: 'in-flight' });
      inFlight = runBackup(false).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },

    async backupNext() {
      // backupIfChanged sets inFlight synchronously, so nothing starts between the check and it.
      while (inFlight) await inFlight;
      return this.backupIfChanged();
    },

    async finalBackup(quiet = false) {
      if (inFlight) await inFlight;
      return runBackup(false, quiet);
    },

    async restore(minTowerSlot?: number): Promise<RestoreReport> {
      const disk = await readDisk();
      const latest = await store.latest();
      if (!latest.ok) return restoreWithoutStore(disk, latest.error, minTowerSlot);
      if (!latest.tower) {
        if (options.dryRun)
          return {
            ok: true,
            action: 'dry-run',
            lastVotedSlot: null,
            detail: `no tower backup in ${store.describe()} (dry-run: nothing restored)`,
          };
        await putBack(disk);
        return {
          ok: false,
          code: 'FAILOVER_TOWER_NO_BACKUP',
          error: `no tower backup for ${identity} in ${store.describe()}; refusing to take the identity without one`,
        };
      }
      const { bytes, meta } = latest.tower;
      const refuse = async (code: string, error: string): Promise<RestoreReport> => {
        await putBack(disk);
        logger.error({ code }, error);
        return { ok: false, code, error };
      };
      if (sha256Hex(bytes) !== meta.sha256) {
        return refuse(
          'FAILOVER_TOWER_CHECKSUM',
          `tower backup for ${identity} does not match its sha256 ${meta.sha256}; refusing to restore`,
        );
      }
      const decoded = decodeTower(bytes, identity);
      if (!decoded.ok) return refuse(decoded.error.code, `${decoded.error.message}; refusing to restore`);
      if (meta.lastVotedSlot !== null && meta.lastVotedSlot !== decoded.lastVotedSlot) {
        return refuse(
          'FAILOVER_TOWER_METADATA',
          `tower backup says last voted slot ${meta.lastVotedSlot} but the tower holds ${decoded.lastVotedSlot}; refusing to restore`,
        );
      }
      const keepDisk = disk?.valid === true && (disk.lastVotedSlot ?? -1) > (decoded.lastVotedSlot ?? -1);
      const newest = keepDisk ? (disk?.lastVotedSlot ?? null) : decoded.lastVotedSlot;
      if (minTowerSlot !== undefined && (newest ?? -1) < minTowerSlot) {
        // The vote account voted after every tower we have: taking the identity from this one
        // could vote against lockouts it already committed to (S2). Nothing is written.
        const towerStale: TowerStale = { minTowerSlot, towerLastVoteSlot: newest };
        const error = `the newest tower for ${identity} (${keepDisk ? towerFile : `backup from ${meta.source}`}) ends at slot ${newest ?? 'none'}, below min_tower_slot ${minTowerSlot}; refusing to take the identity`;
        await putBack(disk);
        logger.error(
          { code: 'FAILOVER_TOWER_STALE', min_tower_slot: minTowerSlot, tower_last_vote_slot: newest },
          error,
        );
        return { ok: false, code: 'FAILOVER_TOWER_STALE', error, towerStale };
      }
      if (keepDisk && disk) {
        // The tower on disk already holds later votes: replacing it would forget lockouts.
        await putBack(disk);
        const detail = `kept ${towerFile}: it has last voted slot ${disk.lastVotedSlot}, newer than the backup's ${decoded.lastVotedSlot}`;
        logger.warn({ backup_source: meta.source }, detail);
        return { ok: true, action: 'kept-disk', lastVotedSlot: disk.lastVotedSlot, detail };
      }
      if (options.dryRun) {
        const detail = `would write ${towerFile} (last voted slot ${decoded.lastVotedSlot}, sha256 ${meta.sha256})`;
        logger.info({ dry_run: true }, detail);
        return { ok: true, action: 'dry-run', lastVotedSlot: decoded.lastVotedSlot, detail };
      }
      try {
        await writeFileAtomic(towerFile, bytes);
      } catch (error) {
        return refuse('FAILOVER_TOWER_WRITE', `cannot write ${towerFile}: ${(error as Error).message}`);
      }
      const detail = `restored ${towerFile} from ${meta.source} (last voted slot ${decoded.lastVotedSlot}, taken ${meta.takenAt})`;
      logger.info({ tower_sha256: meta.sha256 }, detail);
      return { ok: true, action: 'restored', lastVotedSlot: decoded.lastVotedSlot, detail };
    },

    async removeTowerFile() {
      if (options.dryRun) {
        logger.info({ dry_run: true }, `would remove ${towerFile}`);
        return { ok: true };
      }
      try {
        await rm(towerFile, { force: true });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `cannot remove ${towerFile}: ${(error as Error).message}` };
      }
    },

    state: () => ({ lastBackup, lastBackupAt, lastError, store: store.describe() }),
  };
}
