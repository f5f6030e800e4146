import { parseKeypairJson } from '@failover/core';
import { readFile, realpath } from 'node:fs/promises';

/**
 * Reads the pubkey of the keypair the identity symlink names (`identity_symlink_path`), the one
 * the validator loads when it starts. The link is resolved and the keypair parsed: a path
 * string says nothing about which key is behind it. Any failure is null, which never confirms
 * a demotion. The secret half is dropped at once and never logged.
 */
export function createSymlinkReader(symlinkPath: string | undefined): () => Promise<string | null> {
  return async () => {
    if (symlinkPath === undefined) return null;
    try {
      const target = await realpath(symlinkPath);
      return parseKeypairJson(await readFile(target, 'utf8'), 'identity symlink target').pubkey;
    } catch {
      return null;
    }
  };
}
