import type { FailoverEvent, ManagerMachineOptions } from '@failover/core';
import { SimulatedClock } from '@failover/core/testing';
import type { LogLevel } from '@failover/core';
import { formatEvent, renderPlain } from '@failover/notifier';
import { createMonitor, type FailoverProgress, type Monitor } from '../src/monitor';
import { createMemoryJournal, type MemoryJournal } from './support/memory-journal';
import { createFakeWorld, SLOT_MS, STAKED, VOTE, type FakeWorld } from './support/fake-world';

const HEARTBEAT_MS = 1000;

interface Harness {
  clock: SimulatedClock;
  world: FakeWorld;
  journal: MemoryJournal;
  monitor: Monitor;
  events: FailoverEvent[];
  logs: { level: LogLevel; message: string }[];
  progress: FailoverProgress[];
  /** Runs `n` heartbeats, letting any failover step finish in simulated time. */
  beats(n: number): Promise<void>;
}

/** The pair and the journal a monitor starts on: fresh ones, or those a stopped monitor left. */
interface Setting {
  readonly clock: SimulatedClock;
  readonly world: FakeWorld;
  readonly journal: MemoryJournal;
  readonly term: number;
}

function harness(machine: ManagerMachineOptions = {}, setting?: Setting, slotCheckIntervalMs = HEARTBEAT_MS): Harness {
  const clock = setting?.clock ?? new SimulatedClock(1_000_000 * SLOT_MS);
  const world = setting?.world ?? createFakeWorld(clock);
  const journal = setting?.journal ?? createMemoryJournal();
  const events: FailoverEvent[] = [];
  const logs: Harness['logs'] = [];
  const progress: FailoverProgress[] = [];
  const record = (level: LogLevel) => (_fields: unknown, message: string) => void logs.push({ level, message });
  const monitor = createMonitor({
    machine: {
      dryRun: false,
      startupGracePeriodMs: 0,
      missesBeforeFailover: 3,
      stakedIdentityPubkey: STAKED,
      voteProof: { staleVoteSlotThreshold: 150 },
      ...machine,
    },
    clock,
    agents: world.agents,
    rpc: world.rpc,
    gossip: undefined,
    voteAccountPubkey: VOTE,
    heartbeatIntervalMs: HEARTBEAT_MS,
    slotCheckIntervalMs,
    executor: { stakedIdentityPubkey: STAKED, pusher: undefined, pushTargets: undefined, pollMs: 100 },
    journal,
    restore: { term: setting?.term ?? 1, journal: journal.state },
    notify: (event) => events.push(event),
    log: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
  });
  monitor.onProgress((p) => progress.push(p));
  const settle = async (): Promise<void> => {
    let idle = false;
    void monitor.idle().then(() => (idle = true));
    for (let i = 0; i < 2000 && !idle; i += 1) {
      for (let j = 0; j < 10; j += 1) await Promise.resolve();
      if (!idle) world.advance(50);
    }
  };
  return {
    clock,
    world,
    journal,
    monitor,
    events,
    logs,
    progress,
    async beats(n) {
      for (let i = 0; i < n; i += 1) {
        await monitor.tick();
        await settle();
        world.advance(HEARTBEAT_MS);
      }
    },
  };
}

const types = (events: FailoverEvent[]): string[] => events.map((e) => e.type);
const failoverCalls = (world: FakeWorld): string[] =>
  (['validator1', 'validator2'] as const).flatMap((id) =>
    world.nodes[id].calls.map((c) => `${id}:${c.action}${c.skipIdentity ? ':skip' : ''}`),
  );

