import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblems, resolveAgentConfigFile } from '@failover/protocol';
import type { AgentConfig, ConfigResult } from '@failover/protocol';

const goAgent = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'go-validator-config.json'), 'utf8')) as Record<
  string,
  unknown
>;
const needs = { validator_identity: 'IDENTITY', ledger_path: '/mnt/ledger' };
const keypairs = {
  staked_keypair_path: '/home/sol/staked-identity.json',
  unstaked_keypair_path: '/home/sol/unstaked identity.json',
};

function configOf(result: ConfigResult<AgentConfig>): AgentConfig {
  if (!result.ok) throw new Error(`expected a config, got:\n${formatProblems(result.problems)}`);
  return result.config;
}

function problemsOf(result: ConfigResult<AgentConfig>): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected problems, got a config');
  return [...result.problems];
}

describe('validator_client profiles', () => {
  it('keeps a Go config on agave with exactly the commands it lists, and nothing added', () => {
    const config = configOf(resolveAgentConfigFile({ raw: goAgent }));
    expect(config.validatorClient).toBe('agave');
    expect(config.processName).toBe('agave-validator');
    expect(config.commands).toEqual({
      identityChange: goAgent.identity_change_command,
      identityRemove: goAgent.identity_remove_command,
      activeIdentitySymlink: goAgent.active_identity_symlink_command,
      passiveIdentitySymlink: goAgent.passive_identity_symlink_command,
      validatorRestart: goAgent.validator_restart_command,
      agentStop: goAgent.agent_stop_command,
      gossipCheck: goAgent.gossip_check_command,
    });
  });

  it('gives agave its set-identity lines from the keypair paths, --require-tower on the staked one', () => {
    const config = configOf(resolveAgentConfigFile({ raw: { ...needs, ...keypairs } }));
    expect(config.commands).toEqual({
      identityChange: 'agave-validator -l /mnt/ledger set-identity --require-tower /home/sol/staked-identity.json',
      identityRemove: "agave-validator -l /mnt/ledger set-identity '/home/sol/unstaked identity.json'",
    });
  });

  it('gives frankendancer fdctl with its config, --force variants and get-identity, and pgrep finds fdctl', () => {
    const config = configOf(
      resolveAgentConfigFile({
        raw: { ...needs, ...keypairs, validator_client: 'frankendancer', fd_config: '/home/fd/config.toml' },
      }),
    );
    expect(config.processName).toBe('fdctl');
    expect(config.fdConfig).toBe('/home/fd/config.toml');
    expect(config.commands).toEqual({
      identityChange: 'fdctl set-identity --config /home/fd/config.toml --require-tower /home/sol/staked-identity.json',
      identityRemove: "fdctl set-identity --config /home/fd/config.toml '/home/sol/unstaked identity.json'",
      identityChangeForce:
        'fdctl set-identity --config /home/fd/config.toml --require-tower --force /home/sol/staked-identity.json',
      identityRemoveForce:
        "fdctl set-identity --config /home/fd/config.toml --force '/home/sol/unstaked identity.json'",
      identityReadback: 'fdctl get-identity --config /home/fd/config.toml',
    });
  });

  it('gives firedancer set-identity without --require-tower or --force, and its config only when set', () => {
    const bare = configOf(resolveAgentConfigFile({ raw: { ...needs, ...keypairs, validator_client: 'firedancer' } }));
    expect(bare.processName).toBe('firedancer');
    expect(bare.commands).toEqual({
      identityChange: 'firedancer set-identity /home/sol/staked-identity.json',
      identityRemove: "firedancer set-identity '/home/sol/unstaked identity.json'",
      identityReadback: 'firedancer get-identity',
    });
    const named = configOf(
      resolveAgentConfigFile({
        raw: { ...needs, ...keypairs, validator_client: 'firedancer', fd_config: '/etc/fd.toml' },
      }),
    );
    expect(named.commands.identityChange).toBe(
      'firedancer set-identity --config /etc/fd.toml /home/sol/staked-identity.json',
    );
    expect(named.commands.identityReadback).toBe('firedancer get-identity --config /etc/fd.toml');
  });

  it('runs an explicit command as written, without the profile --force variant, and keeps the read-back', () => {
    const config = configOf(
      resolveAgentConfigFile({
        raw: {
          ...needs,
          ...keypairs,
          validator_client: 'frankendancer',
          fd_config: '/home/fd/config.toml',
          identity_change_command: 'sudo fdctl set-identity --config {fd_config} --require-tower /keys/staked.json',
          process_name: 'fdctl-custom',
        },
      }),
    );
    expect(config.processName).toBe('fdctl-custom');
    expect(config.commands.identityChange).toBe(
      'sudo fdctl set-identity --config {fd_config} --require-tower /keys/staked.json',
    );
    expect(config.commands.identityChangeForce).toBeUndefined();
    expect(config.commands.identityRemoveForce).toContain('--force');
    expect(config.commands.identityReadback).toBe('fdctl get-identity --config /home/fd/config.toml');
  });

  it('refuses frankendancer without fd_config, saying what needs it', () => {
    const problems = problemsOf(resolveAgentConfigFile({ raw: { ...needs, validator_client: 'frankendancer' } }));
    expect(problems).toEqual([
      {
        path: '/fd_config',
        message:
          'is required when validator_client is "frankendancer": fdctl set-identity and get-identity need the config TOML the validator was started with',
      },
    ]);
  });

  it('refuses one keypair path without the other, and agave profile commands without a ledger', () => {
    expect(
      problemsOf(resolveAgentConfigFile({ raw: { ...needs, staked_keypair_path: '/k.json' } })).map((p) => p.path),
    ).toEqual(['/unstaked_keypair_path']);
    const noLedger = problemsOf(
      resolveAgentConfigFile({ raw: { validator_identity: 'IDENTITY', tower_file_path: '/t.bin', ...keypairs } }),
    );
    expect(noLedger.map((p) => p.path)).toEqual(['/ledger_path']);
  });

  it('refuses an unknown client with the key and the choices', () => {
    const problems = problemsOf(resolveAgentConfigFile({ raw: { ...needs, validator_client: 'jito' } }));
    expect(problems[0]?.path).toBe('/validator_client');
  });

  it('takes the client from --client', () => {
    const config = configOf(resolveAgentConfigFile({ raw: needs, flags: { client: 'firedancer' } }));
    expect(config.validatorClient).toBe('firedancer');
    expect(config.processName).toBe('firedancer');
  });
});
