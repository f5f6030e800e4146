import type { Clock, Logger } from '@failover/core';
import type { AgentConfig, EtcdClientSecurity } from '@failover/protocol';
import type { CommandRunner } from './command-runner';
import { createFinalBackupRetry, type FinalBackupRetry } from './final-backup-retry';
import type { RoleLink } from './role-link';
import { createTowerKeeper, type TowerKeeper } from './tower-keeper';
import {
  createCommandTowerStore,
  createDirectoryTowerStore,
  createEtcdTowerStore,
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

/** The tower side of one agent: where backups go, who takes them, and the retry of a failed final one. */
export interface TowerParts {
  readonly store: TowerStore;
  readonly keeper: TowerKeeper;
  readonly finalBackupRetry: FinalBackupRetry;
}

/** Builds the configured tower store, the keeper of the tower file, and the final-backup retry. */
export function createTowerParts(options: TowerPartsOptions): TowerParts {
  const { config, identity, roleLink, clock, logger } = options;
  const store = createStore(config, identity, options.runner, options.etcdSecurity ?? {});
  const keeper = createTowerKeeper({
    towerFile: config.towerFilePath,
    identity,
    store,
    source: options.node,
    dryRun: config.dryRun,
    logger,
    clock,
    onFenced: (detail) => roleLink.towerFenced(detail),
  });
  const finalBackupRetry = createFinalBackupRetry({ keeper, role: () => roleLink.role(), clock, logger });
  return { store, keeper, finalBackupRetry };
}

function createStore(
  config: AgentConfig,
  identity: string,
  runner: CommandRunner,
  etcdSecurity: EtcdClientSecurity,
): TowerStore {
  const setting = config.towerStore;
  switch (setting.kind) {
    case 'directory':
      return createDirectoryTowerStore({ directory: setting.dir, identity });
    case 'etcd':
      return createEtcdTowerStore({
        endpoints: setting.endpoints,
        prefix: setting.prefix,
        identity,
        clientOptions: etcdSecurity,
      });
    case 'command':
      return createCommandTowerStore({
        runner,
        towerFile: config.towerFilePath,
        backupCommand: setting.backupCommand,
        restoreCommand: setting.restoreCommand,
      });
  }
}
