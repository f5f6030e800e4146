export const PACKAGE_NAME = '@failover/protocol';

export { systemClock, sleep } from './system-clock';

export {
  ProtocolError,
  SecretFileError,
  EtcdAccessError,
  AgentClientOptionsError,
  StateDirError,
  StateFileError,
  PROTOCOL_ERROR_CODES,
} from './errors';
export type { SecretFileProblem } from './errors';

export {
  UnixSecondsSchema,
  NODE_NAME_PATTERN,
  NodeNameSchema,
  SENDER_PATTERN,
  SenderSchema,
  TermSchema,
  SenderSightingSchema,
  StaleTermDetailsSchema,
  WrongNodeDetailsSchema,
  StatusRequestSchema,
  StatusResponseSchema,
  ProcessExitedAtSchema,
  WatchRequestSchema,
  WatchResponseSchema,
  WATCH_MAX_WAIT_MS,
  AgentRoleSchema,
  AlpenglowGenesisSchema,
  TowerInfoSchema,
  PeerStatusRequestSchema,
  PeerStatusResponseSchema,
  FailoverActionSchema,
  FailoverRequestSchema,
  FailoverResponseSchema,
  ShutdownRequestSchema,
  ShutdownResponseSchema,
  IdentityResponseSchema,
  HealthResponseSchema,
  RoleCheckResponseSchema,
  MetricsResponseSchema,
  TowerStaleDetailsSchema,
  VoteHistoryStaleDetailsSchema,
  HookRefusedDetailsSchema,
  FinalTowerSchema,
  CarriedTowerSchema,
  CARRIED_FILE_MAX_BYTES,
  AGENT_BODY_LIMIT,
} from './wire/agent-api';
export type {
  StatusRequest,
  StatusResponse,
  WatchRequest,
  WatchResponse,
  AgentRole,
  WireTowerInfo,
  PeerStatusRequest,
  PeerStatusResponse,
  FailoverAction,
  FailoverRequest,
  FailoverResponse,
  ShutdownRequest,
  ShutdownResponse,
  IdentityResponse,
  HealthResponse,
  RoleCheckResponse,
  TowerStaleDetails,
  VoteHistoryStaleDetails,
  HookRefusedDetails,
  StaleTermDetails,
  WrongNodeDetails,
  WireSenderSighting,
  FinalTower,
  CarriedTower,
} from './wire/agent-api';
export { ErrorEnvelopeSchema, WIRE_ERROR_CODES, errorEnvelope } from './wire/error-envelope';
export type { ErrorEnvelope, WireErrorCode } from './wire/error-envelope';
export {
  CONTROL_API_NODE,
  CONTROL_PATHS,
  ControlNodeSchema,
  ControlStatusSchema,
  ControlElectionSchema,
  ControlStatusRequestSchema,
  SwitchoverRequestSchema,
  SwitchoverLineSchema,
  ControlPauseSchema,
  PauseRequestSchema,
  ResumeRequestSchema,
  PauseAnswerSchema,
} from './wire/control-api';
export type {
  ControlNode,
  ControlStatus,
  ControlElection,
  ControlStatusRequest,
  SwitchoverRequest,
  SwitchoverLine,
  ControlPause,
  PauseRequest,
  ResumeRequest,
  PauseAnswerBody,
} from './wire/control-api';
export {
  JOURNAL_FILE_NAME,
  JournalActionSchema,
  JournalReasonSchema,
  JournalRunSchema,
  JournalPauseSchema,
  ManagerJournalFileSchema,
  toJournalFile,
  toJournalState,
} from './wire/journal';
export type { JournalRun, ManagerJournalFile } from './wire/journal';
export {
  DoctorVerdictSchema,
  DoctorRowSchema,
  DoctorReportSchema,
  doctorRow,
  overallVerdict,
  doctorExitCode,
  doctorReport,
  renderDoctorTable,
} from './wire/doctor-report';
export type { DoctorVerdict, DoctorRow, DoctorReport } from './wire/doctor-report';
export { AGENT_ROUTES } from './wire/routes';
export type { AgentRoute, AgentRouteName } from './wire/routes';

