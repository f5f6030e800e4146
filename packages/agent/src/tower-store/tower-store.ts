import { createHash } from 'node:crypto';

/**
 * What travels with a backup. A store carries one file: the tower (`tower-1_9-<pubkey>.bin`),
 * or, in a second store of the same kind, Alpenglow's vote history (`vote_history-<pubkey>.bin`).
 */
export interface TowerBackupMeta {
  /** File name inside the ledger directory, e.g. `tower-1_9-<pubkey>.bin`. */
  readonly fileName: string;
  /** Lowercase hex sha256 of the bytes. */
  readonly sha256: string;
  /**
   * Last voted slot in the tower (a vote history's newest slot), null for a tower without
   * votes or an opaque file. Backups are ordered by it.
   */
  readonly lastVotedSlot: number | null;
  /**
   * Who took the backup: the agent's node name (`node_name`, or the one kept in its state
   * directory), stable across restarts and never shared by two agents. The etcd store tells its
   * own writes from another holder's by it.
   */
  readonly source: string;
  /** When the backup was taken, ISO 8601. */
  readonly takenAt: string;
}

/** A backup as a store returns it. */
export interface StoredTower {
  readonly bytes: Buffer;
  readonly meta: TowerBackupMeta;
}

/** Why a backup was not stored. */
export type BackupFailure =
  /** The store holds a tower of this agent's own with a higher last voted slot; an older one never replaces it. */
  | 'stale'
  /**
   * Another agent wrote the tower since this one last read or wrote it, or holds a newer one:
   * another machine was given the identity, and this one must step down.
   */
  | 'fenced'
  /** The store could not be reached or did not answer in time. */
  | 'unavailable'
  /** The configured backup command failed. */
  | 'failed';

/** The outcome of {@link TowerStore.backup}. */
export type BackupOutcome =
  | { readonly ok: true; readonly meta: TowerBackupMeta }
  | { readonly ok: false; readonly reason: BackupFailure; readonly error: string };

/** The outcome of {@link TowerStore.latest}; `tower: null` means the store holds none. */
export type LatestOutcome =
  { readonly ok: true; readonly tower: StoredTower | null } | { readonly ok: false; readonly error: string };

/** The outcome of {@link TowerStore.readRevision}. */
export type RevisionOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Which file a store carries. */
export type KeptFileKind = 'tower' | 'vote-history';

/** Where tower backups live; the agent verifies whatever comes back before using it. */
export interface TowerStore {
  /** `directory`, `etcd` or `command`. */
  readonly kind: 'directory' | 'etcd' | 'command';
  /** Stores a backup; never replaces a newer one. */
  backup(bytes: Buffer, meta: TowerBackupMeta): Promise<BackupOutcome>;
  /** The most recent backup, unverified. */
  latest(): Promise<LatestOutcome>;
  /**
   * Notes what the store holds now, at the agent's start, so that a backup another agent writes
   * from here on fences this agent's next one. A store that cannot fence has nothing to read.
   */
  readRevision(): Promise<RevisionOutcome>;
  /** Where the backups go, for logs and `/status` (no credentials). */
  describe(): string;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Lowercase hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when a backup of `incoming` slot may replace one of `stored` slot. */
export function isNotOlder(incoming: number | null, stored: number | null): boolean {
  return (incoming ?? -1) >= (stored ?? -1);
}

/** Parses backup metadata written by any store; undefined when it is not one. */
export function parseMeta(value: unknown): TowerBackupMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const slot = v.last_voted_slot;
  if (
    typeof v.file_name !== 'string' ||
    typeof v.sha256 !== 'string' ||
    typeof v.source !== 'string' ||
    typeof v.taken_at !== 'string' ||
    !(slot === null || (typeof slot === 'number' && Number.isSafeInteger(slot)))
  ) {
    return undefined;
  }
  return { fileName: v.file_name, sha256: v.sha256, lastVotedSlot: slot, source: v.source, takenAt: v.taken_at };
}

/** Backup metadata in its stored (snake_case, like every other wire shape) form. */
export function serializeMeta(meta: TowerBackupMeta): Record<string, unknown> {
  return {
    file_name: meta.fileName,
    sha256: meta.sha256,
    last_voted_slot: meta.lastVotedSlot,
    source: meta.source,
    taken_at: meta.takenAt,
  };
}
