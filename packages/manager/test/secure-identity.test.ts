import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeypair, keypairToJson, KeypairFormatError } from '@failover/core';
import { IdentityMismatchError, KeypairPermissionsError, SecureModeCheckError } from '../src/errors';
import { checkPushTargets, loadStakedKeypair, requireTowerWarning } from '../src/secure-identity';
import type { IdentityPusher, PushTarget, SshResult } from '../src/ssh-identity-pusher';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secure-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadStakedKeypair', () => {
  it('accepts the keypair of the staked identity', async () => {
    const keypair = generateKeypair();
    const path = join(dir, 'identity.json');
    await writeFile(path, keypairToJson(keypair) + '\n', { mode: 0o600 });
    await expect(loadStakedKeypair(path, keypair.pubkey)).resolves.toEqual({
      pubkey: keypair.pubkey,
      json: keypairToJson(keypair),
    });
  });

  it('refuses another identity, naming both pubkeys and never the key bytes', async () => {
    const keypair = generateKeypair();
    const staked = generateKeypair();
    const path = join(dir, 'identity.json');
    await writeFile(path, keypairToJson(keypair), { mode: 0o600 });
    const error = await loadStakedKeypair(path, staked.pubkey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityMismatchError);
    expect((error as Error).message).toMatch(/^FAILOVER_MANAGER_IDENTITY_MISMATCH: /);
    expect((error as Error).message).toContain(keypair.pubkey);
    expect((error as Error).message).toContain(staked.pubkey);
    expect((error as Error).message).not.toContain(keypairToJson(keypair).slice(1, 20));
  });

  it('refuses a file that is not a keypair, naming the file', async () => {
    const path = join(dir, 'identity.json');
    await writeFile(path, '[1,2,3]', { mode: 0o600 });
    await expect(loadStakedKeypair(path, generateKeypair().pubkey)).rejects.toThrow(KeypairFormatError);
    await expect(loadStakedKeypair(path, generateKeypair().pubkey)).rejects.toThrow(path);
  });
});

describe('loadStakedKeypair and the mode of the keypair file', () => {
  it.each([0o644, 0o640, 0o604, 0o620, 0o660])(
    'refuses a file of mode %o before reading it, naming the path, the mode and the fix',
    async (mode) => {
      const keypair = generateKeypair();
      const path = join(dir, 'identity.json');
      await writeFile(path, keypairToJson(keypair));
      await chmod(path, mode);
      const error = await loadStakedKeypair(path, keypair.pubkey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeypairPermissionsError);
      const message = (error as Error).message;
      expect(message).toMatch(/^FAILOVER_MANAGER_KEYPAIR_PERMISSIONS: /);
      expect(message).toContain(path);
      expect(message).toContain(`mode 0${mode.toString(8)}`);
      expect(message).toContain(`chmod 600 ${path}`);
      expect(message).not.toContain(keypairToJson(keypair).slice(1, 20));
    },
  );

  it.each([0o600, 0o400])('accepts a file of mode %o', async (mode) => {
    const keypair = generateKeypair();
    const path = join(dir, 'identity.json');
    await writeFile(path, keypairToJson(keypair));
    await chmod(path, mode);
    await expect(loadStakedKeypair(path, keypair.pubkey)).resolves.toMatchObject({ pubkey: keypair.pubkey });
  });
});

describe('checkPushTargets', () => {
  const targets: PushTarget[] = [
    { name: 'validator1', host: '10.0.0.1', ledgerPath: '/ledger' },
    { name: 'validator2', host: '10.0.0.2', ledgerPath: '/ledger' },
  ];

  function pusherAnswering(answers: Record<string, SshResult>): IdentityPusher {
    return {
      validate: async (target) => answers[target.name] ?? { ok: true, commands: [] },
      pushIdentity: async () => ({ ok: false, stage: 'exec', message: 'not used here', commands: [] }),
    };
  }

  it('passes when every validator is reachable with its ledger', async () => {
    await expect(checkPushTargets(pusherAnswering({}), targets)).resolves.toBeUndefined();
  });

  it('names the validator that failed and the stage', async () => {
    const pusher = pusherAnswering({
      validator2: { ok: false, stage: 'host_key', message: 'key differs', commands: [] },
    });
    const error = await checkPushTargets(pusher, targets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecureModeCheckError);
    expect((error as SecureModeCheckError).validator).toBe('validator2');
    expect((error as Error).message).toContain('host_key: key differs');
  });
});

describe('requireTowerWarning', () => {
  it.each([
    ['agave-validator --ledger {ledger} set-identity --require-tower', false],
    ['agave-validator --ledger {ledger} set-identity --require-tower ', false],
    ['fdctl set-identity --config /etc/fd.toml --require-tower -', false],
    ['agave-validator --ledger {ledger} set-identity', true],
    ['agave-validator --ledger {ledger} set-identity --require-towers', true],
  ])('for %j warns: %s', (command, warns) => {
    const warning = requireTowerWarning(command);
    expect(warning === null ? false : /ssh_set_identity_command has no --require-tower/.test(warning)).toBe(warns);
  });
});
