/**
 * @failover/manager: the `failover-manager` program and its parts, importable for embedding
 * and tests. `main` is what the bin calls.
 */
import { runCli } from './cli';

export { runCli } from './cli';
export type { CliIo } from './cli';
export { parseArgs, usage } from './cli-args';
export type { ManagerCommand, ParsedArgs } from './cli-args';
export { startManager } from './start-manager';
export type { ManagerHandle, StartManagerOptions } from './start-manager';
export { createMonitor } from './monitor';
export type { FailoverProgress, Monitor, MonitorOptions, MonitorSnapshot } from './monitor';
export { executeAction } from './failover-executor';
export type { AgentPort, ExecutedStep, ExecutorContext, FailoverCall, FailoverCallResult, FailoverRefusal, RunMemory } from './failover-executor';
export { createAgentPort, describeCallError } from './agent-port';
export type { AgentLink, AgentPortOptions } from './agent-port';
export { createClusterRpc } from './cluster-rpc';
export type { ClusterRpc, ClusterRpcOptions, EpochInfo, RpcFailureReason, RpcResult, VoteAccountInfo } from './cluster-rpc';
export { createCommandGossipReader, createRpcGossipReader, holderOf, nodeIpOf } from './gossip-source';
export type { CommandGossipOptions, GossipReader, GossipReading, NodeIps } from './gossip-source';
export { createSshIdentityPusher, expandHome, shellQuote } from './ssh-identity-pusher';
export type { IdentityPusher, PushTarget, RemoteCommandReport, SshFailureStage, SshIdentityPusherOptions, SshResult } from './ssh-identity-pusher';
export { checkHostKey, knownHostName, readKnownHosts, recordHostKey } from './known-hosts';
export type { HostKeyVerdict } from './known-hosts';
export { checkPushTargets, loadStakedKeypair } from './secure-identity';
export type { StakedKeypair } from './secure-identity';
export { buildControlServer } from './control-server';
export type { ControlServerOptions } from './control-server';
export { fetchControlStatus, requestSwitchover } from './control-client';
export type { ControlTarget } from './control-client';
export { CONTROL_PATHS, ControlNodeSchema, ControlStatusSchema, SwitchoverRequestSchema } from './control-schema';
export type { ControlNode, ControlStatus, SwitchoverLine, SwitchoverRequest } from './control-schema';
export { renderStatusTable, toControlStatus, describeBlockCause, describeHealthReason } from './status-view';
export { firstLeaderGap, waitForSwitchoverWindow } from './switchover-window';
export type { SwitchoverWindow, SwitchoverWindowOptions } from './switchover-window';
export { EXAMPLE_MANAGER_CONFIG, exampleConfigText } from './example-config';
export { MANAGER_VERSION } from './version';
export {
  ControlApiError,
  IdentityMismatchError,
  ManagerConfigError,
  ManagerError,
  NoAuthSecretError,
  SecureModeCheckError,
  UsageError,
} from './errors';

/** Entry point of the `failover-manager` bin: runs the CLI with the process's streams and signals. */
export function main(argv: readonly string[]): void {
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`failover-manager: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
