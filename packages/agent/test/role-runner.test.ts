import type { ObservedIdentity, PeerAnswer, StepResult } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import { createRoleRunner, type RoleRunner } from '../src/role-runner';
import type { CarriedFiles } from '../src/tower-keeper';
import { recordingLogger } from './support/recording-logger';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

interface Setup {
  readonly runner: RoleRunner;
  readonly clock: SimulatedClock;
  readonly steps: string[];
  readonly peerQuestions: () => number;
  readonly log: ReturnType<typeof recordingLogger>;
  /** What the identity checks and reachability probes find. */
  readonly world: { identity: ObservedIdentity; cluster: boolean };
}

function setup(
  initialRole: 'active' | 'passive',
  peer: PeerAnswer,
  execute?: (kind: string, clock: SimulatedClock, timeoutMs: number, carried?: CarriedFiles) => Promise<StepResult>,
): Setup {
  const clock = new SimulatedClock(1_000_000);
  const steps: string[] = [];
  let questions = 0;
  const log = recordingLogger();
  const world: Setup['world'] = { identity: 'unstaked', cluster: true };
  /** The cluster slot a probe reads: it advances with every probe while the cluster answers. */
  let clusterSlot = 5_000;
  const runner = createRoleRunner({
    initialRole,
    clock,
    machine: { managerTimeoutMs: 30_000, startupGraceMs: 60_000, peerCheckIntervalMs: 10_000 },
    executeStep: async (step, _attempt, carried) => {
      steps.push(step.action.kind);
      return execute ? execute(step.action.kind, clock, step.timeoutMs, carried) : { ok: true };
    },
    askPeer: async () => {
      questions++;
      return { answer: peer, detail: peer === 'unreachable' ? 'ECONNREFUSED' : null };
    },
    checkIdentity: async () => ({ identity: world.identity, detail: null }),
    probeReachability: async () => ({
      peer: peer !== 'unreachable',
      clusterSlot: world.cluster ? (clusterSlot += 1) : null,
    }),
    logger: log,
    watchdogIntervalMs: 1_000,
  });
  runner.start();
  return { runner, clock, steps, peerQuestions: () => questions, log, world };
}

async function advance(clock: SimulatedClock, ms: number, stepMs = 1_000): Promise<void> {
  for (let passed = 0; passed < ms; passed += stepMs) {
    clock.advance(stepMs);
    await flush();
  }
}

describe('watchdog', () => {
  it('steps down when the manager is silent past manager_timeout and the peer is active', async () => {
    const s = setup('active', 'active');
    s.runner.heartbeat();
    await advance(s.clock, 29_000);
    expect(s.peerQuestions()).toBe(0);
    await advance(s.clock, 2_000);
    expect(s.peerQuestions()).toBe(1);
    expect(s.runner.role()).toBe('passive');
    expect(s.steps).toEqual([
      'passive-symlink',
      'remove-identity',
      'confirm-unstaked',
      'final-tower-backup',
      'remove-tower-file',
    ]);
    await s.runner.stop();
  });

  it.each<[PeerAnswer]>([['unreachable'], ['passive']])(
    'stays active when the peer is %s, and keeps asking',
    async (answer) => {
      const s = setup('active', answer);
      s.runner.heartbeat();
      await advance(s.clock, 31_000);
      expect(s.runner.role()).toBe('active');
      expect(s.steps).toEqual([]);
      await advance(s.clock, 10_000);
      expect(s.peerQuestions()).toBe(2);
      expect(s.log.text()).toContain(`peer is ${answer}; staying active`);
      await s.runner.stop();
    },
  );

  it('never asks while heartbeats keep arriving', async () => {
    const s = setup('active', 'active');
    for (let i = 0; i < 10; i++) {
      s.runner.heartbeat();
      await advance(s.clock, 10_000);
    }
    expect(s.peerQuestions()).toBe(0);
    expect(s.runner.role()).toBe('active');
    await s.runner.stop();
  });

  it('arms after the start-up grace when the manager was never heard', async () => {
    const s = setup('active', 'active');
    await advance(s.clock, 59_000);
    expect(s.peerQuestions()).toBe(0);
    await advance(s.clock, 2_000);
    expect(s.runner.role()).toBe('passive');
    await s.runner.stop();
  });

  it('does nothing on a passive node', async () => {
    const s = setup('passive', 'active');
    await advance(s.clock, 120_000, 5_000);
    expect(s.peerQuestions()).toBe(0);
    await s.runner.stop();
  });
});

