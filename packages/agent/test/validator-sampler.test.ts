import { SimulatedClock } from '@failover/core/testing';
import type { LocalRpc, RpcResult } from '@failover/protocol';
import type { ProcessSnapshot } from '../src/process-probe';
import { createValidatorSampler, type ValidatorSampler } from '../src/validator-sampler';

const RPC = 'http://127.0.0.1:8899';
const running: ProcessSnapshot = { running: true, pids: [7], uptimeSeconds: 60, recentRestarts: 0, crashLoop: false };

/** A validator RPC a test answers by hand: each call waits until `answerAll` or `freeze` decides. */
function scriptedRpc() {
  let pending: Array<() => void> = [];
  let frozen = false;
  const call =
    <T>(value: T) =>
    (): Promise<RpcResult<T>> =>
      new Promise((resolve) => {
        if (!frozen) return resolve({ ok: true, value, endpoint: RPC });
        pending.push(() =>
          resolve({ ok: false, reason: 'timeout', message: 'no answer within 1000 ms', endpoint: RPC }),
        );
      });
  const rpc: LocalRpc = {
    getHealth: call(true as const),
    getSlot: call(500),
    getIdentity: call('Ident'),
    getVersion: call('2.3.0'),
  };
  return {
    rpc,
    freeze: () => (frozen = true),
    /** Lets the calls of a frozen validator time out, as their deadline does. */
    timeOut: () => {
      const calls = pending;
      pending = [];
      for (const release of calls) release();
    },
  };
}

