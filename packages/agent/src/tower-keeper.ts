import {
  decodeTower,
  decodeVoteHistory,
  TOWER_SET_ASIDE_REASONS,
  type Clock,
  type Logger,
  type TowerSetAsideReason,
  type TowerStale,
} from '@failover/core';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@failover/protocol';
import { sha256Hex, type BackupFailure, type TowerBackupMeta, type TowerStore } from './tower-store';

/**
 * What a keeper keeps. A tower is required for every promotion. A vote history (Alpenglow,
 * `vote_history-<identity>.bin`) is carried when the ledger has one, and TowerBFT ledgers
 * never do; but once one was backed up, or a floor asks for one, it is required like the
 * tower, since unlike a tower it cannot be rebuilt from the vote account.
 */
export interface KeptFile {
  readonly kind: 'tower' | 'vote-history';
  /** How messages name it. */
  readonly label: string;
  /** Its restore refusal codes (docs/errors.md). */
  readonly codes: {
    readonly storeUnavailable: string;
    readonly noBackup: string;
    readonly checksum: string;
    readonly metadata: string;
    readonly stale: string;
    readonly write: string;
  };
  /** The `/failover` request key of its floor. */
  readonly floor: 'min_tower_slot' | 'min_vote_history_slot';
  /** How messages name the slot backups are ordered by. */
  readonly slotName: string;
  /** Verifies the bytes as this identity's; `slot` is the one backups are ordered by. */
  decode(
    bytes: Uint8Array,
    identity: string,
  ):
    | { readonly ok: true; readonly slot: number | null }
    | { readonly ok: false; readonly code: string; readonly message: string };
}

/** The TowerBFT tower, ordered by its last voted slot. */
export const TOWER_FILE: KeptFile = {
  kind: 'tower',
  label: 'tower',
  codes: {
    storeUnavailable: 'FAILOVER_TOWER_STORE_UNAVAILABLE',
    noBackup: 'FAILOVER_TOWER_NO_BACKUP',
    checksum: 'FAILOVER_TOWER_CHECKSUM',
    metadata: 'FAILOVER_TOWER_METADATA',
    stale: 'FAILOVER_TOWER_STALE',
    write: 'FAILOVER_TOWER_WRITE',
  },
  floor: 'min_tower_slot',
  slotName: 'last voted slot',
  decode(bytes, identity) {
    const decoded = decodeTower(bytes, identity);
    return decoded.ok
      ? { ok: true, slot: decoded.lastVotedSlot }
      : { ok: false, code: decoded.error.code, message: decoded.error.message };
  },
};

/** The Alpenglow vote history, ordered by the newest slot it records. */
export const VOTE_HISTORY_FILE: KeptFile = {
  kind: 'vote-history',
  label: 'vote history',
  codes: {
    storeUnavailable: 'FAILOVER_VOTE_HISTORY_STORE_UNAVAILABLE',
    noBackup: 'FAILOVER_VOTE_HISTORY_NO_BACKUP',
    checksum: 'FAILOVER_VOTE_HISTORY_CHECKSUM',
    metadata: 'FAILOVER_VOTE_HISTORY_METADATA',
    stale: 'FAILOVER_VOTE_HISTORY_STALE',
    write: 'FAILOVER_VOTE_HISTORY_WRITE',
  },
  floor: 'min_vote_history_slot',
  slotName: 'newest slot',
  decode(bytes, identity) {
    const decoded = decodeVoteHistory(bytes, identity);
    return decoded.ok
      ? { ok: true, slot: decoded.newestSlot }
      : { ok: false, code: decoded.error.code, message: decoded.error.message };
  },
};

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
      /** `none`: a vote history that neither the store nor the ledger holds (TowerBFT). */
      readonly action: 'restored' | 'kept-disk' | 'dry-run' | 'none';
      readonly lastVotedSlot: number | null;
      readonly detail: string;
    }
  /** `towerStale` when the file ends below its floor: the answer is then a 422, not a failed step. */
  | { readonly ok: false; readonly code: string; readonly error: string; readonly towerStale?: TowerStale };

