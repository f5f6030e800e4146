export type {
  BackupFailure,
  BackupOutcome,
  KeptFileKind,
  LatestOutcome,
  RevisionOutcome,
  StoredTower,
  TowerBackupMeta,
  TowerStore,
} from './tower-store';
export { sha256Hex } from './tower-store';
export { createDirectoryTowerStore, type DirectoryTowerStoreOptions } from './directory-tower-store';
export { createEtcdTowerStore, type EtcdTowerStoreOptions } from './etcd-tower-store';
export {
  createCommandTowerStore,
  createUncarriedVoteHistoryStore,
  type CommandTowerStoreOptions,
} from './command-tower-store';
