import fs from 'node:fs';
import { parseKeypairJson } from '@failover/core';
import type { CliIo } from './cli-io';
import { processIo } from './cli-io';

/**
 * `solana-keygen pubkey KEYPAIR`, which the Solana guide uses to name the tower file
 * (`tower-1_9-$(solana-keygen pubkey staked-identity.json).bin`).
 */
export async function runSolanaKeygen(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, file, ...extra] = argv;
  if (command !== 'pubkey' || file === undefined || extra.length > 0) {
    io.stderr('error: the simulated solana-keygen supports only `solana-keygen pubkey KEYPAIR`\n');
    return 1;
  }
  try {
    const text = file === '-' || file === 'stdin' ? await io.readStdin() : fs.readFileSync(file, 'utf8');
    io.stdout(`${parseKeypairJson(text.trim(), file).pubkey}\n`);
    return 0;
  } catch (err) {
    io.stderr(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The bin's entry. */
export function run(): void {
  runSolanaKeygen(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
