import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { SimCluster } from '../src';
import { startCluster } from '../src';
import { sh } from './shell';

// One cluster for the file: f1 (Frankendancer, staked at start) and f2 (Firedancer, unstaked),
// named as the real clients' processes. Tests that move the identity put it back.
let cluster: SimCluster;

beforeAll(async () => {
  cluster = await startCluster({
    validators: [
      { name: 'f1', processName: 'fdctl' },
      { name: 'f2', processName: 'firedancer' },
    ],
    slotMs: 50,
  });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('simulated Firedancer validators', () => {
  it('run under the client process names, as pgrep -x finds them', async () => {
    for (const [name, processName] of [
      ['f1', 'fdctl'],
      ['f2', 'firedancer'],
    ] as const) {
      const found = await sh(`pgrep -x ${processName}`, cluster.env);
      expect(found.stdout.split('\n')).toContain(String(cluster.validator(name).pid));
    }
  });
});

describe('fdctl set-identity and get-identity', () => {
  it('moves the identity with the validator config, --require-tower on the way in, and reads it back', async () => {
    const f1 = cluster.validator('f1');
    await cluster.waitFor('f1 voting', async () => (await f1.status()).lastVote !== null);
    const demote = await sh(`fdctl set-identity --config ${f1.fdConfigPath} ${f1.unstakedKeypairPath}`, cluster.env);
    expect(demote.code).toBe(0);
    expect(demote.stderr).toContain(`Validator identity key switched to \`${f1.unstakedPubkey}\``);
    const readBack = await sh(`fdctl get-identity --config ${f1.fdConfigPath}`, cluster.env);
    expect(readBack).toMatchObject({ code: 0, stdout: `${f1.unstakedPubkey}\n` });

    const promote = await sh(
      `fdctl set-identity --config ${f1.fdConfigPath} --require-tower ${f1.stakedKeypairPath}`,
      cluster.env,
    );
    expect(promote.code).toBe(0);
    expect(await f1.identity()).toBe(cluster.stakedPubkey);
    expect(await cluster.judge.violations()).toEqual([]);
  });

  it('refuses to run without the config the validator was started with, and with one naming no validator', async () => {
    const f1 = cluster.validator('f1');
    const bare = await sh(`fdctl set-identity ${f1.unstakedKeypairPath}`, cluster.env);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('must be called with the configuration file the validator was started with');
    const missing = await sh(`fdctl get-identity --config ${cluster.dir}/nowhere.toml`, cluster.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('could not open configuration file');
    expect(await f1.identity()).toBe(cluster.stakedPubkey);
  });

  it('refuses --require-tower without a tower for the new identity, and changes nothing', async () => {
    const f2 = cluster.validator('f2');
    fs.rmSync(f2.towerPath(cluster.stakedPubkey), { force: true });
    const result = await sh(
      `fdctl set-identity --config ${f2.fdConfigPath} --require-tower ${f2.stakedKeypairPath}`,
      cluster.env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Unable to load tower file for identity ${cluster.stakedPubkey}`);
    expect(await f2.identity()).toBe(f2.unstakedPubkey);
  });

  it('leaves the key switch locked when killed part way, refuses the next switch, and --force resets it', async () => {
    const f2 = cluster.validator('f2');
    await f2.setIdentityDelay(30_000);
    const switching = spawn('fdctl', ['set-identity', '--config', f2.fdConfigPath, f2.unstakedKeypairPath], {
      env: { ...process.env, ...cluster.env },
      stdio: 'ignore',
    });
    const killed = new Promise((resolve) => switching.once('exit', (_code, signal) => resolve(signal)));
    await cluster.waitFor('the switch under way', async () => (await f2.status()).keySwitchLocked);
    switching.kill('SIGKILL');
    await expect(killed).resolves.toBe('SIGKILL');
    await f2.setIdentityDelay(0);

    const refused = await sh(`fdctl set-identity --config ${f2.fdConfigPath} ${f2.unstakedKeypairPath}`, cluster.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already in the process of switching keys');
    expect(refused.stderr).toContain('--force');
    expect(await f2.status()).toMatchObject({ keySwitchLocked: true, identity: f2.unstakedPubkey });

    const forced = await sh(
      `fdctl set-identity --config ${f2.fdConfigPath} --force ${f2.unstakedKeypairPath}`,
      cluster.env,
    );
    expect(forced.code).toBe(0);
    expect((await f2.status()).keySwitchLocked).toBe(false);
    const after = await sh(`fdctl set-identity --config ${f2.fdConfigPath} ${f2.unstakedKeypairPath}`, cluster.env);
    expect(after.code).toBe(0);
    expect(await f2.identity()).toBe(f2.unstakedPubkey);
  });
});

describe('firedancer set-identity and get-identity', () => {
  it('switches with the config, and has no --require-tower or --force', async () => {
    const f2 = cluster.validator('f2');
    const switched = await sh(
      `firedancer set-identity --config ${f2.fdConfigPath} ${f2.unstakedKeypairPath}`,
      cluster.env,
    );
    expect(switched.code).toBe(0);
    for (const flag of ['--require-tower', '--force']) {
      const refused = await sh(
        `firedancer set-identity --config ${f2.fdConfigPath} ${flag} ${f2.unstakedKeypairPath}`,
        cluster.env,
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`unknown argument \`${flag}\``);
    }
    const readBack = await sh(`firedancer get-identity --config ${f2.fdConfigPath}`, cluster.env);
    expect(readBack).toMatchObject({ code: 0, stdout: `${f2.unstakedPubkey}\n` });
  });

  it('finds the validator itself by --name, and asks for one when several run', async () => {
    const f2 = cluster.validator('f2');
    const several = await sh('firedancer get-identity', cluster.env);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('more than one validator is running on this host; pass --name');
    const named = await sh('firedancer get-identity --name f2', cluster.env);
    expect(named).toMatchObject({ code: 0, stdout: `${f2.unstakedPubkey}\n` });
  });

  it('reads the keypair from stdin with -, and never prints it', async () => {
    const f2 = cluster.validator('f2');
    const unstaked = fs.readFileSync(f2.unstakedKeypairPath, 'utf8');
    const result = await sh(`firedancer set-identity --name f2 -`, cluster.env, unstaked);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(unstaked.slice(1, 20));
    expect(await f2.identity()).toBe(f2.unstakedPubkey);
  });
});
