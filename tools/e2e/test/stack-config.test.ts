import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { resolveAgentConfigFile, resolveManagerConfigFile } from '@failover/protocol';
import {
  agentConfig,
  managerConfig,
  shellQuote,
  type AgentConfigInput,
  type ManagerConfigInput,
} from '../src/stack-config';

const staked = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

const agentInput = (overrides: Partial<AgentConfigInput> = {}): AgentConfigInput => ({
  validator: {
    ip: '127.0.0.2',
    rpcUrl: 'http://127.0.0.2:8899',
    processName: 'agave-val-v1',
    ledgerDir: '/tmp/sim dir/v1/ledger',
    identitySymlink: '/tmp/sim dir/v1/identity.json',
    stakedKeypairPath: '/tmp/sim dir/keys/staked-identity.json',
    unstakedKeypairPath: '/tmp/sim dir/v1/unstaked-identity.json',
  },
  stakedPubkey: staked,
  listen: '127.0.0.2:8080',
  peerUrl: 'http://127.0.0.3:8080',
  secretPath: '/tmp/stack/auth-secret',
  stateDir: '/tmp/stack/state/v1',
  towerStore: { kind: 'directory', dir: '/tmp/stack/towers' },
  restartCommand: 'touch /tmp/stack/restart-v1',
  isActiveOnStart: true,
  dryRun: false,
  managerTimeoutMs: 10_000,
  startupGraceMs: 10_000,
  ...overrides,
});

const managerInput: ManagerConfigInput = {
  nodes: [
    { endpoint: 'http://127.0.0.2:8080', ip: '127.0.0.2', ledgerPath: '/tmp/v1/ledger' },
    { endpoint: 'http://127.0.0.3:8080', ip: '127.0.0.3', ledgerPath: '/tmp/v2/ledger' },
  ],
  clusterRpc: 'http://127.0.0.1:8899',
  stakedPubkey: staked,
  votePubkey: '8xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU',
  secretPath: '/tmp/stack/auth-secret',
  stateDir: '/tmp/stack/state/manager',
  controlListen: '127.0.0.1:8079',
  heartbeatMs: 400,
  misses: 3,
  requestTimeoutMs: 500,
  slotThreshold: 50,
  staleVoteSlots: 16,
  guardBoundMs: 2_000,
  startupGraceMs: 1000,
  cooldownMs: 30_000,
  dryRun: false,
};

describe('the config files the stack writes', () => {
  it.each([
    ['the directory tower store', agentInput()],
    ['the etcd tower store', agentInput({ towerStore: { kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] } })],
  ])('gives the agent a validator-config.json its loader accepts, with %s', (_name, input) => {
    const result = resolveAgentConfigFile({ raw: agentConfig(input), env: {} });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  // F1: the agent's 20 s default outlasted the campaign's 4 s proof window, so an isolated active never stepped down before the manager promoted past it.
  it('gives the agent the isolation_timeout it is built with, in a form its loader reads back', () => {
    const result = resolveAgentConfigFile({ raw: agentConfig(agentInput({ isolationTimeoutMs: 2_000 })), env: {} });
    expect(result.ok && result.config.isolationTimeoutMs).toBe(2_000);
    expect(agentConfig(agentInput())).not.toHaveProperty('isolation_timeout');
  });

  it("uses the Go README's command templates, with paths quoted for bash", () => {
    const config = agentConfig(agentInput());
    expect(config['identity_change_command']).toBe(
      "agave-validator -l '/tmp/sim dir/v1/ledger' set-identity --require-tower '/tmp/sim dir/keys/staked-identity.json'",
    );
    expect(config['identity_remove_command']).toBe(
      "agave-validator -l '/tmp/sim dir/v1/ledger' set-identity '/tmp/sim dir/v1/unstaked-identity.json'",
    );
    expect(config['passive_identity_symlink_command']).toBe(
      "ln -sf '/tmp/sim dir/v1/unstaked-identity.json' '/tmp/sim dir/v1/identity.json'",
    );
    expect(config['gossip_check_command']).toBe('solana -ut gossip | grep {validator_identity}');
    expect(config['tower_file_path']).toBe('/tmp/sim dir/v1/ledger/tower-1_9-{validator_identity}.bin');
  });

  it('gives the manager a manager-config.json its loader accepts, with and without Telegram and secure mode', () => {
    const secure = {
      keypairPath: '/tmp/keys/staked-identity.json',
      sshUser: 'solana',
      sshKeyPath: '/tmp/sshd/client_ed25519',
      knownHostsPath: '/tmp/stack/known_hosts',
      setIdentityCommand: '/repo/bin/agave-validator --ledger {ledger} set-identity --require-tower',
      authorizedVoterCommand: '/repo/bin/agave-validator --ledger {ledger} authorized-voter add',
      sshPorts: [2201, 2202] as const,
    };
    for (const input of [
      managerInput,
      { ...managerInput, telegram: { token: '123:abc', chatId: '-100', apiRoot: 'http://127.0.0.1:9000' } },
      { ...managerInput, secure },
    ]) {
      const result = resolveManagerConfigFile({ raw: managerConfig(input), env: {} });
      expect(result.ok ? [] : result.problems).toEqual([]);
    }
    const resolved = resolveManagerConfigFile({ raw: managerConfig({ ...managerInput, secure }), env: {} });
    expect(resolved.ok && resolved.config.validators.map((v) => v.sshPort)).toEqual([2201, 2202]);
    expect(resolved.ok && resolved.config.secureIdentity?.setIdentityCommand).toBe(secure.setIdentityCommand);
  });

  it.each([
    ['leaves a plain path alone', '/tmp/a-b_c/x.json', '/tmp/a-b_c/x.json'],
    ['quotes a path with a space', '/tmp/a b', "'/tmp/a b'"],
    ['closes and reopens the quote around a single quote', "/tmp/it's", "'/tmp/it'\\''s'"],
    ['quotes shell syntax so it stays text', '/tmp/$(reboot)', "'/tmp/$(reboot)'"],
  ])('shellQuote %s', (_name, input, quoted) => {
    expect(shellQuote(input)).toBe(quoted);
  });
});

describe('shellQuote', () => {
  it('makes bash read any string back as itself', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        (value) => {
          const echoed = execFileSync('bash', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
          expect(echoed).toBe(value);
        },
      ),
      { numRuns: 60 },
    );
  });
});
