/**
 * Secure identity mode for a stack: one real OpenSSH server per validator, on the
 * validator's own loopback IP (the manager reaches each validator by the `ip` of its config
 * entry), a known_hosts file holding both host keys, and one client key authorized on both.
 * The manager then pushes the staked keypair on the stdin of the simulator's
 * `agave-validator … set-identity --require-tower` and `authorized-voter add`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SimValidator } from '@failover/solana-sim';
import { startSshd, type SshdHandle } from '@failover/testkit';
import type { SecureIdentityInput } from './stack-config';
import { shellQuote } from './stack-config';

/** The SSH side of a stack in secure identity mode. */
export interface StackSecureIdentity {
  /** sshd of validator1 and validator2, in that order (`regenerateHostKey()` for a host-key fault). */
  readonly servers: readonly [SshdHandle, SshdHandle];
  /** What `managerConfig` needs for the secure-mode keys. */
  readonly config: SecureIdentityInput;
  stop(): Promise<void>;
}

/**
 * Starts both sshd. `agaveShim` is the simulator's `agave-validator` by full path: an SSH
 * session has the login PATH, not the stack's.
 */
export async function startStackSecureIdentity(options: {
  readonly validators: readonly [SimValidator, SimValidator];
  readonly dir: string;
  readonly stakedKeypairPath: string;
  readonly agaveShim: string;
}): Promise<StackSecureIdentity> {
  const [v1, v2] = options.validators;
  const first = await startSshd({ listenHost: v1.ip });
  let second: SshdHandle;
  try {
    // One client key for both hosts, as an operator's manager has: the first server's.
    second = await startSshd({
      listenHost: v2.ip,
      authorizedKeys: [readFileSync(`${first.clientKeyPath}.pub`, 'utf8').trim()],
    });
  } catch (error) {
    await first.stop();
    throw error;
  }
  const knownHostsPath = path.join(options.dir, 'known_hosts');
  writeFileSync(knownHostsPath, `${first.knownHostsLine}\n${second.knownHostsLine}\n`, { mode: 0o600 });
  const shim = shellQuote(options.agaveShim);
  return {
    servers: [first, second],
    config: {
      keypairPath: options.stakedKeypairPath,
      sshUser: first.user,
      sshKeyPath: first.clientKeyPath,
      knownHostsPath,
      setIdentityCommand: `${shim} --ledger {ledger} set-identity --require-tower`,
      authorizedVoterCommand: `${shim} --ledger {ledger} authorized-voter add`,
      sshPorts: [first.port, second.port],
    },
    async stop() {
      await Promise.all([first.stop(), second.stop()]);
    },
  };
}
