export { AGENT_EXIT, main, runAgentCli, type AgentCliIo } from './cli';
export { buildApp, type AgentAppOptions, type AppAuth } from './app';
export { createAgent, type Agent, type CreateAgentOptions } from './create-agent';
export { loadAgentAuth, type AgentAuth } from './agent-auth';
export {
  openAgentFence,
  REPLAY_FILE,
  TERM_FILE,
  type AgentFence,
  type AgentFenceOptions,
  type Admission,
  type ChangingRequest,
} from './agent-fence';
export { NODE_FILE, resolveNodeName, type NodeName, type NodeNameOptions } from './node-name';
export {
  AgentError,
  AgentAuthMissingError,
  AgentIdentityError,
  AgentListenAddressError,
  AGENT_ERROR_CODES,
} from './errors';
export {
  configPlaceholders,
  createCommandRunner,
  resolvePlaceholders,
  type CommandResult,
  type CommandRunner,
  type CommandRunnerOptions,
  type RunOptions,
} from './command-runner';
export {
  createProcessProbe,
  type ProcessProbeOptions,
  type ProcessSnapshot,
  type ValidatorProbe,
} from './process-probe';
export {
  TOWER_FILE,
  VOTE_HISTORY_FILE,
  combineKeepers,
  createTowerKeeper,
  type FileKeeper,
  type KeptFile,
  type TowerKeeper,
  type TowerKeeperOptions,
  type BackupReport,
  type RestoreReport,
  type TowerState,
} from './tower-keeper';
export * from './tower-store';
export { detectLocalIp } from './local-ip';
export { detectStartRole, type StartRole, type RoleSources } from './role-detection';
export {
  createRoleRunner,
  type RoleRunner,
  type RoleRunnerOptions,
  type StepExecutor,
  type PeerAsker,
} from './role-runner';
export { createStepExecutor, type StepExecutorOptions } from './role-steps';
export { runHostGuard, type HostGuardOptions, type HostGuardOutcome } from './host-guard';
export {
  createServiceNotifier,
  noServiceNotifier,
  type ServiceNotifier,
  type ServiceNotifierOptions,
} from './systemd-notify';
export { createPeerAsker, type PeerAskerOptions } from './peer-client';
export { parseListenAddress } from './listen-address';
export { agentUsage, parseAgentArgs, type AgentCommand, type ParsedAgentArgs } from './cli-args';
export { AGENT_VERSION } from './version';