/** A sampler of a running validator whose RPC is `rpc`: every 400 ms, each sample due within 1 s. */
function samplerOf(rpc: LocalRpc, clock: SimulatedClock): ValidatorSampler {
  return createValidatorSampler({
    probe: { probe: async () => running },
    localRpc: rpc,
    clock,
    intervalMs: 400,
    deadlineMs: 1_000,
  });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('background validator probe', () => {
  // Regression: the process was read before the RPC answered, so a validator killed during a
  // sample showed as running with an unreachable RPC, and the crash was reported as an RPC fault.
  it('reads the process after the RPC, so a validator that died during the sample shows as down', async () => {
    let killed = false;
    const unreachable = (): Promise<RpcResult<never>> => {
      killed = true;
      return Promise.resolve({ ok: false, reason: 'unreachable', message: 'ECONNRESET', endpoint: RPC });
    };
    const sampler = createValidatorSampler({
      probe: { probe: async () => (killed ? { ...running, running: false, pids: [] } : running) },
      localRpc: { getHealth: unreachable, getSlot: unreachable, getIdentity: unreachable, getVersion: unreachable },
      clock: new SimulatedClock(1_000),
      intervalMs: 400,
      deadlineMs: 1_000,
    });
    await sampler.start();
    expect(sampler.view().sample?.process).toEqual({ ok: true, snapshot: expect.objectContaining({ running: false }) });
    await sampler.stop();
  });

  it('has the first sample in when start() resolves, and refreshes every interval', async () => {
    const clock = new SimulatedClock(1_000);
    const validator = scriptedRpc();
    const sampler = samplerOf(validator.rpc, clock);
    await sampler.start();
    expect(sampler.view()).toMatchObject({
      sample: { startedAt: 1_000, health: { ok: true }, slot: { ok: true, value: 500 } },
      ageMs: 0,
      overdue: null,
    });
    clock.advance(400);
    await settle();
    expect(sampler.view().sample?.startedAt).toBe(1_400);
    await sampler.stop();
  });

  it('reports the RPC overdue once a probe has waited longer than its deadline, without waiting itself', async () => {
    const clock = new SimulatedClock(0);
    const validator = scriptedRpc();
    const sampler = samplerOf(validator.rpc, clock);
    await sampler.start();
    validator.freeze();
    clock.advance(400);
    await settle();
    clock.advance(1_000);
    expect(sampler.view().overdue).toBeNull();
    clock.advance(1);
    expect(sampler.view()).toMatchObject({ ageMs: 1_401, overdue: 'local RPC did not answer within 1001 ms' });
    validator.timeOut();
    await settle();
    expect(sampler.view()).toMatchObject({
      overdue: null,
      sample: { health: { ok: false, message: 'no answer within 1000 ms' } },
    });
    await sampler.stop();
  });

  it('keeps probing after a process probe that throws', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    const probe = {
      probe: async (): Promise<ProcessSnapshot> => {
        calls++;
        if (calls === 1) throw new Error('EACCES /proc');
        return running;
      },
    };
    const sampler = createValidatorSampler({ probe, localRpc: scriptedRpc().rpc, clock, intervalMs: 400 });
    await sampler.start();
    expect(sampler.view().sample?.process).toEqual({ ok: false, error: 'process probe failed: EACCES /proc' });
    clock.advance(400);
    await settle();
    expect(sampler.view().sample?.process).toEqual({ ok: true, snapshot: running });
    await sampler.stop();
  });

  /** A validator whose getIdentity calls wait until the test answers them, oldest first or not. */
  function heldIdentityRpc() {
    const held: Array<(identity: string) => void> = [];
    const rpc: LocalRpc = {
      getHealth: async () => ({ ok: true, value: true, endpoint: RPC }),
      getSlot: async () => ({ ok: true, value: 500, endpoint: RPC }),
      getVersion: async () => ({ ok: true, value: '2.3.0', endpoint: RPC }),
      getIdentity: () =>
        new Promise((resolve) => held.push((identity) => resolve({ ok: true, value: identity, endpoint: RPC }))),
    };
    return { rpc, answer: (index: number, identity: string) => held[index]?.(identity), calls: () => held.length };
  }

  /** A started sampler whose first sample answered, at 400 with the loop's second (call 1) held. */
  async function withLoopSampleHeld() {
    const clock = new SimulatedClock(0);
    const validator = heldIdentityRpc();
    const sampler = samplerOf(validator.rpc, clock);
    const started = sampler.start();
    await settle();
    validator.answer(0, 'Staked');
    await started;
    clock.advance(400);
    await settle();
    expect(validator.calls()).toBe(2);
    return { clock, validator, sampler };
  }

  it.each([
    ['refresh()', (sampler: ValidatorSampler) => sampler.refresh(200).then(() => sampler.view().sample)],
    ['sample()', (sampler: ValidatorSampler) => sampler.sample()],
  ])(
    '%s samples at once, and a loop sample begun earlier that answers later does not replace it',
    async (_name, take) => {
      const { clock, validator, sampler } = await withLoopSampleHeld();
      clock.advance(10);
      const taken = take(sampler);
      await settle();
      validator.answer(2, 'Unstaked');
      const fresh = { startedAt: 410, identity: { ok: true, value: 'Unstaked' } };
      // sample() answers with the sample it took; after refresh(), the latest is that one.
      expect(await taken).toMatchObject(fresh);
      expect(sampler.view().sample).toMatchObject(fresh);
      validator.answer(1, 'Staked');
      await settle();
      expect(sampler.view().sample).toMatchObject(fresh);
      await sampler.stop();
    },
  );

  it('still reports a hung sample overdue when another begun in the same millisecond has answered', async () => {
    const { clock, validator, sampler } = await withLoopSampleHeld();
    // The loop's sample (call 1) and one taken beside it (call 2) begin at 400.
    const taken = sampler.sample();
    await settle();
    expect(validator.calls()).toBe(3);
    validator.answer(2, 'Staked');
    await taken;
    clock.advance(1_001);
    expect(sampler.view().overdue).toBe('local RPC did not answer within 1001 ms');
    validator.answer(1, 'Staked');
    await settle();
    expect(sampler.view().overdue).toBeNull();
    await sampler.stop();
  });

  it('refresh() gives up after its wait when the validator does not answer', async () => {
    const clock = new SimulatedClock(0);
    const validator = scriptedRpc();
    const sampler = samplerOf(validator.rpc, clock);
    await sampler.start();
    validator.freeze();
    let done = false;
    const refreshed = sampler.refresh(200).then(() => (done = true));
    clock.advance(199);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await refreshed;
    expect(sampler.view().sample?.startedAt).toBe(0);
    validator.timeOut();
    await sampler.stop();
  });
});
