/**
 * Start-up checks of secure identity mode, as the Go tool makes them: the keypair on the
 * manager is the staked identity, and every validator can receive it over SSH. A manager that
 * would discover a wrong key or an unreachable host only during a failover would leave
 * nobody voting.
 */
import { open } from 'node:fs/promises';
import { parseKeypairJson } from '@failover/core';
import { IdentityMismatchError, KeypairPermissionsError, SecureModeCheckError } from './errors';
import type { IdentityPusher, PushTarget } from './ssh-identity-pusher';

/** The staked keypair as the pusher forwards it; the text never leaves this process except over SSH. */
export interface StakedKeypair {
  readonly pubkey: string;
  readonly json: string;
}

/**
 * Reads the staked keypair and checks it is `expectedPubkey`. Its mode is read from the file
 * opened, so the file checked is the file read.
 * @throws {KeypairPermissionsError} when its group or other users have any permission on it
 * @throws {KeypairFormatError} (from core) when the file is not a Solana keypair
 * @throws {IdentityMismatchError} when it is another identity
 */
export async function loadStakedKeypair(path: string, expectedPubkey: string): Promise<StakedKeypair> {
  const file = await open(path, 'r');
  let text: string;
  try {
    const mode = (await file.stat()).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new KeypairPermissionsError(path, mode);
    text = await file.readFile('utf8');
  } finally {
    await file.close();
  }
  const keypair = parseKeypairJson(text, path);
  if (keypair.pubkey !== expectedPubkey) throw new IdentityMismatchError(path, keypair.pubkey, expectedPubkey);
  return { pubkey: keypair.pubkey, json: text.trim() };
}

/**
 * Checks SSH access (trusted host key, accepted client key) and the ledger directory on every
 * target, all of them concurrently.
 * @throws {SecureModeCheckError} naming the first target that failed and why
 */
export async function checkPushTargets(pusher: IdentityPusher, targets: readonly PushTarget[]): Promise<void> {
  const results = await Promise.all(targets.map(async (target) => ({ target, result: await pusher.validate(target) })));
  for (const { target, result } of results) {
    if (!result.ok) throw new SecureModeCheckError(target.name, `${result.stage}: ${result.message}`);
  }
}

/**
 * The start-up warning for an SSH `set-identity` template without `--require-tower`, or null
 * when it has the flag. Without it the validator takes the identity whatever tower it has, or
 * none: a failover or rollback whose tower restore went wrong would then vote from an empty
 * tower (S2) instead of failing where everyone can see it.
 */
export function requireTowerWarning(setIdentityCommand: string): string | null {
  if (/(^|\s)--require-tower(\s|=|$)/.test(setIdentityCommand)) return null;
  return 'ssh_set_identity_command has no --require-tower: the validator would take the staked identity without the restored tower, and vote from an empty one if the restore went wrong; add --require-tower';
}