/** What `/status` shows about the tower (and the vote history beside it). */
export interface TowerState {
  /** The last backup that reached the store. */
  readonly lastBackup: TowerBackupMeta | null;
  /** When it reached the store (ms since epoch). */
  readonly lastBackupAt: number | null;
  /** The last backup failure since the last success, if any. */
  readonly lastError: { readonly message: string; readonly at: number } | null;
  readonly store: string;
  /** The vote history's own state, when the keeper carries one beside the tower. */
  readonly voteHistory?: TowerState;
  /** What the last step-down kept aside, until a restore succeeds here. */
  readonly keptAside?: {
    readonly files: readonly string[];
    readonly reason: TowerSetAsideReason;
    readonly at: number;
  } | null;
}

/** Keeps one file (a tower or a vote history): backups while active, restore before activation, removal after. */
export interface FileKeeper {
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
   * Fetches and verifies the latest backup, and `carried` when given, and installs the newest of
   * them and the tower on disk (keeping the disk's when it is the newest). With `minTowerSlot`,
   * refuses (`FAILOVER_TOWER_STALE`) before writing anything when that newest ends below the
   * slot; and when the store cannot be read, takes the newer of the disk's and the carried tower
   * if it verifies and reaches the slot (`FAILOVER_TOWER_STORE_UNAVAILABLE` otherwise).
   */
  restore(minTowerSlot?: number, carried?: CarriedFile): Promise<RestoreReport>;
  /** The bytes of the last backup the store took (or already held); null before the first. */
  lastBackedUp(): Buffer | null;
  /** The bytes of the last file a backup sent to the store, landed or not: one that verified. */
  lastSent(): Buffer | null;
  /**
   * Puts the file back as the last restore found it, when that restore wrote it: what a restore
   * installed is taken back when the other file of the pair is refused.
   */
  undoRestore(): Promise<{ readonly ok: boolean; readonly error?: string }>;
  /** Deletes the tower file so a stale tower can never be picked up later. */
  removeTowerFile(): Promise<{ readonly ok: boolean; readonly error?: string }>;
  /**
   * Renames the file to `<file>.<reason>-<UTC time>` beside it, where no restore looks, and
   * keeps the newest {@link KEPT_ASIDE_LIMIT} of those; the rename is made durable (the
   * directory is fsynced). Nothing to do when there is no file.
   */
  setAsideTowerFile(reason: TowerSetAsideReason): Promise<SetAsideReport>;
  state(): TowerState;
}

/** What {@link FileKeeper.setAsideTowerFile} did: `keptAs` names every file renamed aside. */
export type SetAsideReport =
  | { readonly ok: true; readonly keptAs: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly keptAs: readonly string[] };

/**
 * A file another node's demotion backed up, brought by the manager with the promotion: one more
 * candidate for the restore, verified like a backup from the store.
 */
export interface CarriedFile {
  readonly bytes: Buffer;
  /** The node it came from, for the logs. */
  readonly from: string;
}

/** The files of a demotion's final backup, as a promotion elsewhere may be given them. */
export interface FinalFiles {
  readonly tower: Buffer;
  readonly voteHistory: Buffer | null;
}

/** What a promotion was brought from the demoted node: its final tower, and vote history when it had one. */
export interface CarriedFiles {
  readonly tower: CarriedFile;
  readonly voteHistory?: CarriedFile;
}

/** How many files set aside a keeper keeps per kind; older ones are deleted when another is set aside. */
export const KEPT_ASIDE_LIMIT = 5;

/** Keeps what a promotion needs from the ledger: the tower, and the vote history when there is one. */
export interface TowerKeeper extends Omit<FileKeeper, 'undoRestore' | 'lastBackedUp' | 'lastSent' | 'restore'> {
  /**
   * Restores the tower, then the vote history (see {@link KeptFile}), each against its own
   * floor, each weighing the file `carried` brings for it.
   */
  restore(minTowerSlot?: number, minVoteHistorySlot?: number, carried?: CarriedFiles): Promise<RestoreReport>;
  /**
   * The files of the last final backup, tower and vote history, while nothing was restored
   * since: the last votes of this node's last time as the holder. What the store took, or, when
   * the store could not be reached, the files the backup sent, which the demotion then keeps on
   * disk. Null when there is none: no final backup, a file that did not verify, or a store that
   * refused it (fenced: another holder's tower is the newer one).
   */
  finalTower(): FinalFiles | null;
}

/** Options of {@link createTowerKeeper}. */
export interface TowerKeeperOptions {
  /** Full path of the kept file (`tower_file_path` with placeholders resolved, or the vote history's). */
  readonly towerFile: string;
  /** What the file is. @default TOWER_FILE */
  readonly file?: KeptFile;
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

/** A carried file that verified, and its slot. */
interface Brought {
  readonly bytes: Buffer;
  readonly slot: number | null;
  readonly from: string;
}

interface DiskTower {
  readonly bytes: Buffer;
  readonly lastVotedSlot: number | null;
  readonly valid: boolean;
}

/** Creates the keeper of one file (the tower, unless `file` says otherwise) for one staked identity and one store. */
export function createTowerKeeper(options: TowerKeeperOptions): FileKeeper {
  const { logger, store, towerFile, identity } = options;
  const file = options.file ?? TOWER_FILE;
  const { label, codes, floor, slotName } = file;
  const { clock } = options;
  let inFlight: Promise<BackupReport> | undefined;
  let lastBackup: TowerBackupMeta | null = null;
  let lastBackupBytes: Buffer | null = null;
  let lastSentBytes: Buffer | null = null;
  let lastBackupAt: number | null = null;
  let lastError: TowerState['lastError'] = null;
  /** The file as the last restore found it, while what that restore wrote is in place. */
  let replaced: { readonly disk: DiskTower | undefined } | undefined;

  const readBytes = async (): Promise<Buffer | undefined> => {
    try {
      return await readFile(towerFile);
    } catch {
      return undefined;
    }
  };
  const decodeDisk = (bytes: Buffer): DiskTower => {
    const decoded = file.decode(bytes, identity);
    return { bytes, valid: decoded.ok, lastVotedSlot: decoded.ok ? decoded.slot : null };
  };
  const readDisk = async (): Promise<DiskTower | undefined> => {
    const bytes = await readBytes();
    return bytes === undefined ? undefined : decodeDisk(bytes);
  };

  const runBackup = async (force: boolean, quiet = false): Promise<BackupReport> => {
    const bytes = await readBytes();
    if (!bytes) return { status: 'no-tower' };
    const sha256 = sha256Hex(bytes);
    // The manager's every /status asks for a backup: an unchanged file, verified when it was
    // backed up, is not verified again.
    if (!force && lastBackup?.sha256 === sha256) return { status: 'unchanged' };
    const disk = decodeDisk(bytes);
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
        { sha256, slot: disk.lastVotedSlot, dry_run: true },
        `would back up ${towerFile} to ${store.describe()}`,
      );
      return { status: 'dry-run' };
    }
    lastSentBytes = disk.bytes;
    const outcome = await store.backup(disk.bytes, meta);
    if (!outcome.ok) {
      const failed = fail(`${label} backup to ${store.describe()} failed (${outcome.reason}): ${outcome.error}`, quiet);
      if (outcome.reason === 'fenced') options.onFenced?.(outcome.error);
      return { ...failed, reason: outcome.reason };
    }
    lastBackup = meta;
    lastBackupBytes = disk.bytes;
    lastBackupAt = clock.now();
    if (lastError) logger.info({ store: store.describe() }, `${label} backups resumed`);
    lastError = null;
    logger.debug({ slot: meta.lastVotedSlot, sha256 }, `${label} backed up`);
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

