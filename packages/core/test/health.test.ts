import type { HealthInput, HealthReason } from '@failover/core';
import { DEFAULT_HEALTH_THRESHOLDS, EMPTY_RESTART_HISTORY, assessHealth, trackRestarts } from '@failover/core';
import { down, status, up } from './support/observations';

const fresh = { slot: 1000, ageMs: 1000 };

function input(overrides: Partial<HealthInput>): HealthInput {
  return {
    observation: up(status()),
    network: fresh,
    recentRestarts: 0,
    thresholds: DEFAULT_HEALTH_THRESHOLDS,
    ...overrides,
  };
}

describe('assessHealth', () => {
  const cases: [string, HealthInput, HealthReason['kind'][]][] = [
    ['a running, answering, caught-up node is healthy', input({}), []],
    [
      'an unreachable node is unhealthy for that reason alone',
      input({ observation: down('refused') }),
      ['unreachable'],
    ],
    [
      'a stopped process is reported once, not also as RPC unhealthy',
      input({ observation: up(status({ processRunning: false, processHealthy: false, rpcHealthy: false })) }),
      ['process-down'],
    ],
    // Regression: the wire's is_healthy (getHealth) was dropped and process_healthy read as getHealth, so an RPC-unhealthy passive passed.
    [
      'a failing getHealth is RPC unhealthy while the process check passes',
      input({ observation: up(status({ rpcHealthy: false, error: 'getHealth: Node is unhealthy' })) }),
      ['rpc-unhealthy'],
    ],
    [
      'a process the agent sees restarting in a loop is unhealthy',
      input({ observation: up(status({ processHealthy: false })) }),
      ['process-unhealthy'],
    ],
    [
      "the agent's crash-loop verdict is not repeated once the manager counted the restarts",
      input({ observation: up(status({ processHealthy: false })), recentRestarts: 3 }),
      ['crash-loop'],
    ],
    [
      '101 slots behind with a threshold of 100 is lagging',
      input({ observation: up(status({ validatorSlot: 899 })) }),
      ['lagging'],
    ],
    ['exactly 100 slots behind is not lagging', input({ observation: up(status({ validatorSlot: 900 })) }), []],
    ['three restarts in the window is a crash loop', input({ recentRestarts: 3 }), ['crash-loop']],
    ['two restarts in the window is not', input({ recentRestarts: 2 }), []],
    // Regression (F3): an agent left holding the identity after a failed promotion looked healthy, and nobody voted for good.
    [
      'an agent whose promotion failed unconfirmed is unhealthy',
      input({ observation: up(status({ isActive: true, role: 'unconfirmed' })) }),
      ['identity-unconfirmed'],
    ],
    [
      'every broken rule is listed',
      input({ observation: up(status({ rpcHealthy: false, validatorSlot: 10 })), recentRestarts: 5 }),
      ['crash-loop', 'rpc-unhealthy', 'lagging'],
    ],
  ];
  it.each(cases)('%s', (_name, given, expected) => {
    const result = assessHealth(given);
    expect(result.reasons.map((r) => r.kind)).toEqual(expected);
    expect(result.healthy).toBe(expected.length === 0);
  });

  it('does not apply the lag rule against a stale network slot, and says so', () => {
    const result = assessHealth(
      input({ observation: up(status({ validatorSlot: 10 })), network: { slot: 1000, ageMs: 60_000 } }),
    );
    expect(result).toEqual({ healthy: true, reasons: [], notes: [{ kind: 'stale-network-slot', ageMs: 60_000 }] });
  });

  it('does not apply the lag rule without a network slot, and says so', () => {
    const result = assessHealth(input({ observation: up(status({ validatorSlot: 10 })), network: null }));
    expect(result.healthy).toBe(true);
    expect(result.notes).toEqual([{ kind: 'no-network-slot' }]);
  });

  it('gives the numbers of a lag', () => {
    const result = assessHealth(input({ observation: up(status({ validatorSlot: 700 })) }));
    expect(result.reasons).toEqual([{ kind: 'lagging', slotsBehind: 300, threshold: 100 }]);
  });
});

describe('trackRestarts', () => {
  const window = 600_000;

  it('counts a restart when the uptime goes down between two reports', () => {
    let h = trackRestarts(EMPTY_RESTART_HISTORY, status({ processUptimeSec: 500 }), 0, window);
    h = trackRestarts(h, status({ processUptimeSec: 3 }), 5_000, window);
    expect(h.restartsAt).toEqual([5_000]);
  });

  it('counts a crash and the following start as one restart', () => {
    let h = trackRestarts(EMPTY_RESTART_HISTORY, status({ processUptimeSec: 500 }), 0, window);
    h = trackRestarts(h, status({ processRunning: false, processUptimeSec: 0 }), 5_000, window);
    h = trackRestarts(h, status({ processUptimeSec: 2 }), 10_000, window);
    expect(h.restartsAt).toEqual([5_000]);
  });

  it('forgets restarts older than the window', () => {
    let h = trackRestarts(EMPTY_RESTART_HISTORY, status({ processUptimeSec: 500 }), 0, window);
    h = trackRestarts(h, status({ processUptimeSec: 1 }), 1_000, window);
    h = trackRestarts(h, null, 1_000 + window, window);
    expect(h.restartsAt).toEqual([]);
  });

  it('keeps the last uptime while the node is unreachable', () => {
    let h = trackRestarts(EMPTY_RESTART_HISTORY, status({ processUptimeSec: 500 }), 0, window);
    h = trackRestarts(h, null, 5_000, window);
    h = trackRestarts(h, status({ processUptimeSec: 10 }), 10_000, window);
    expect(h.restartsAt).toEqual([10_000]);
  });
});