describe('a promotion that does not take (F3)', () => {
  // Regression (F3): a promote retry answered "already active" after a failed set-identity was taken at its word, and verify voting waited 60 s in silence.
  it('does not take a promote answered with success for done until the agent shows a confirmed active with the staked identity', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator2.claimsWithoutIdentity = true;
    h.world.nodes.validator1.healthy = false;
    await h.beats(6);
    const steps = h.progress.flatMap((p) =>
      p.type === 'step-finished' ? [`${p.step}:${p.ok ? 'ok' : 'failed'}`] : [],
    );
    expect(steps.filter((s) => s.startsWith('promote validator2'))).toEqual([
      'promote validator2 (via agent):failed',
      'promote validator2 (via agent):failed',
      'promote validator2 (via agent):failed',
    ]);
    expect(steps.some((s) => s.startsWith('verify voting validator2'))).toBe(false);
    const failed = h.progress.find(
      (p) => p.type === 'step-finished' && !p.ok && p.step.startsWith('promote validator2'),
    );
    expect(failed).toMatchObject({
      detail: expect.stringContaining('reports the role unconfirmed, not a confirmed active'),
    });
    expect(types(h.events)).not.toContain('failover-complete');
    expect(types(h.events).some((t) => t === 'failover-failed' || t === 'rolled-back')).toBe(true);
  });

  it('reports verify voting while it waits: a log line every few seconds and one notification', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator2.mute = true;
    h.world.nodes.validator1.processRunning = false;
    await h.beats(5);
    const waiting = h.logs.filter((l) => l.message.startsWith('verify voting validator2: no vote seen after'));
    expect(waiting.length).toBeGreaterThanOrEqual(10);
    expect(waiting[0]).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/after 5s \(limit 60s\): no new vote yet/),
    });
    const late = h.events.filter((e) => e.type === 'no-vote-yet');
    expect(late).toEqual([expect.objectContaining({ node: 'validator2', waitedMs: expect.any(Number) })]);
    expect(late[0]?.type === 'no-vote-yet' && late[0].waitedMs).toBeGreaterThanOrEqual(15_000);
    expect(types(h.events)).toContain('failover-failed');
  });
});

