import type { Clock, Logger } from '@failover/core';
import type { AgentConfig, EtcdClientSecurity } from '@failover/protocol';
import type { CommandRunner } from './command-runner';
import { createFinalBackupRetry, type FinalBackupRetry } from './final-backup-retry';
import type { RoleLink } from './role-link';
import {
  TOWER_FILE,
  VOTE_HISTORY_FILE,
  combineKeepers,
  createTowerKeeper,
  type FileKeeper,
  type KeptFile,
  type TowerKeeper,
} from './tower-keeper';
import {
  createCommandTowerStore,
  createDirectoryTowerStore,
  createEtcdTowerStore,
  createUncarriedVoteHistoryStore,
  type KeptFileKind,
  type TowerStore,
} from './tower-store';

/** What {@link createTowerParts} builds on. */
export interface TowerPartsOptions {
  readonly config: AgentConfig;
  /** The staked identity, checked as a pubkey. */
  readonly identity: string;
  /** The agent's node name: who took each backup, and how the etcd store tells its own writes from another holder's. */
  readonly node: string;
  /** Runs the `command` store's backup and restore commands. */
  readonly runner: CommandRunner;
  /** The role runner, attached once it is built: fences go to it, and retries read its role. */
  readonly roleLink: RoleLink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** TLS and user of the `etcd` store, loaded at start (`loadEtcdAccess`). @default plain text, no user */
  readonly etcdSecurity?: EtcdClientSecurity;
}

/**
 * The tower side of one agent: where backups go, who takes them, and the retry of a failed
 * final one. The vote history has its own store of the same kind and its own keeper; `keeper`
 * carries both.
 */
export interface TowerParts {
  /** The tower's store. */
  readonly store: TowerStore;
  /** The vote history's store, the same kind as the tower's. */
  readonly voteHistoryStore: TowerStore;
  /** Tower and vote history together: what the role steps, the app and `/status` use. */
  readonly keeper: TowerKeeper;
  /** The vote history's own keeper, for the watcher of its file. */
  readonly voteHistoryKeeper: FileKeeper;
  readonly finalBackupRetry: FinalBackupRetry;
}

/** Builds the configured stores, the keepers of the tower and vote-history files, and the final-backup retry. */
export function createTowerParts(options: TowerPartsOptions): TowerParts {
  const { config, identity, roleLink, clock, logger } = options;
  const etcdSecurity = options.etcdSecurity ?? {};
  const store = createStore(config, identity, options.runner, 'tower', etcdSecurity);
  const voteHistoryStore = createStore(config, identity, options.runner, 'vote-history', etcdSecurity);
  const keeperOf = (towerStore: TowerStore, file: KeptFile, path: string): FileKeeper =>
    createTowerKeeper({
      towerFile: path,
      file,
      identity,
      store: towerStore,
      source: options.node,
      dryRun: config.dryRun,
      logger,
      clock,
      onFenced: (detail) => roleLink.towerFenced(detail),
    });
  const voteHistoryKeeper = keeperOf(voteHistoryStore, VOTE_HISTORY_FILE, config.voteHistoryFilePath);
  const keeper = combineKeepers(keeperOf(store, TOWER_FILE, config.towerFilePath), voteHistoryKeeper, clock);
  const finalBackupRetry = createFinalBackupRetry({ keeper, role: () => roleLink.role(), clock, logger });
  return { store, voteHistoryStore, keeper, voteHistoryKeeper, finalBackupRetry };
}

function createStore(
  config: AgentConfig,
  identity: string,
  runner: CommandRunner,
  file: KeptFileKind,
  etcdSecurity: EtcdClientSecurity,
): TowerStore {
  const setting = config.towerStore;
  switch (setting.kind) {
    case 'directory':
      return createDirectoryTowerStore({ directory: setting.dir, identity, file });
    case 'etcd':
      return createEtcdTowerStore({
        endpoints: setting.endpoints,
        prefix: setting.prefix,
        identity,
        file,
        clientOptions: etcdSecurity,
      });
    case 'command':
      if (file === 'tower') {
        return createCommandTowerStore({
          runner,
          towerFile: config.towerFilePath,
          backupCommand: setting.backupCommand,
          restoreCommand: setting.restoreCommand,
        });
      }
      if (setting.voteHistoryBackupCommand === undefined || setting.voteHistoryRestoreCommand === undefined) {
        return createUncarriedVoteHistoryStore();
      }
      return createCommandTowerStore({
        runner,
        towerFile: config.voteHistoryFilePath,
        backupCommand: setting.voteHistoryBackupCommand,
        restoreCommand: setting.voteHistoryRestoreCommand,
        keys: { backup: 'vote_history_backup_command', restore: 'vote_history_restore_command' },
      });
  }
}
