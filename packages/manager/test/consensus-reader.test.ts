import type { AlpenglowGenesis, FeatureReading } from '@failover/core';
import { DEFAULT_CONSENSUS_RULES } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { ConsensusRpc, ConsensusSlots, RpcResult } from '@failover/protocol';
import { createConsensusReader } from '../src/consensus-reader';

const RPC = 'http://rpc';
const GENESIS: AlpenglowGenesis = { slot: 7000, blockId: 'Block1111111111111111111111111111' };

/** A cluster endpoint whose answers the test sets; counts the calls made. */
class FakeCluster implements ConsensusRpc {
  cert: RpcResult<AlpenglowGenesis | null> = { ok: true, value: null, endpoint: RPC };
  feature: RpcResult<FeatureReading> = { ok: true, value: { kind: 'absent' }, endpoint: RPC };
  slots: RpcResult<ConsensusSlots> = { ok: true, value: { processed: 1000, finalized: 998 }, endpoint: RPC };
  readonly calls: string[] = [];
  getAgGenesisCert = async (): Promise<RpcResult<AlpenglowGenesis | null>> => {
    this.calls.push('getAgGenesisCert');
    return this.cert;
  };
  getFeature = async (): Promise<RpcResult<FeatureReading>> => {
    this.calls.push('getFeature');
    return this.feature;
  };
  getConsensusSlots = async (): Promise<RpcResult<ConsensusSlots>> => {
    this.calls.push('getConsensusSlots');
    return this.slots;
  };
}

function setUp(rules = DEFAULT_CONSENSUS_RULES) {
  const clock = new SimulatedClock(1_000_000);
  const cluster = new FakeCluster();
  const reader = createConsensusReader({ rpc: () => cluster, rules, clock });
  return { clock, cluster, reader };
}

describe('reading the consensus phase', () => {
  it('takes an RPC without getAgGenesisCert for tower and asks it nothing more', async () => {
    const { cluster, reader } = setUp();
    cluster.cert = { ok: false, reason: 'rpc_error', message: 'Method not found', code: -32601, endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ phase: 'tower' });
    expect(cluster.calls).toEqual(['getAgGenesisCert']);
  });

  it('reads the migration window from the feature account', async () => {
    const { cluster, reader } = setUp();
    cluster.feature = { ok: true, value: { kind: 'activated', activatedAt: 900 }, endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ phase: 'migrating' });
  });

  it('stays alpenglow after a genesis certificate and stops reading the feature account', async () => {
    const { clock, cluster, reader } = setUp();
    cluster.cert = { ok: true, value: GENESIS, endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ phase: 'alpenglow', genesis: GENESIS });
    cluster.cert = { ok: false, reason: 'timeout', message: 'no answer', endpoint: RPC };
    clock.advance(60_000);
    await expect(reader.read()).resolves.toMatchObject({ phase: 'alpenglow' });
    expect(cluster.calls).not.toContain('getFeature');
  });

  it('sees the cluster finalizing once the finalized slot advances, and a standstill when it stops', async () => {
    const { clock, cluster, reader } = setUp();
    cluster.cert = { ok: true, value: GENESIS, endpoint: RPC };
    await reader.read();
    clock.advance(1_000);
    cluster.slots = { ok: true, value: { processed: 1003, finalized: 1001 }, endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ standstill: null });
    clock.advance(DEFAULT_CONSENSUS_RULES.standstillWindowMs + 1);
    await expect(reader.read()).resolves.toMatchObject({ standstill: expect.stringMatching(/has not advanced/) });
  });

  it('is unknown when the endpoint does not answer, and says the phase could not be read', async () => {
    const { cluster, reader } = setUp();
    cluster.cert = { ok: false, reason: 'unreachable', message: 'connection refused', endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ phase: 'unknown' });
  });

  it('takes consensus_phase as given when set', async () => {
    const { cluster, reader } = setUp({ ...DEFAULT_CONSENSUS_RULES, setting: 'alpenglow' });
    cluster.cert = { ok: false, reason: 'rpc_error', message: 'Method not found', code: -32601, endpoint: RPC };
    await expect(reader.read()).resolves.toMatchObject({ phase: 'alpenglow' });
    expect(cluster.calls).toEqual(['getAgGenesisCert', 'getConsensusSlots']);
  });
});