describe('the monitor', () => {
  it('fails over after the active validator crashes, and reports every step with its time', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.processRunning = false;
    await h.beats(4);
    expect(failoverCalls(h.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
    expect(h.world.nodes.validator2.active).toBe(true);
    const complete = h.events.find((e) => e.type === 'failover-complete');
    expect(complete).toMatchObject({ from: 'validator1', to: 'validator2' });
    if (complete?.type === 'failover-complete') {
      expect(complete.steps.map((s) => s.step)).toEqual([
        'check promote validator2',
        'demote validator1',
        'verify demotion validator1',
        'final tower backup validator1',
        'promote validator2 (via agent)',
        'verify voting validator2',
      ]);
      expect(complete.steps.every((s) => s.ok && s.ms >= 0)).toBe(true);
    }
    expect(h.progress.filter((p) => p.type === 'step-finished')).toHaveLength(6);
  });

  // Regression: with the default slot_check_interval (30 s) the vote account was read every
  // 30 s, but a promotion takes a tower floor only from a reading under 15 s old: a crash in
  // the second half of the interval was held for "no tower floor", and a switchover refused.
  it('reads the vote account often enough for a tower floor, whatever slot_check_interval says', async () => {
    const h = harness({}, undefined, 30_000);
    await h.beats(20);
    h.world.nodes.validator1.processRunning = false;
    await h.beats(4);
    expect(h.events.filter((e) => e.type === 'blocked')).toEqual([]);
    expect(failoverCalls(h.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
    expect(h.world.nodes.validator2.active).toBe(true);
  });

  it('tells the agents why, in the words of the failover notification', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.processRunning = false;
    await h.beats(4);
    const why = 'validator1 unhealthy after 3 missed checks: validator process not running';
    expect([...h.world.nodes.validator1.calls, ...h.world.nodes.validator2.calls].map((c) => c.reason)).toEqual([
      why,
      why,
    ]);
    const complete = h.events.find((e) => e.type === 'failover-complete');
    expect(complete === undefined ? '' : renderPlain(formatEvent(complete))).toContain(`Reason: ${why}`);
  });

  it('does not promote while the unreachable active still votes, says so once, and promotes once it really stopped', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.reachable = false;
    await h.beats(10);
    expect(failoverCalls(h.world)).toEqual([]);
    expect(types(h.events).filter((t) => t === 'blocked')).toEqual(['blocked']);
    expect(h.events.find((e) => e.type === 'blocked')).toMatchObject({
      cause: { kind: 'old-active-still-voting', node: 'validator1' },
    });

    h.world.nodes.validator1.processRunning = false;
    h.world.advance(160 * SLOT_MS);
    await h.beats(3);
    expect(failoverCalls(h.world)).toEqual(['validator2:become_active']);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({
      from: 'validator1',
      to: 'validator2',
    });
  });

  it('without the cluster RPC there is no proof, so an unreachable active is never replaced', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.reachable = false;
    h.world.nodes.validator1.processRunning = false;
    h.world.clusterDown = true;
    h.world.advance(200 * SLOT_MS);
    await h.beats(8);
    expect(failoverCalls(h.world)).toEqual([]);
    expect(h.events.find((e) => e.type === 'blocked')).toMatchObject({ cause: { kind: 'no-vote-proof' } });
  });

  it.each([
    ['the passive is unhealthy', (w: FakeWorld) => (w.nodes.validator2.healthy = false), {}, 'passive-unhealthy'],
    ['the passive is unreachable', (w: FakeWorld) => (w.nodes.validator2.reachable = false), {}, 'passive-unreachable'],
    ['it runs dry', () => undefined, { dryRun: true }, 'dry-run'],
  ])('holds the failover back when %s, and runs no command anywhere', async (_name, arrange, machine, cause) => {
    const h = harness(machine);
    arrange(h.world);
    await h.beats(1);
    h.world.nodes.validator1.processRunning = false;
    await h.beats(6);
    expect(failoverCalls(h.world)).toEqual([]);
    expect(h.events.filter((e) => e.type === 'blocked')).toMatchObject([{ cause: { kind: cause } }]);
  });

  it('honours the start-up grace period, then fails over', async () => {
    const h = harness({ startupGracePeriodMs: 8 * HEARTBEAT_MS });
    h.world.nodes.validator1.processRunning = false;
    await h.beats(6);
    expect(failoverCalls(h.world)).toEqual([]);
    expect(h.events.find((e) => e.type === 'blocked')).toMatchObject({ cause: { kind: 'startup-grace' } });
    await h.beats(4);
    expect(failoverCalls(h.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
  });

  it('rolls back to the old active when the promotion fails and the old active is healthy', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator2.failing = { become_active: 'set-identity failed' };
    const answer = await h.monitor.requestSwitchover('kernel upgrade', null);
    expect(answer.accepted).toBe(true);
    await h.beats(3);
    expect(h.events.find((e) => e.type === 'rolled-back')).toMatchObject({
      failedStep: 'promote validator2 (via agent)',
      detail: expect.stringContaining('set-identity failed'),
    });
    expect(failoverCalls(h.world)).toEqual([
      'validator1:become_passive',
      'validator1:become_active',
      'validator2:become_active',
      'validator2:become_active',
      'validator2:become_active',
      'validator2:become_passive',
    ]);
    expect(h.world.nodes.validator1.active).toBe(true);
    expect(h.world.nodes.validator2.active).toBe(false);
  });

  it('goes on with a switchover whose pre_promote failed without having to succeed, and notifies it before the demotion', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator2.checkPromote = { warnings: ['pre_promote: pre_promote exited with 1: dns not ready'] };
    expect((await h.monitor.requestSwitchover('kernel upgrade', null)).accepted).toBe(true);
    await h.beats(3);
    const warning = h.events.findIndex((e) => e.type === 'role-change-warning');
    expect(h.events[warning]).toMatchObject({
      node: 'validator2',
      action: 'check_promote',
      warnings: ['pre_promote: pre_promote exited with 1: dns not ready'],
    });
    expect(warning).toBeLessThan(h.events.findIndex((e) => e.type === 'failover-complete'));
    expect(failoverCalls(h.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
  });

  it('goes on with a switchover to an agent that predates check_promote (400), and says its hook runs at the promotion', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator2.checkPromote = 'unsupported';
    expect((await h.monitor.requestSwitchover('kernel upgrade', null)).accepted).toBe(true);
    await h.beats(3);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({
      from: 'validator1',
      to: 'validator2',
    });
    expect(h.logs.map((l) => l.message)).toContain(
      "validator2's agent predates check_promote; its pre_promote hook runs at the promotion",
    );
    expect(h.world.nodes.validator2.active).toBe(true);
  });

  it('alerts loudly when the promotion fails and the old active cannot take the identity back', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.processRunning = false;
    h.world.nodes.validator2.failing = { become_active: 'set-identity failed' };
    await h.beats(6);
    const failed = h.events.find((e) => e.type === 'failover-failed');
    expect(failed).toMatchObject({ outcome: 'failed', failedStep: 'promote validator2 (via agent)' });
    // Three bounded attempts, then no rollback onto a crashed validator.
    expect(h.world.nodes.validator2.calls.filter((c) => c.action === 'become_active')).toHaveLength(3);
    expect(h.world.nodes.validator1.calls.map((c) => c.action)).toEqual(['become_passive']);
    expect(h.logs.some((l) => l.level === 'error' && l.message.includes('failed'))).toBe(true);
  });

  it('runs one failover at a time, whatever asks for it', async () => {
    const h = harness();
    await h.beats(2);
    const first = await h.monitor.requestSwitchover('maintenance', null);
    const second = await h.monitor.requestSwitchover('again', null);
    expect(first.accepted).toBe(true);
    expect(second).toEqual({ accepted: false, refusal: { kind: 'busy' } });
    await h.beats(2);
    expect(types(h.events).filter((t) => t === 'failover-started')).toHaveLength(1);
  });

  // Regression: a demotion that outlived its attempt met 409 busy on the retry, and the plan aborted while the agent was still demoting.
  it('waits out a demotion still running on the agent (409 busy) and sends nothing else until it settles', async () => {
    const h = harness();
    await h.beats(2);
    const v1 = h.world.nodes.validator1;
    v1.processRunning = false;
    v1.busy = { until: h.clock.now() + 20_000, role: 'deactivating', thenActive: false };
    await h.beats(30);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({
      from: 'validator1',
      to: 'validator2',
    });
    expect(h.events.some((e) => e.type === 'failover-failed')).toBe(false);
    const sent = v1.calls.map((c) => c.action);
    expect(sent).toEqual(['become_passive', 'become_passive']);
    expect(v1.calls[1]!.at - v1.calls[0]!.at).toBeGreaterThanOrEqual(15_000);
  });

  it('asks the new active for a tower reaching the last vote, and holds a stale one, said once, retried each heartbeat until a backup arrives', async () => {
    const h = harness();
    await h.beats(2);
    const [v1, v2] = [h.world.nodes.validator1, h.world.nodes.validator2];
    v1.reachable = false;
    v1.processRunning = false;
    const lastVote = h.world.lastVote;
    h.world.advance(160 * SLOT_MS);
    v2.towerSlot = lastVote - 12;
    await h.beats(6);
    const blocked = h.events.filter((e) => e.type === 'blocked');
    expect(blocked).toMatchObject([
      { cause: { kind: 'stale-tower', node: 'validator2', towerSlot: lastVote - 12, lastVote } },
    ]);
    const attempts = v2.calls.filter((c) => c.action === 'become_active');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((c) => c.minTowerSlot === lastVote)).toBe(true);
    expect(v2.active).toBe(false);
    expect(types(h.events).filter((t) => t === 'failover-started')).toHaveLength(1);

    v2.towerSlot = lastVote;
    await h.beats(3);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({
      from: 'validator1',
      to: 'validator2',
    });
    expect(v2.active).toBe(true);
  });

  it('demotes the old active that comes back still holding the identity, and never touches the new holder', async () => {
    const h = harness();
    await h.beats(2);
    const [v1, v2] = [h.world.nodes.validator1, h.world.nodes.validator2];
    v1.reachable = false;
    v1.processRunning = false;
    h.world.advance(160 * SLOT_MS);
    await h.beats(3);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({ to: 'validator2' });
    const v2Calls = v2.calls.length;

    // The paused host resumes: its validator never lost the staked identity.
    v1.reachable = true;
    v1.processRunning = true;
    await h.beats(2);
    expect(h.events.find((e) => e.type === 'fence-started')).toMatchObject({
      node: 'validator1',
      holder: 'validator2',
    });
    expect(h.events.find((e) => e.type === 'fence-ended')).toMatchObject({ node: 'validator1', ok: true });
    expect(v1.calls.map((c) => c.action)).toEqual(['become_passive']);
    expect(v2.calls).toHaveLength(v2Calls);
    expect([v1.active, v2.active]).toEqual([false, true]);
    expect(h.monitor.snapshot().state).toMatchObject({ active: 'validator2', holder: 'validator2' });
  });

  // Regression (F1): an active that stepped down on its own left both nodes passive, and the manager only alerted no-active.
  it('promotes the last holder again when it stepped down on its own, sending the vote account last vote as the tower floor', async () => {
    const h = harness();
    await h.beats(2);
    const [v1, v2] = [h.world.nodes.validator1, h.world.nodes.validator2];
    v1.active = false;
    const lastVote = h.world.lastVote;
    await h.beats(4);
    // Both passive is not enough while the vote account's last vote is recent.
    expect(h.events.find((e) => e.type === 'failover-started')).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'blocked').at(-1)).toMatchObject({
      cause: { kind: 'votes-without-holder' },
    });
    h.world.advance(150 * SLOT_MS);
    await h.beats(2);
    expect(h.events.find((e) => e.type === 'failover-started')).toMatchObject({
      from: 'validator1',
      to: 'validator1',
      reason: { kind: 'no-voter', node: 'validator1' },
    });
    expect(v1.calls.map((c) => c.action)).toEqual(['become_active']);
    expect(v1.calls[0]?.minTowerSlot).toBeGreaterThanOrEqual(lastVote);
    expect(v2.calls).toEqual([]);
    expect(h.events.find((e) => e.type === 'failover-complete')).toMatchObject({ to: 'validator1' });
    expect(v1.active).toBe(true);
    expect(h.monitor.snapshot().state).toMatchObject({ active: 'validator1', holder: 'validator1' });
  });
});