  /** A carried file that verifies for this identity, with its slot; undefined, and a warning, when it does not. */
  const verifyCarried = (carried: CarriedFile | undefined): Brought | undefined => {
    if (carried === undefined) return undefined;
    const decoded = file.decode(carried.bytes, identity);
    if (decoded.ok) return { bytes: carried.bytes, slot: decoded.slot, from: carried.from };
    logger.warn(
      { from: carried.from, code: decoded.code },
      `the ${label} carried from ${carried.from} does not verify (${decoded.message}); not weighed`,
    );
    return undefined;
  };

  const refuse = async (disk: DiskTower | undefined, code: string, error: string): Promise<RestoreReport> => {
    await putBack(disk);
    logger.error({ code }, error);
    return { ok: false, code, error };
  };

  /** Writes the carried file, the newest found: what the other node's demotion backed up last. */
  const installCarried = async (brought: Brought, disk: DiskTower | undefined, why: string): Promise<RestoreReport> => {
    const what = `the final ${label} carried from ${brought.from} (${slotName} ${brought.slot ?? 'none'})`;
    if (options.dryRun) {
      const detail = `would write ${towerFile} from ${what}: ${why}`;
      logger.info({ dry_run: true }, detail);
      return { ok: true, action: 'dry-run', lastVotedSlot: brought.slot, detail };
    }
    try {
      await writeFileAtomic(towerFile, brought.bytes);
    } catch (error) {
      return refuse(disk, codes.write, `cannot write ${towerFile}: ${(error as Error).message}`);
    }
    replaced = { disk };
    const detail = `restored ${towerFile} from ${what}: ${why}`;
    logger.warn({ from: brought.from, slot: brought.slot }, detail);
    return { ok: true, action: 'restored', lastVotedSlot: brought.slot, detail };
  };

