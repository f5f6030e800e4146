import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@failover/protocol';
import {
  isNotOlder,
  parseMeta,
  serializeMeta,
  type BackupOutcome,
  type KeptFileKind,
  type LatestOutcome,
  type TowerBackupMeta,
  type TowerStore,
} from './tower-store';

/** Options of {@link createDirectoryTowerStore}. */
export interface DirectoryTowerStoreOptions {
  /** Directory holding the backups (created with mode 0700). */
  readonly directory: string;
  /** Staked identity the backups belong to; one backup file per identity. */
  readonly identity: string;
  /** The file carried: `tower-backup-<identity>.json` or `vote-history-backup-<identity>.json`. @default 'tower' */
  readonly file?: KeptFileKind;
}

/**
 * The embedded default store: one file per staked identity in a local directory, holding the
 * metadata and the bytes together so that one atomic rename replaces both.
 */
export function createDirectoryTowerStore(options: DirectoryTowerStoreOptions): TowerStore {
  const file = path.join(options.directory, `${options.file ?? 'tower'}-backup-${options.identity}.json`);

  const read = async (): Promise<LatestOutcome> => {
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, tower: null };
      return { ok: false, error: `cannot read ${file}: ${(error as Error).message}` };
    }
    let parsed: { meta?: unknown; bytes_base64?: unknown };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      return { ok: false, error: `${file} is not valid JSON` };
    }
    const meta = parseMeta(parsed.meta);
    if (!meta || typeof parsed.bytes_base64 !== 'string') return { ok: false, error: `${file} is not a backup` };
    return { ok: true, tower: { meta, bytes: Buffer.from(parsed.bytes_base64, 'base64') } };
  };

  return {
    kind: 'directory',
    describe: () => `directory ${options.directory}`,
    latest: read,
    // One host's directory: no other agent writes it, so there is nothing to fence on.
    readRevision: () => Promise.resolve({ ok: true }),
    async backup(bytes: Buffer, meta: TowerBackupMeta): Promise<BackupOutcome> {
      const current = await read();
      if (current.ok && current.tower && !isNotOlder(meta.lastVotedSlot, current.tower.meta.lastVotedSlot)) {
        return {
          ok: false,
          reason: 'stale',
          error: `stored backup has slot ${current.tower.meta.lastVotedSlot}, newer than ${meta.lastVotedSlot}`,
        };
      }
      try {
        await mkdir(options.directory, { recursive: true, mode: 0o700 });
        const body = JSON.stringify({ meta: serializeMeta(meta), bytes_base64: bytes.toString('base64') });
        await writeFileAtomic(file, Buffer.from(body));
      } catch (error) {
        return { ok: false, reason: 'unavailable', error: `cannot write ${file}: ${(error as Error).message}` };
      }
      return { ok: true, meta };
    },
    close: async () => undefined,
  };
}