describe('role changes', () => {
  it('fails a step that outlives its time limit, and the demotion does not claim passive', async () => {
    // A hung command is killed by the runner 2 s after its limit, like the command runner does.
    const hangs = (kind: string, clock: SimulatedClock, timeoutMs: number): Promise<StepResult> =>
      kind === 'remove-identity' || kind === 'restart-validator'
        ? new Promise<StepResult>((resolve) =>
            clock.setTimeout(() => resolve({ ok: false, detail: 'killed' }), timeoutMs + 2_000),
          )
        : Promise.resolve({ ok: true });
    const s = setup('active', 'unreachable', hangs);
    const answer = s.runner.request('become_passive', false);
    await flush();
    // remove-identity: 3 attempts of 30 s (+2 s each to end), then the restart fallback, 120 s.
    await advance(s.clock, 3 * 32_000 + 122_000 + 5_000, 1_000);
    await expect(answer).resolves.toMatchObject({
      result: 'failed',
      role: 'active',
      step: 'restart-validator',
      detail: expect.stringContaining('timed out after 120000 ms'),
    });
    expect(s.runner.role()).toBe('active');
    expect(s.steps).toEqual([
      'passive-symlink',
      'remove-identity',
      'remove-identity',
      'remove-identity',
      'restart-validator',
    ]);
    await s.runner.stop();
  });

  it('starts a retry only once the attempt that timed out has ended', async () => {
    const started: number[] = [];
    const s = setup('active', 'unreachable', (kind, clock, timeoutMs) => {
      if (kind !== 'remove-identity') return Promise.resolve({ ok: true });
      started.push(clock.now());
      if (started.length > 1) return Promise.resolve({ ok: true });
      return new Promise<StepResult>((resolve) =>
        clock.setTimeout(() => resolve({ ok: false, detail: 'killed' }), timeoutMs + 2_000),
      );
    });
    const answer = s.runner.request('become_passive', false);
    await advance(s.clock, 80_000, 500);
    await expect(answer).resolves.toMatchObject({ result: 'ok', role: 'passive' });
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(32_000);
    await s.runner.stop();
  });

  it("gives a promotion's restore what its own request carried, never what a refused or later one did", async () => {
    const carriedFrom = (from: string): CarriedFiles => ({ tower: { bytes: Buffer.from(from), from } });
    const seen: Array<string | undefined> = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = setup('passive', 'unreachable', async (kind, _clock, _timeoutMs, carried) => {
      if (kind !== 'restore-tower') return { ok: true };
      seen.push(carried?.tower.from);
      if (seen.length > 1) return { ok: true };
      await gate;
      return { ok: false, detail: 'store down' };
    });
    const first = s.runner.request('become_active', false, 100, undefined, undefined, carriedFrom('validator1'));
    await flush();
    await expect(
      s.runner.request('become_active', false, 100, undefined, undefined, carriedFrom('elsewhere')),
    ).resolves.toMatchObject({ result: 'busy' });
    release();
    await advance(s.clock, 10_000);
    await expect(first).resolves.toMatchObject({ result: 'ok', role: 'active' });

    const demoted = s.runner.request('become_passive', false);
    await advance(s.clock, 10_000);
    await expect(demoted).resolves.toMatchObject({ result: 'ok', role: 'passive' });
    const second = s.runner.request('become_active', false, 100);
    await advance(s.clock, 10_000);
    await expect(second).resolves.toMatchObject({ result: 'ok', role: 'active' });
    expect(seen).toEqual(['validator1', 'validator1', undefined]);
    await s.runner.stop();
  });

  it('undoes a promotion whose identity confirmation fails', async () => {
    const s = setup('passive', 'unreachable', (kind) =>
      Promise.resolve(kind === 'confirm-identity' ? { ok: false, detail: 'still unstaked' } : { ok: true }),
    );
    const answer = s.runner.request('become_active', false);
    await advance(s.clock, 10_000);
    await expect(answer).resolves.toMatchObject({ result: 'failed', role: 'passive' });
    expect(s.steps.slice(-2)).toEqual(['passive-symlink', 'remove-identity']);
    await s.runner.stop();
  });
});

describe('guards', () => {
  it('demotes a staked validator found behind a passive agent, and says so in its alert', async () => {
    const s = setup('passive', 'unreachable');
    s.world.identity = 'staked';
    await advance(s.clock, 2_000);
    expect(s.steps).toEqual(['passive-symlink', 'remove-identity', 'confirm-unstaked', 'remove-tower-file']);
    expect(s.runner.role()).toBe('passive');
    expect(s.runner.alert()).toMatch(/the validator ran the staked identity while this node was passive.*now passive/);
    expect(
      s.log.entries.some((l) => l.level === 'error' && l.message.includes('the validator ran the staked identity')),
    ).toBe(true);
    await s.runner.stop();
  });

  it('steps an active down once the manager, the peer and the cluster RPC have all been silent for isolation_timeout', async () => {
    const s = setup('active', 'unreachable');
    s.world.cluster = false;
    s.runner.heartbeat();
    await advance(s.clock, 19_000);
    expect(s.runner.role()).toBe('active');
    await advance(s.clock, 2_000);
    expect(s.runner.role()).toBe('passive');
    expect(s.runner.alert()).toMatch(/isolated/);
    await s.runner.stop();
  });
});