export {
  AUTH_HEADER,
  NODE_HEADER,
  DEFAULT_SKEW_MS,
  bodyDigest,
  createNonce,
  signRequest,
  verifyRequest,
  verifyFailureCode,
} from './auth/request-auth';
export type { Secret, SignedParts, VerifyFailure, VerifyInput, VerifyResult } from './auth/request-auth';
export { RESPONSE_AUTH_HEADER, signResponse, verifyResponse } from './auth/response-auth';
export type { ResponseVerifyFailure, ResponseVerifyResult, SignedResponse } from './auth/response-auth';
export { createReplayCache } from './auth/replay-cache';
export type { ReplayCache, ReplayCacheOptions } from './auth/replay-cache';
export { loadSecretFile, MIN_SECRET_BYTES } from './auth/secret-file';
export { loadEtcdAccess } from './config/etcd-access';
export type { EtcdClientSecurity } from './config/etcd-access';
export { loadAuth, secretOf, secretsToRedact } from './auth/load-auth';
export type { LoadedAuth } from './auth/load-auth';
export type { LoadedSecret } from './auth/secret-file';

export { AGENT_RESPONSE_BODY_LIMIT, createAgentClient } from './client/agent-client';
export { readCappedText } from './client/read-body';
export type {
  AgentClient,
  AgentClientOptions,
  AgentCallError,
  AgentCallResult,
  CallOptions,
} from './client/agent-client';

export { createSolanaRpc } from './rpc/solana-rpc';
export { RPC_RESPONSE_BODY_LIMIT } from './rpc/json-rpc-transport';
export type {
  ClusterRpc,
  Commitment,
  ConsensusRpc,
  ConsensusSlots,
  EpochInfo,
  LocalRpc,
  SolanaRpc,
  SlotAndVoteAccount,
  SolanaRpcOptions,
  VoteAccountInfo,
} from './rpc/solana-rpc';
export type { RpcFailure, RpcFailureReason, RpcResult } from './rpc/rpc-result';

export {
  AgentConfigSchema,
  AgentHooksSchema,
  DEFAULT_HOOK_TIMEOUT,
  HTTP_URL_PATTERN,
  HookSchema,
  VetoHookSchema,
  LogFormatSchema,
  SchemaKeySchema,
  TowerStoreKindSchema,
  ValidatorClientSchema,
} from './config/agent-config-schema';
export type { AgentConfigFile } from './config/agent-config-schema';
export { ManagerConfigSchema, ValidatorEndpointSchema } from './config/manager-config-schema';
export type { ManagerConfigFile } from './config/manager-config-schema';
export {
  DURATION_PATTERN,
  Duration,
  isDurationSchema,
  parseDuration,
  formatDuration,
  durationNumberHint,
} from './config/duration';
export { formatProblems, pointerToKey, describeSource } from './config/problems';
export type { ConfigProblem, ConfigResult, ConfigSource } from './config/problems';
export type {
  AgentConfig,
  AgentCommands,
  AgentHookConfig,
  AgentHookConfigs,
  AuthSetting,
  ElectionConfig,
  LogFormat,
  ManagerConfig,
  SecureIdentityConfig,
  TelegramConfig,
  TowerStoreSetting,
  EtcdAccess,
  ValidatorNodeConfig,
} from './config/domain-config';
export {
  CLIENT_PROCESS_NAMES,
  VALIDATOR_CLIENTS,
  profileCommands,
  profileReadback,
  shellQuote,
} from './config/client-profiles';
export type { ProfileCommands, ProfileInputs, ValidatorClient } from './config/client-profiles';
export { AGENT_ENV, MANAGER_ENV, AGENT_FLAGS, MANAGER_FLAGS, applyOverrides } from './config/overrides';
export type { AgentFlags, ManagerFlags, OverrideSpec, Overlaid } from './config/overrides';
export { parseConfigText, readConfigFile, lineColumn } from './config/config-file';
export type { ParsedConfigText } from './config/config-file';
export {
  resolveAgentConfigFile,
  resolveManagerConfigFile,
  loadAgentConfig,
  loadManagerConfig,
} from './config/load-config';
export type { ResolveInput, LoadInput } from './config/load-config';
export { validateConfigValue } from './config/validate';
export { agentRuleProblems, managerRuleProblems, ELECTION_TTL_LIMITS_MS } from './config/rules';
export {
  toAgentConfig,
  toManagerConfig,
  toNodeStatus,
  toUnreachableReason,
  toManagerMachineOptions,
  AGENT_DEFAULTED_KEYS,
  MANAGER_DEFAULTED_KEYS,
} from './to-domain';

export { writeFileAtomic } from './state/atomic-write';
export { defaultStateDir, prepareStateDir } from './state/state-dir';
export type { StateApp, StateDirContext } from './state/state-dir';
export { durableJsonFile } from './state/durable-json-file';
export type { DurableJsonFile } from './state/durable-json-file';

export { printableLine, runShellCommand, redactSecrets } from './process/shell-command';
export type { ShellCommandResult } from './process/shell-command';
export { binaryOf, findCommandBinary, findProgram } from './process/command-binary';
export type { CommandBinary } from './process/command-binary';
