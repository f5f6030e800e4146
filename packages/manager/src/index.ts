/**
 * @failover/manager: the `failover-manager` program and its parts, importable for embedding
 * and tests. `main` is what the bin calls.
 */
export { main, MANAGER_EXIT, runManagerCli } from './cli';
export type { ManagerCliIo } from './cli';
export { managerUsage, parseManagerArgs } from './cli-args';
export type { ManagerCommand, ParsedManagerArgs } from './cli-args';
export { loadManagerAuth, startManager } from './start-manager';
export type { ManagerHandle, StartManagerOptions } from './start-manager';
export { createMonitor } from './monitor';
export { createFileJournal, readJournalFile } from './journal';
export type { ManagerJournal } from './journal';
export { createEtcdJournal, fetchEtcdJournal, journalKey, readEtcdJournal } from './etcd-journal';
export type { EtcdJournalOptions } from './etcd-journal';
export { createElection } from './election';
export type { Election, ElectionOptions, ElectionView, LeaderGuard, ManagerMember } from './election';
export { createHaCoordinator } from './ha-coordinator';
export type { HaCoordinator, HaCoordinatorOptions, LeaderRun } from './ha-coordinator';
export { historyDocument, renderHistory } from './history-view';
export type { FailoverProgress, Monitor, MonitorOptions, MonitorSnapshot } from './monitor';
export { executeAction } from './failover-executor';
export { proveHostFenced, runFenceCommand } from './host-fence';
export type { FenceCommand, FenceCommandResult, HostFence } from './host-fence';
export type {
  AgentPort,
  ExecutedStep,
  ExecutorContext,
  FailoverCall,
  FailoverCallResult,
  FailoverRefusal,
  RunMemory,
  WatchOutcome,
} from './failover-executor';
export { createAgentPort, describeCallError } from './agent-port';
export type { AgentLink, AgentPortOptions } from './agent-port';
export { createManagerFence } from './manager-fence';
export type { Deposition, FenceReport, ManagerFence, ManagerFenceOptions } from './manager-fence';
export { currentManagerTerm, loadManagerTerm, MANAGER_TERM_FILE, recordManagerTerm } from './manager-term';
export type { ManagerTerm } from './manager-term';
export { createCommandGossipReader, createRpcGossipReader, holderOf, nodeIpOf } from './gossip-source';
export type { CommandGossipOptions, GossipReader, GossipReading, NodeIps } from './gossip-source';
export { createSshIdentityPusher, expandHome, shellQuote } from './ssh-identity-pusher';
export type {
  IdentityPusher,
  PushTarget,
  RemoteCommandReport,
  SshFailureStage,
  SshIdentityPusherOptions,
  SshResult,
} from './ssh-identity-pusher';
export { checkHostKey, knownHostName, readKnownHosts, recordHostKey } from './known-hosts';
export type { HostKeyVerdict } from './known-hosts';
export { checkPushTargets, loadStakedKeypair, requireTowerWarning } from './secure-identity';
export type { StakedKeypair } from './secure-identity';
export { buildControlServer } from './control-server';
export type { ControlServerOptions } from './control-server';
export { fetchControlStatus, requestPause, requestResume, requestSwitchover } from './control-client';
export type { ControlTarget } from './control-client';
export { renderStatusTable, toControlStatus } from './status-view';
export { firstLeaderGap, waitForSwitchoverWindow } from './switchover-window';
export type { SwitchoverWindow, SwitchoverWindowOptions } from './switchover-window';
export { EXAMPLE_MANAGER_CONFIG, exampleConfigText } from './example-config';
export { MANAGER_VERSION } from './version';
export {
  ControlApiError,
  IdentityMismatchError,
  KeypairPermissionsError,
  ManagerConfigError,
  ManagerError,
  NoAuthSecretError,
  SecureModeCheckError,
  UsageError,
} from './errors';
