export * from './run';
export { AGENT_BIN, MANAGER_BIN, guardBoundFor, guardStopTimeoutMs, startStack } from './stack';
export type { Stack, StackAgent, StackHostGuard, StackManager, StackOptions } from './stack';
export { agentConfig, clientProfileConfig, managerConfig, shellQuote } from './stack-config';
export type {
  AgentConfigInput,
  ManagedNode,
  ManagerConfigInput,
  SecureIdentityInput,
  TowerStoreChoice,
  ValidatorPaths,
} from './stack-config';
export { startStackSecureIdentity } from './stack-secure';
export type { StackSecureIdentity } from './stack-secure';
export { GuardedProcess } from './guarded-process';
export type { GuardedProcessOptions } from './guarded-process';
export { ManagedProcess } from './managed-process';
export type { ManagedProcessOptions, ProcessExit } from './managed-process';
export { ManagerLog, parseManagerLogLine, toFailoverReport } from './manager-log';
export type { FailoverReport, ManagerLogLine } from './manager-log';
export { startRestartService } from './restart-service';
export type { RestartService } from './restart-service';
export { startStackLinks } from './stack-links';
export type { AgentLinks, StackLinks, StackLinksInput } from './stack-links';
export { switchedToAlpenglow } from './alpenglow-switch';
