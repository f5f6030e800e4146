import fs from 'node:fs';
import path from 'node:path';
import type { SimCluster } from '../src';
import { startCluster } from '../src';
import { sh } from './shell';

// One cluster for the file: v1 starts staked, v2 unstaked. Tests that move the identity put it
// back, so each starts from that layout.
let cluster: SimCluster;

beforeAll(async () => {
  cluster = await startCluster({ validators: [{ name: 'v1' }, { name: 'v2' }], slotMs: 50 });
});

afterAll(async () => {
  await cluster?.stop();
});

async function identityOf(name: string): Promise<string> {
  return cluster.validator(name).identity();
}

describe('agave-validator set-identity', () => {
  it('accepts the guide line with --require-tower and a keypair path once the tower is there', async () => {
    const v1 = cluster.validator('v1');
    const v2 = cluster.validator('v2');
    await cluster.waitFor('v1 voting', async () => (await v1.status()).lastVote !== null);
    const demote = await sh(`agave-validator -l ${v1.ledgerDir} set-identity ${v1.unstakedKeypairPath}`, cluster.env);
    expect(demote).toMatchObject({
      code: 0,
      stdout: `New validator identity path: ${fs.realpathSync(v1.unstakedKeypairPath)}\n`,
    });
    fs.copyFileSync(v1.towerPath(cluster.stakedPubkey), v2.towerPath(cluster.stakedPubkey));
    const promote = await sh(
      `agave-validator -l ${v2.ledgerDir} set-identity --require-tower ${v2.stakedKeypairPath}`,
      cluster.env,
    );
    expect(promote.code).toBe(0);
    expect(await identityOf('v2')).toBe(cluster.stakedPubkey);
    // and back, with the Go tool's identity_change_command shape (double space included)
    await sh(`agave-validator  -l ${v2.ledgerDir} set-identity ${v2.unstakedKeypairPath}`, cluster.env);
    fs.copyFileSync(v2.towerPath(cluster.stakedPubkey), v1.towerPath(cluster.stakedPubkey));
    const back = await sh(
      `agave-validator -l ${v1.ledgerDir} set-identity --require-tower ${v1.stakedKeypairPath}`,
      cluster.env,
    );
    expect(back.code).toBe(0);
    expect(await identityOf('v1')).toBe(cluster.stakedPubkey);
  });

  it('refuses --require-tower when the new identity has no tower file, and changes nothing', async () => {
    const v2 = cluster.validator('v2');
    fs.rmSync(v2.towerPath(cluster.stakedPubkey), { force: true });
    const result = await sh(
      `agave-validator -l ${v2.ledgerDir} set-identity --require-tower ${v2.stakedKeypairPath}`,
      cluster.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `set identity request failed: Unable to load tower file for identity ${cluster.stakedPubkey}`,
    );
    expect(await identityOf('v2')).toBe(v2.unstakedPubkey);
  });

  it('reads the keypair from stdin in secure mode (--ledger {ledger} set-identity)', async () => {
    const v2 = cluster.validator('v2');
    const unstaked = fs.readFileSync(v2.unstakedKeypairPath, 'utf8');
    const result = await sh(`agave-validator --ledger ${v2.ledgerDir} set-identity`, cluster.env, unstaked);
    expect(result).toMatchObject({ code: 0, stdout: `New validator identity: ${v2.unstakedPubkey}\n` });
    expect(result.stdout + result.stderr).not.toContain(unstaked.slice(1, 20));
  });

  it('adds an authorized voter from stdin and refuses it twice, as agave does', async () => {
    const v2 = cluster.validator('v2');
    const staked = fs.readFileSync(cluster.stakedKeypairPath, 'utf8');
    const first = await sh(`agave-validator --ledger ${v2.ledgerDir} authorized-voter add`, cluster.env, staked);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('add authorized voter request failed: Authorized voter already present');
    const removed = await sh(`agave-validator --ledger ${v2.ledgerDir} authorized-voter remove-all`, cluster.env);
    expect(removed).toMatchObject({ code: 0, stdout: 'All authorized voters removed\n' });
    const added = await sh(`agave-validator --ledger ${v2.ledgerDir} authorized-voter add`, cluster.env, staked);
    expect(added).toMatchObject({ code: 0, stdout: `Adding authorized voter: ${cluster.stakedPubkey}\n` });
    const byPath = await sh(
      `agave-validator -l ${v2.ledgerDir} authorized-voter add ${v2.unstakedKeypairPath}`,
      cluster.env,
    );
    expect(byPath.code).toBe(0);
  });

  it.each([
    {
      name: 'an unknown flag',
      args: 'set-identity --force KEY',
      message: "error: Found argument '--force' which wasn't expected",
    },
    { name: 'two keypairs', args: 'set-identity KEY KEY', message: "which wasn't expected" },
    {
      name: 'a missing keypair file',
      args: 'set-identity /nonexistent.json',
      message: "error: Invalid value for '<KEYPAIR>': No such file or directory (os error 2)",
    },
    {
      name: 'an unknown subcommand',
      args: 'set-identiti KEY',
      message: "error: The subcommand 'set-identiti' wasn't recognized",
    },
    {
      name: 'a non-numeric idle time',
      args: 'wait-for-restart-window --min-idle-time two',
      message: "Invalid value for '--min-idle-time <VALUE>'",
    },
    { name: 'authorized-voter without a subcommand', args: 'authorized-voter', message: 'USAGE:' },
  ])('rejects $name with exit code 1', async ({ args, message }) => {
    const v1 = cluster.validator('v1');
    const result = await sh(
      `agave-validator -l ${v1.ledgerDir} ${args.replaceAll('KEY', v1.unstakedKeypairPath)}`,
      cluster.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('fails with the OS error when no validator runs on the ledger', async () => {
    const result = await sh(
      `agave-validator -l ${path.join(cluster.dir, 'nowhere')} set-identity ${cluster.stakedKeypairPath}`,
      cluster.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('set identity request failed: No such file or directory (os error 2)');
  });

  it('prints help with exit code 0', async () => {
    const result = await sh('agave-validator --help', cluster.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('set-identity');
  });
});

describe('agave-validator wait-for-restart-window', () => {
  it('reports ready for the guide line (--min-idle-time 2 --skip-new-snapshot-check)', async () => {
    const v1 = cluster.validator('v1');
    const result = await sh(
      `agave-validator -l ${v1.ledgerDir} wait-for-restart-window --min-idle-time 2 --skip-new-snapshot-check`,
      cluster.env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Minimum Idle Time: 300 slots (~2 minutes)');
    expect(result.stdout).toContain('Ready to restart');
  });

  it('fails when no idle window that long exists in the epoch', async () => {
    const v1 = cluster.validator('v1');
    const result = await sh(
      `agave-validator -l ${v1.ledgerDir} wait-for-restart-window --min-idle-time 60 --skip-new-snapshot-check`,
      cluster.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'failed to wait for restart window: Validator has no idle window of at least 9000 slots',
    );
  });
});

describe('solana gossip', () => {
  it.each(['-ut', '-um', '-u testnet', `--url ${'$SOLANA_SIM_RPC_URL'}`, '-u $SOLANA_SIM_RPC_URL'])(
    'prints the staked identity line with the active IP for `solana %s gossip | grep IDENTITY`',
    async (url) => {
      const result = await sh(`solana ${url} gossip | grep ${cluster.stakedPubkey}`, cluster.env);
      expect(result.code).toBe(0);
      const v1 = cluster.validator('v1');
      expect(result.stdout).toBe(
        `${'127.0.0.2'.padEnd(15)} | ${cluster.stakedPubkey.padEnd(44)} | 8001   | 8003  | ${`127.0.0.2:${v1.rpcPort}`.padEnd(21)} | 2.2.16  | 3294202862\n`,
      );
    },
  );

  it('prints the header and node count like solana-cli', async () => {
    const result = await sh('solana -ut gossip', cluster.env);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^IP Address {6}\| Identity {37}\| Gossip \| TPU {3}\| RPC Address {11}\| Version \| Feature Set$/,
    );
    expect(lines.at(-1)).toBe('Nodes: 4');
  });

  it('rejects an unknown subcommand and a bad URL', async () => {
    expect((await sh('solana -ut gosip', cluster.env)).code).toBe(1);
    expect((await sh('solana -u nonsense gossip', cluster.env)).stderr).toContain(
      "Invalid value for '--url <URL_OR_MONIKER>'",
    );
  });
});

describe('solana-keygen pubkey', () => {
  it('prints the pubkey the guide uses to name the tower file', async () => {
    const result = await sh(`echo tower-1_9-$(solana-keygen pubkey ${cluster.stakedKeypairPath}).bin`, cluster.env);
    expect(result.stdout).toBe(`tower-1_9-${cluster.stakedPubkey}.bin\n`);
  });
});
