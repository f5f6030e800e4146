import type { Clock, Logger, TimerHandle } from '@failover/core';
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** Options of {@link createTowerWatcher}. */
export interface TowerWatcherOptions {
  /** The tower file; its directory is watched. */
  readonly towerFile: string;
  /** Backups run only while this holds (the node is active). */
  readonly isActive: () => boolean;
  /** One backup; the keeper skips it when the file is unchanged or a backup is in flight. */
  readonly backup: () => Promise<unknown>;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Period of the `stat` fallback, for file systems where `fs.watch` misses events (NFS,
   * some overlay set-ups) or cannot watch at all.
   * @default 150
   */
  readonly pollMs?: number;
}

/** Starts and stops the watching. */
export interface TowerWatcher {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Backs the tower up as soon as it changes while the node is active, instead of only on the
 * manager's next ping: after an abrupt host loss the newest backup then trails the last vote by
 * about one backup's duration, not one heartbeat, and a promotion with `min_tower_slot` is not
 * refused for want of a few slots. agave replaces the tower by renaming a temporary file into
 * place (core/src/consensus/tower_storage.rs), which `fs.watch` on the directory reports under
 * the tower's name. A change seen while a backup runs is backed up right after it, so the
 * last vote before a loss is never left behind by the "one in flight" rule.
 */
export function createTowerWatcher(options: TowerWatcherOptions): TowerWatcher {
  const { towerFile, clock, logger } = options;
  const name = path.basename(towerFile);
  const pollMs = options.pollMs ?? 150;
  let watcher: FSWatcher | undefined;
  let timer: TimerHandle | undefined;
  let running = false;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let lastSeen = '';

  const trigger = (): void => {
    if (!running || !options.isActive()) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = (async () => {
      do {
        again = false;
        // The keeper reports failed backups itself; a throw here is a bug, and a silent one
        // would leave the newest votes out of the store without a word (S2).
        await options
          .backup()
          .catch((error: unknown) =>
            logger.error(
              { error: error instanceof Error ? error.message : String(error) },
              'tower backup on change threw; the store may lack the newest votes',
            ),
          );
      } while (again && running && options.isActive());
    })().finally(() => {
      inFlight = undefined;
    });
  };

  const poll = async (): Promise<void> => {
    const seen = await stat(towerFile).then(
      (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
      () => 'absent',
    );
    if (seen !== lastSeen) {
      lastSeen = seen;
      if (seen !== 'absent') trigger();
    }
    if (running) timer = clock.setTimeout(() => void poll(), pollMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      try {
        watcher = watch(path.dirname(towerFile), { persistent: false }, (_event, file) => {
          if (file === name) trigger();
        });
        watcher.on('error', (error) =>
          logger.warn(
            { error: error.message },
            `cannot watch ${path.dirname(towerFile)}; tower changes are found by polling`,
          ),
        );
      } catch (error) {
        logger.warn(
          { error: (error as Error).message },
          `cannot watch ${path.dirname(towerFile)}; tower changes are found by polling`,
        );
      }
      void poll();
    },
    async stop() {
      running = false;
      watcher?.close();
      watcher = undefined;
      if (timer !== undefined) clock.clearTimeout(timer);
      await inFlight;
    },
  };
}
