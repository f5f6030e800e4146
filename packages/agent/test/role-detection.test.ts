import { generateKeypair, type GossipNode } from '@failover/core';
import type { RpcResult } from '@failover/protocol';
import type { CommandResult } from '../src/command-runner';
import { detectStartRole, type RoleSources } from '../src/role-detection';
import { recordingLogger } from './support/recording-logger';

const staked = generateKeypair().pubkey;
const unstaked = generateKeypair().pubkey;
const LOCAL = '10.0.0.1';
const PEER = '10.0.0.2';
const RPC = 'http://127.0.0.1:8899';

const identity =
  (value: string): (() => Promise<RpcResult<string>>) =>
  () =>
    Promise.resolve({ ok: true, value, endpoint: RPC });
const rpcDown: () => Promise<RpcResult<never>> = () =>
  Promise.resolve({ ok: false, reason: 'unreachable', message: 'ECONNREFUSED', endpoint: RPC });
const gossip =
  (ip: string | null, exitCode = 0): (() => Promise<CommandResult>) =>
  () =>
    Promise.resolve({
      ok: exitCode === 0,
      exitCode,
      stdout: ip ? `${ip}  | ${staked} | 8001   | 8004  | 8010     | ${ip}:8899 | 2.3.0\n` : '',
      stderr: '',
      durationMs: 1,
      timedOut: false,
      dryRun: false,
      command: 'solana gossip | grep',
    });
const nodes =
  (ip: string | null): (() => Promise<RpcResult<readonly GossipNode[]>>) =>
  () =>
    Promise.resolve({ ok: true, value: ip ? [{ pubkey: staked, ip, gossipPort: 8001 }] : [], endpoint: RPC });

const cases: Array<[string, Partial<RoleSources>, 'active' | 'passive', string]> = [
  [
    'the validator runs the staked identity, whatever gossip says',
    { localIdentity: identity(staked), gossipCheck: gossip(PEER) },
    'active',
    'local-identity',
  ],
  [
    'the validator runs another identity, whatever gossip says',
    { localIdentity: identity(unstaked), gossipCheck: gossip(LOCAL) },
    'passive',
    'local-identity',
  ],
  [
    'the RPC is down and gossip shows this IP',
    { localIdentity: rpcDown, gossipCheck: gossip(LOCAL) },
    'active',
    'gossip-command',
  ],
  [
    'the RPC is down and gossip shows the peer',
    { localIdentity: rpcDown, gossipCheck: gossip(PEER) },
    'passive',
    'gossip-command',
  ],
  [
    'the gossip command fails; getClusterNodes shows this IP',
    { localIdentity: rpcDown, gossipCheck: gossip(null, 1), clusterNodes: nodes(LOCAL) },
    'active',
    'cluster-rpc',
  ],
  [
    'only getClusterNodes, showing the peer',
    { localIdentity: rpcDown, clusterNodes: nodes(PEER) },
    'passive',
    'cluster-rpc',
  ],
  [
    'every check fails, is_active_on_start true',
    { localIdentity: rpcDown, gossipCheck: gossip(null, 1), isActiveOnStart: true },
    'active',
    'is_active_on_start',
  ],
  [
    'every check fails, is_active_on_start false',
    { localIdentity: rpcDown, gossipCheck: gossip(null, 1) },
    'passive',
    'is_active_on_start',
  ],
];

describe('role at start-up', () => {
  it.each(cases)('%s', async (_case, sources, role, decidedBy) => {
    const result = await detectStartRole({
      stakedIdentity: staked,
      isActiveOnStart: false,
      localIp: LOCAL,
      logger: recordingLogger(),
      ...sources,
    });
    expect(result).toMatchObject({ role, decidedBy });
  });

  it('warns when gossip and the validator disagree', async () => {
    const logger = recordingLogger();
    await detectStartRole({
      stakedIdentity: staked,
      isActiveOnStart: false,
      localIp: LOCAL,
      logger,
      localIdentity: identity(staked),
      gossipCheck: gossip(PEER),
    });
    expect(logger.text()).toContain('trusting the validator');
  });
});