  /**
   * The store cannot be read (or, for a vote history, holds none): the newest of the file on
   * disk and the file carried from the demoted node is taken when it verifies and reaches the
   * floor. The vote account's last vote is then the proof that no backup can hold a later vote
   * (the same proof a restored backup must meet). So a planned switchover that ran into an etcd
   * outage completes with the tower the old active's demotion carried over, or hands the
   * identity back to the old active, whose tower stayed on disk when its final backup failed,
   * instead of leaving nobody voting. Without a floor nothing says how old either file is, so
   * the restore is refused. A vote history that neither the store nor the ledger holds, with no
   * floor asking for one, is nothing to carry: a TowerBFT ledger.
   */
  const restoreWithoutStore = async (
    disk: DiskTower | undefined,
    brought: Brought | undefined,
    problem: string,
    refusal: string,
    minSlot: number | undefined,
  ): Promise<RestoreReport> => {
    await putBack(disk);
    if (file.kind === 'vote-history' && !disk && !brought && minSlot === undefined) {
      return { ok: true, action: 'none', lastVotedSlot: null, detail: `${problem}, and there is no ${towerFile}` };
    }
    if (minSlot === undefined) {
      return { ok: false, code: refusal, error: `${problem}; no ${floor} to judge ${towerFile} by` };
    }
    const diskSlot = disk?.valid === true ? (disk.lastVotedSlot ?? -1) : undefined;
    if (brought !== undefined && (brought.slot ?? -1) >= minSlot && (brought.slot ?? -1) > (diskSlot ?? -1)) {
      return installCarried(brought, disk, `at or above ${floor} ${minSlot}; ${problem}`);
    }
    if (diskSlot === undefined || diskSlot < minSlot) {
      const local = !disk
        ? `there is no ${towerFile}`
        : disk.valid
          ? `${towerFile} ends at slot ${disk.lastVotedSlot ?? 'none'}, below ${floor} ${minSlot}`
          : `${towerFile} does not verify for ${identity}`;
      const carriedToo =
        brought === undefined
          ? ''
          : `, and the ${label} carried from ${brought.from} ends at slot ${brought.slot ?? 'none'}, below ${floor} ${minSlot}`;
      return { ok: false, code: refusal, error: `${problem}, and ${local}${carriedToo}` };
    }
    const detail = `kept ${towerFile} (${slotName} ${diskSlot}, at or above ${floor} ${minSlot}): ${problem}`;
    logger.warn({ [floor]: minSlot, slot: diskSlot }, detail);
    return { ok: true, action: 'kept-disk', lastVotedSlot: diskSlot, detail };
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

    lastBackedUp: () => lastBackupBytes,
    lastSent: () => lastSentBytes,

    async restore(minSlot?: number, carried?: CarriedFile): Promise<RestoreReport> {
      replaced = undefined;
      const disk = await readDisk();
      const brought = verifyCarried(carried);
      const latest = await store.latest();
      if (!latest.ok) {
        const problem = `cannot read the ${label} backup from ${store.describe()}: ${latest.error}`;
        return restoreWithoutStore(disk, brought, problem, codes.storeUnavailable, minSlot);
      }
      if (!latest.tower) {
        if (options.dryRun && brought === undefined)
          return {
            ok: true,
            action: 'dry-run',
            lastVotedSlot: null,
            detail: `no ${label} backup in ${store.describe()} (dry-run: nothing restored)`,
          };
        if (file.kind === 'vote-history' || brought !== undefined) {
          const problem = `no ${label} backup for ${identity} in ${store.describe()}`;
          return restoreWithoutStore(disk, brought, problem, codes.noBackup, minSlot);
        }
        await putBack(disk);
        return {
          ok: false,
          code: codes.noBackup,
          error: `no ${label} backup for ${identity} in ${store.describe()}; refusing to take the identity without one`,
        };
      }
      const { bytes, meta } = latest.tower;
      if (sha256Hex(bytes) !== meta.sha256) {
        return refuse(
          disk,
          codes.checksum,
          `${label} backup for ${identity} does not match its sha256 ${meta.sha256}; refusing to restore`,
        );
      }
      const decoded = file.decode(bytes, identity);
      if (!decoded.ok) return refuse(disk, decoded.code, `${decoded.message}; refusing to restore`);
      if (meta.lastVotedSlot !== null && meta.lastVotedSlot !== decoded.slot) {
        return refuse(
          disk,
          codes.metadata,
          `${label} backup says ${slotName} ${meta.lastVotedSlot} but the ${label} holds ${decoded.slot}; refusing to restore`,
        );
      }
      // The newest of the three wins; on a tie the one already in place, then the store's.
      const backupSlot = decoded.slot ?? -1;
      const diskSlot = disk?.valid === true ? (disk.lastVotedSlot ?? -1) : -1;
      const keepDisk = disk?.valid === true && diskSlot > backupSlot;
      const carriedWins = brought !== undefined && (brought.slot ?? -1) > Math.max(backupSlot, diskSlot);
      const newest = carriedWins ? brought.slot : keepDisk ? (disk?.lastVotedSlot ?? null) : decoded.slot;
      if (minSlot !== undefined && (newest ?? -1) < minSlot) {
        // The identity voted after every copy we have: taking it from this one could vote
        // against what it already committed to (S2). Nothing is written.
        const which = carriedWins
          ? `the ${label} carried from ${brought.from}`
          : keepDisk
            ? towerFile
            : `backup from ${meta.source}`;
        const error = `the newest ${label} for ${identity} (${which}) ends at slot ${newest ?? 'none'}, below ${floor} ${minSlot}; refusing to take the identity`;
        await putBack(disk);
        logger.error({ code: codes.stale, [floor]: minSlot, slot: newest }, error);
        const towerStale: TowerStale = {
          ...(file.kind === 'vote-history' ? { file: 'vote-history' as const } : {}),
          minTowerSlot: minSlot,
          towerLastVoteSlot: newest,
        };
        return { ok: false, code: codes.stale, error, towerStale };
      }
      if (carriedWins) {
        return installCarried(brought, disk, `newer than the backup from ${meta.source} (${slotName} ${decoded.slot})`);
      }
      if (keepDisk && disk) {
        // The file on disk already holds later votes: replacing it would forget them.
        await putBack(disk);
        const detail = `kept ${towerFile}: it has ${slotName} ${disk.lastVotedSlot}, newer than the backup's ${decoded.slot}`;
        logger.warn({ backup_source: meta.source }, detail);
        return { ok: true, action: 'kept-disk', lastVotedSlot: disk.lastVotedSlot, detail };
      }
      if (options.dryRun) {
        const detail = `would write ${towerFile} (${slotName} ${decoded.slot}, sha256 ${meta.sha256})`;
        logger.info({ dry_run: true }, detail);
        return { ok: true, action: 'dry-run', lastVotedSlot: decoded.slot, detail };
      }
      try {
        await writeFileAtomic(towerFile, bytes);
      } catch (error) {
        return refuse(disk, codes.write, `cannot write ${towerFile}: ${(error as Error).message}`);
      }
      replaced = { disk };
      const detail = `restored ${towerFile} from ${meta.source} (${slotName} ${decoded.slot}, taken ${meta.takenAt})`;
      logger.info({ sha256: meta.sha256 }, detail);
      return { ok: true, action: 'restored', lastVotedSlot: decoded.slot, detail };
    },

    async undoRestore() {
      const before = replaced;
      replaced = undefined;
      if (before === undefined) return { ok: true };
      try {
        if (before.disk) await writeFileAtomic(towerFile, before.disk.bytes);
        else await rm(towerFile, { force: true });
      } catch (error) {
        const message = `cannot put ${towerFile} back as it was before the restore: ${(error as Error).message}`;
        logger.error({}, message);
        return { ok: false, error: message };
      }
      logger.warn(
        {},
        before.disk ? `put back ${towerFile} as it was before the restore` : `removed the restored ${towerFile}`,
      );
      return { ok: true };
    },

    async setAsideTowerFile(reason): Promise<SetAsideReport> {
      const keptAs = `${towerFile}.${reason}-${new Date(clock.now()).toISOString().replace(/[-:.]/g, '')}`;
      if (options.dryRun) {
        logger.info({ dry_run: true }, `would rename ${towerFile} to ${keptAs}`);
        return { ok: true, keptAs: [] };
      }
      try {
        await rename(towerFile, keptAs);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, keptAs: [] };
        return { ok: false, error: `cannot rename ${towerFile} to ${keptAs}: ${(error as Error).message}`, keptAs: [] };
      }
      try {
        await syncDirectory(path.dirname(towerFile));
        await pruneKeptAside(towerFile);
      } catch (error) {
        return {
          ok: false,
          error: `kept ${towerFile} as ${keptAs}, but ${(error as Error).message}`,
          keptAs: [keptAs],
        };
      }
      return { ok: true, keptAs: [keptAs] };
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

/**
 * The tower and the vote history kept as one: every backup covers both, a restore installs both
 * or neither (the tower first, taken back when the vote history is refused), and a demotion removes both or sets both aside. A vote history that is not in
 * the ledger has nothing to back up ('no-tower' from its keeper), which is every TowerBFT
 * cluster: the answers are then the tower's alone, as before vote histories existed.
 */
export function combineKeepers(tower: FileKeeper, voteHistory: FileKeeper, clock: Clock): TowerKeeper {
  let keptAside: TowerState['keptAside'] = null;
  let finalTower: FinalFiles | null = null;
  const both = async (run: (keeper: FileKeeper) => Promise<BackupReport>): Promise<BackupReport> => {
    const [towerReport, historyReport] = await Promise.all([run(tower), run(voteHistory)]);
    return pairReport(towerReport, historyReport);
  };
  return {
    backupIfChanged: () => both((keeper) => keeper.backupIfChanged()),
    backupNext: () => both((keeper) => keeper.backupNext()),
    async finalBackup(quiet) {
      finalTower = null;
      const [towerReport, historyReport] = await Promise.all([
        tower.finalBackup(quiet),
        voteHistory.finalBackup(quiet),
      ]);
      const towerBytes = carriable(tower, towerReport);
      const historyBytes = historyReport.status === 'no-tower' ? null : carriable(voteHistory, historyReport);
      if (towerBytes !== undefined && historyBytes !== undefined) {
        finalTower = { tower: towerBytes, voteHistory: historyBytes };
      }
      return pairReport(towerReport, historyReport);
    },

    finalTower: () => finalTower,

    async restore(minTowerSlot, minVoteHistorySlot, carried): Promise<RestoreReport> {
      finalTower = null;
      const towerReport = await tower.restore(minTowerSlot, carried?.tower);
      if (!towerReport.ok) return towerReport;
      const historyReport = await voteHistory.restore(minVoteHistorySlot, carried?.voteHistory);
      if (!historyReport.ok) {
        // The step fails before set-identity; the ledger is left as it was, not holding a tower
        // restored for a promotion that did not happen.
        const undone = await tower.undoRestore();
        return undone.ok ? historyReport : { ...historyReport, error: `${historyReport.error}; ${undone.error}` };
      }
      keptAside = null;
      if (historyReport.action === 'none') return towerReport;
      return { ...towerReport, detail: `${towerReport.detail}; ${historyReport.detail}` };
    },

    async removeTowerFile() {
      const removed = await Promise.all([tower.removeTowerFile(), voteHistory.removeTowerFile()]);
      const errors = removed.flatMap((r) => (r.ok ? [] : [r.error ?? 'cannot remove']));
      return errors.length === 0 ? { ok: true } : { ok: false, error: errors.join('; ') };
    },

    async setAsideTowerFile(reason): Promise<SetAsideReport> {
      finalTower = null;
      const reports = await Promise.all([tower.setAsideTowerFile(reason), voteHistory.setAsideTowerFile(reason)]);
      const keptAs = reports.flatMap((r) => r.keptAs);
      const errors = reports.flatMap((r) => (r.ok ? [] : [r.error]));
      if (keptAs.length > 0) keptAside = { files: keptAs, reason, at: clock.now() };
      return errors.length === 0 ? { ok: true, keptAs } : { ok: false, error: errors.join('; '), keptAs };
    },

    state: () => ({ ...tower.state(), voteHistory: voteHistory.state(), keptAside }),
  };
}

/** One report for a pair's backup: the tower's, unless only the vote history's failed. */
function pairReport(towerReport: BackupReport, historyReport: BackupReport): BackupReport {
  return towerReport.status !== 'failed' && historyReport.status === 'failed' ? historyReport : towerReport;
}

/**
 * What of a final backup may be carried to the next holder: the file the store now holds, or
 * the one it could not be sent (the store unreachable, or its command failing), which the
 * demotion keeps on disk. Nothing when the file did not verify, or the store refused it as
 * stale or fenced: a newer tower exists elsewhere.
 */
function carriable(keeper: FileKeeper, report: BackupReport): Buffer | undefined {
  if (report.status === 'stored' || report.status === 'unchanged') return keeper.lastBackedUp() ?? undefined;
  if (report.status === 'failed' && (report.reason === 'unavailable' || report.reason === 'failed'))
    return keeper.lastSent() ?? undefined;
  return undefined;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Deletes all but the newest {@link KEPT_ASIDE_LIMIT} files set aside from `file`, ordered by the time in their names. */
async function pruneKeptAside(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const stamped = (await readdir(dir)).flatMap((name) => {
    const suffix = name.startsWith(`${base}.`) ? name.slice(base.length + 1) : '';
    const match = /^([a-z-]+)-(\d{8}T\d{9}Z)$/.exec(suffix);
    const kept = match !== null && (TOWER_SET_ASIDE_REASONS as readonly string[]).includes(match[1] as string);
    return kept ? [{ name, at: match[2] as string }] : [];
  });
  const old = stamped.sort((x, y) => y.at.localeCompare(x.at)).slice(KEPT_ASIDE_LIMIT);
  if (old.length === 0) return;
  await Promise.all(old.map(({ name }) => rm(path.join(dir, name), { force: true })));
  await syncDirectory(dir);
}
