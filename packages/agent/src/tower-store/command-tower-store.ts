import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRunner } from '../command-runner';
import {
  sha256Hex,
  type BackupOutcome,
  type LatestOutcome,
  type TowerBackupMeta,
  type TowerStore,
} from './tower-store';

/** Options of {@link createCommandTowerStore}. */
export interface CommandTowerStoreOptions {
  /** The Go tool's `tower_backup_command`; reads the tower from the ledger itself. */
  readonly backupCommand: string;
  /** The Go tool's `tower_restore_command`; writes the tower into the ledger itself. */
  readonly restoreCommand: string;
  /** Where the restore command leaves the tower (the config's `tower_file_path`, resolved). */
  readonly towerFile: string;
  readonly runner: CommandRunner;
  /**
   * The config keys of the two commands, for logs and errors: the vote history's store names
   * `vote_history_backup_command` / `vote_history_restore_command`. @default the tower's
   */
  readonly keys?: { readonly backup: string; readonly restore: string };
}

/**
 * The Go tool's way: the operator's own shell commands move the tower (often through
 * `etcdctl` and base64). The agent cannot see inside the store, so `latest()` runs the restore
 * command and reads back what it wrote; the caller verifies it and puts back the previous
 * file when it is refused.
 */
export function createCommandTowerStore(options: CommandTowerStoreOptions): TowerStore {
  const keys = options.keys ?? { backup: 'tower_backup_command', restore: 'tower_restore_command' };
  return {
    kind: 'command',
    describe: () => `${keys.backup} / ${keys.restore}`,

    async backup(_bytes: Buffer, meta: TowerBackupMeta): Promise<BackupOutcome> {
      const result = await options.runner.run(keys.backup, options.backupCommand);
      if (!result.ok) {
        const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode}`;
        return {
          ok: false,
          reason: 'failed',
          error: `${keys.backup} ${why}: ${result.stderr.trim().slice(0, 300)}`,
        };
      }
      return { ok: true, meta };
    },

    // The commands carry bytes only; they say nothing about who wrote last.
    readRevision: () => Promise.resolve({ ok: true }),

    async latest(): Promise<LatestOutcome> {
      const result = await options.runner.run(keys.restore, options.restoreCommand);
      if (!result.ok) {
        const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode}`;
        return { ok: false, error: `${keys.restore} ${why}: ${result.stderr.trim().slice(0, 300)}` };
      }
      if (result.dryRun) return { ok: true, tower: null };
      let bytes: Buffer;
      try {
        bytes = await readFile(options.towerFile);
      } catch (error) {
        return {
          ok: false,
          error: `${keys.restore} left no readable ${options.towerFile}: ${(error as Error).message}`,
        };
      }
      // An empty file is what `etcdctl get … | base64 -d >` leaves when the key is missing.
      if (bytes.length === 0) return { ok: true, tower: null };
      const meta: TowerBackupMeta = {
        fileName: path.basename(options.towerFile),
        sha256: sha256Hex(bytes),
        lastVotedSlot: null,
        source: keys.restore,
        takenAt: new Date().toISOString(),
      };
      return { ok: true, tower: { bytes, meta } };
    },

    close: async () => undefined,
  };
}

/**
 * The vote history's store of a `command` config without `vote_history_backup_command`: a Go
 * config, whose TowerBFT ledger has no vote history to carry. Nothing was ever stored, and a
 * vote history that does appear fails every backup loudly instead of going uncarried in silence.
 */
export function createUncarriedVoteHistoryStore(): TowerStore {
  const missing = 'vote_history_backup_command / vote_history_restore_command are not set';
  return {
    kind: 'command',
    describe: () => `no vote history store (${missing})`,
    backup: () =>
      Promise.resolve({
        ok: false,
        reason: 'failed',
        error: `the ledger has a vote history but ${missing}; it is not carried to the other validator`,
      }),
    latest: () => Promise.resolve({ ok: true, tower: null }),
    readRevision: () => Promise.resolve({ ok: true }),
    close: async () => undefined,
  };
}