describe('the monitor and its journal', () => {
  it('executes a step only once its start is written', async () => {
    const h = harness();
    await h.beats(2);
    h.world.nodes.validator1.processRunning = false;
    await h.beats(2);
    let release: () => void = () => undefined;
    h.journal.gate = new Promise<void>((resolve) => (release = resolve));
    const ticking = h.monitor.tick();
    for (let i = 0; i < 100; i += 1) await Promise.resolve();
    expect(types(h.events)).toContain('failover-started');
    expect(failoverCalls(h.world)).toEqual([]);
    h.journal.gate = undefined;
    release();
    await ticking;
    await h.beats(3);
    expect(failoverCalls(h.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
    const started = h.journal.state.runs[0]?.steps.map((s) => `${s.action.kind} ${s.action.node}`);
    expect(started).toEqual([
      'check-promote validator2',
      'demote validator1',
      'verify-demotion validator1',
      'final-tower-backup validator1',
      'promote validator2',
      'verify-voting validator2',
    ]);
    expect(h.journal.state).toMatchObject({
      holder: { node: 'validator2', term: 1 },
      runs: [{ end: { outcome: 'completed' } }],
    });
  });

  it('runs a step that only reads beside the write of its start, and takes its result once that write is done', async () => {
    const h = harness();
    await h.beats(2);
    let release: () => void = () => undefined;
    h.monitor.onProgress((p) => {
      if (p.type === 'step-finished' && p.step === 'demote validator1')
        h.journal.gate = new Promise<void>((resolve) => (release = resolve));
    });
    h.world.nodes.validator1.processRunning = false;
    await h.beats(2);
    const ticking = h.monitor.tick();
    const started = (): string[] => h.progress.flatMap((p) => (p.type === 'step-started' ? [p.step] : []));
    for (let i = 0; i < 200 && !started().includes('verify demotion validator1'); i += 1) {
      await Promise.resolve();
      h.world.advance(10);
    }
    // verify demotion ran while the write of its start was held; nothing after it was started.
    expect(started().at(-1)).toBe('verify demotion validator1');
    expect(h.journal.state.runs[0]?.steps.map((s) => s.action.kind).at(-1)).toBe('demote');
    for (let i = 0; i < 50; i += 1) await Promise.resolve();
    expect(started()).not.toContain('final tower backup validator1');
    h.journal.gate = undefined;
    release();
    await ticking;
    await h.beats(3);
    expect(h.journal.state.runs[0]?.steps.map((s) => s.action.kind)).toEqual([
      'check-promote',
      'demote',
      'verify-demotion',
      'final-tower-backup',
      'promote',
      'verify-voting',
    ]);
    expect(h.journal.state).toMatchObject({ runs: [{ end: { outcome: 'completed' } }] });
  });

  it.each([
    ['before the first step', undefined, [], 'aborted'],
    ['after the demotion', 'demote validator1', ['validator1:become_passive'], 'failed'],
  ])(
    'executes nothing it could not journal (%s): the failover ends, and every later one is held with an alert',
    async (_name, failAfter, calls, outcome) => {
      const h = harness();
      await h.beats(2);
      const fail = (): void => void (h.journal.failWith = 'ENOSPC: no space left on device');
      if (failAfter === undefined) fail();
      h.monitor.onProgress((p) => {
        if (p.type === 'step-finished' && p.step === failAfter) fail();
      });
      h.world.nodes.validator1.processRunning = false;
      await h.beats(8);
      expect(failoverCalls(h.world)).toEqual(calls);
      // The step after the demotion only reads and ran beside the failed write; its result is dropped, not taken.
      expect(h.progress.filter((p) => p.type === 'step-finished' && p.step.startsWith('verify demotion'))).toEqual([]);
      expect(h.logs.filter((l) => l.message.startsWith('ignored a step result'))).toEqual([]);
      expect(h.events.filter((e) => e.type === 'failover-failed')).toMatchObject([
        { outcome, detail: expect.stringContaining('memory: ENOSPC: no space left on device') },
      ]);
      expect(h.events.filter((e) => e.type === 'blocked')).toMatchObject([{ cause: { kind: 'journal-unwritable' } }]);
      expect(await h.monitor.requestSwitchover('try anyway', null)).toMatchObject({
        accepted: false,
        refusal: { kind: 'journal-unwritable' },
      });
    },
  );

  // Regression: a pause refused because the journal could not be written still showed as PAUSED until a restart.
  it('refuses a pause it cannot journal and does not show it in force', async () => {
    const h = harness();
    await h.beats(2);
    h.journal.failWith = 'EROFS: read-only file system';
    expect(await h.monitor.requestPause('kernel upgrade', null)).toMatchObject({
      accepted: false,
      refusal: { kind: 'journal-unwritable', detail: expect.stringContaining('EROFS') },
    });
    expect(h.monitor.snapshot().state.pause).toBeNull();
    expect(h.events.filter((e) => e.type === 'paused')).toEqual([]);
  });

  it('started again on the journal of a manager killed between the demotion and the promotion, promotes and knows the holder', async () => {
    const first = harness();
    await first.beats(2);
    first.world.nodes.validator1.processRunning = false;
    await first.beats(2);
    first.journal.killedAt = (records) => records.some((r) => r.kind === 'step-started' && r.action.kind === 'promote');
    await first.monitor.tick();
    for (let i = 0; i < 1000 && !first.journal.killed; i += 1) await Promise.resolve();
    expect(first.journal.killed).toBe(true);
    expect(failoverCalls(first.world)).toEqual(['validator1:become_passive']);
    expect(first.world.nodes.validator2.active).toBe(false);

    const journal = createMemoryJournal(first.journal.state);
    const second = harness({}, { clock: first.clock, world: first.world, journal, term: 2 });
    await second.beats(3);
    expect(failoverCalls(second.world)).toEqual(['validator1:become_passive', 'validator2:become_active']);
    expect(second.events.find((e) => e.type === 'failover-resumed')).toMatchObject({
      from: 'validator1',
      to: 'validator2',
      step: 'final tower backup validator1',
      term: 1,
    });
    expect(second.events.find((e) => e.type === 'failover-complete')).toMatchObject({ to: 'validator2' });
    expect(second.monitor.snapshot().state).toMatchObject({ holder: 'validator2', term: 2 });
    expect(journal.state).toMatchObject({
      holder: { node: 'validator2', term: 2 },
      runs: [{ id: 1, term: 1, resumes: [{ term: 2 }], end: { outcome: 'completed', term: 2 } }],
    });
  });

  it('started again to find the old active holding the identity again, does not promote but hands it back', async () => {
    const first = harness();
    await first.beats(2);
    first.journal.killedAt = (records) => records.some((r) => r.kind === 'step-started' && r.action.kind === 'promote');
    expect(await first.monitor.requestSwitchover('kernel upgrade', 'validator2')).toMatchObject({ accepted: true });
    for (let i = 0; i < 1000 && !first.journal.killed; i += 1) await Promise.resolve();
    expect(first.journal.killed).toBe(true);
    // While no manager ran, validator1 was given the identity back by hand.
    first.world.nodes.validator1.active = true;

    const journal = createMemoryJournal(first.journal.state);
    const second = harness({}, { clock: first.clock, world: first.world, journal, term: 2 });
    await second.beats(3);
    expect(failoverCalls(second.world)).toEqual(['validator1:become_passive', 'validator1:become_active']);
    expect(second.events.find((e) => e.type === 'rolled-back')).toMatchObject({
      failedStep: 'final tower backup validator1',
      detail: 'validator1 claims the staked identity; final tower backup validator1 is not taken up (S1)',
    });
    expect([second.world.nodes.validator1.active, second.world.nodes.validator2.active]).toEqual([true, false]);
    expect(journal.state).toMatchObject({
      holder: { node: 'validator1', term: 2 },
      runs: [{ end: { outcome: 'rolled-back' } }],
    });
  });
});

describe("the watch of each agent's validator process", () => {
  /** Lets simulated time pass in small steps, the promises of each step settled. */
  async function pass(h: Harness, ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 10) {
      for (let i = 0; i < 20; i += 1) await Promise.resolve();
      h.world.advance(10);
    }
  }

  it('checks both nodes at once when an agent saw its validator exit, and fails over on that check', async () => {
    const h = harness({ missesBeforeFailover: 5 });
    h.monitor.start();
    await pass(h, 200);
    expect(h.monitor.snapshot().state.active).toBe('validator1');
    const v1 = h.world.nodes.validator1;
    v1.processRunning = false;
    v1.exitedAt = h.clock.now();
    // A fifth of one heartbeat interval, let alone five misses.
    await pass(h, HEARTBEAT_MS / 5);
    expect(types(h.events)).toContain('failover-started');
    expect(h.events.find((e) => e.type === 'failover-started')).toMatchObject({
      reason: { kind: 'unhealthy', misses: 1, reasons: [{ kind: 'process-down', exitedAt: v1.exitedAt }] },
    });
    await h.monitor.stop();
  });

  it('counts misses as before for an exit the agent did not see', async () => {
    const h = harness({ missesBeforeFailover: 5 });
    h.monitor.start();
    await pass(h, 200);
    h.world.nodes.validator1.processRunning = false;
    await pass(h, 3 * HEARTBEAT_MS);
    expect(types(h.events)).not.toContain('failover-started');
    await h.monitor.stop();
  });

  it('asks an agent without /watch once and says so, and asks an unreachable one again only after a heartbeat interval', async () => {
    const h = harness();
    h.world.nodes.validator1.watch = 'unsupported';
    h.world.nodes.validator2.reachable = false;
    h.monitor.start();
    await pass(h, HEARTBEAT_MS / 2);
    expect(h.world.nodes.validator1.watches).toBe(1);
    expect(h.world.nodes.validator2.watches).toBe(1);
    expect(h.logs).toContainEqual({
      level: 'info',
      message: expect.stringContaining('validator1: its agent has no /watch (HTTP 404: Route POST:/watch not found)'),
    });
    await pass(h, 3 * HEARTBEAT_MS);
    expect(h.world.nodes.validator1.watches).toBe(1);
    expect(h.world.nodes.validator2.watches).toBeGreaterThanOrEqual(3);
    expect(h.world.nodes.validator2.watches).toBeLessThanOrEqual(5);
    await h.monitor.stop();
  });
});
