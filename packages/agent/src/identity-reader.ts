import { isValidPubkey } from '@failover/core';
import type { AgentConfig, LocalRpc, RpcResult } from '@failover/protocol';
import type { CommandRunner } from './command-runner';

/** The validator's identity now: `identity_check_command` when configured, else the local RPC. */
export function identityReader(
  config: AgentConfig,
  runner: CommandRunner,
  localRpc: LocalRpc,
): () => Promise<RpcResult<string>> {
  const check = config.commands.identityCheck;
  if (check === undefined) return () => localRpc.getIdentity();
  return () =>
    runner.run('identity_check_command', check, { readOnly: true }).then((result) => {
      const pubkey = result.stdout.split(/\s+/).find(isValidPubkey);
      // The command stands where the local RPC would; its results name it as their source.
      if (result.ok && pubkey !== undefined) return { ok: true, value: pubkey, endpoint: 'identity_check_command' };
      return {
        ok: false,
        reason: 'malformed',
        message: `identity_check_command printed no pubkey (exit ${result.exitCode})`,
        endpoint: 'identity_check_command',
      };
    });
}
