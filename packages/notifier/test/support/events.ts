import type { FailoverEvent, StepTiming } from '@failover/core';

export const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

export const steps: StepTiming[] = [
  { step: 'demote validator1', ms: 412, attempts: 1, ok: true, compensating: false },
  { step: 'restore tower on validator2', ms: 38, attempts: 2, ok: true, compensating: false },
  { step: 'promote validator2', ms: 1250, attempts: 1, ok: true, compensating: false },
];

export const crashReason = {
  kind: 'unhealthy',
  node: 'validator1',
  misses: 3,
  reasons: [{ kind: 'process-down' }],
} as const;

/** One event of every type, for table tests. */
export const everyEvent: FailoverEvent[] = [
  { type: 'started', at: AT, dryRun: true },
  { type: 'stopped', at: AT, reason: 'SIGTERM' },
  { type: 'failover-started', at: AT, from: 'validator1', to: 'validator2', reason: crashReason },
  {
    type: 'failover-complete',
    at: AT,
    from: 'validator1',
    to: 'validator2',
    reason: crashReason,
    steps,
    totalMs: 1700,
    warnings: [],
  },
  {
    type: 'failover-failed',
    at: AT,
    from: 'validator1',
    to: 'validator2',
    reason: crashReason,
    outcome: 'failed',
    failedStep: 'promote validator2',
    detail: 'set-identity exited 1',
    steps,
  },
  {
    type: 'rolled-back',
    at: AT,
    from: 'validator1',
    to: 'validator2',
    reason: { kind: 'switchover', text: 'upgrade' },
    failedStep: 'promote validator2',
    detail: 'timeout',
    steps,
  },
  {
    type: 'blocked',
    at: AT,
    cause: { kind: 'old-active-still-voting', node: 'validator1', lastVote: 1000, clusterSlot: 1002 },
  },
  {
    type: 'unblocked',
    at: AT,
    cause: {
      kind: 'passive-unhealthy',
      node: 'validator2',
      reasons: [{ kind: 'lagging', slotsBehind: 150, threshold: 100 }],
    },
  },
  { type: 'unreachable', at: AT, node: 'validator1', reason: 'timeout', detail: 'no answer in 5s' },
  { type: 'back-online', at: AT, node: 'validator1', downForMs: 185_000 },
  {
    type: 'status-report',
    at: AT,
    active: 'validator2',
    nodes: [
      { node: 'validator1', reachable: true, role: 'passive', slot: 123, healthy: true },
      { node: 'validator2', reachable: false, role: 'unknown', slot: null, healthy: false },
    ],
  },
  { type: 'activated', at: AT, node: 'validator2', previous: 'validator1' },
  { type: 'fence-started', at: AT, node: 'validator1', holder: 'validator2' },
  {
    type: 'fence-ended',
    at: AT,
    node: 'validator1',
    holder: 'validator2',
    ok: true,
    failedStep: null,
    detail: null,
    steps: [],
  },
  {
    type: 'config-warning',
    at: AT,
    key: 'request_timeout',
    message: 'request_timeout is 500 ms, below the 1000 ms floor',
  },
  { type: 'no-vote-yet', at: AT, node: 'validator2', waitedMs: 15_000, detail: 'no new vote yet (lastVote 120)' },
  {
    type: 'role-change-warning',
    at: AT,
    node: 'validator2',
    action: 'become_active',
    warnings: ['post_promote: post_promote exited with 1: dns update failed'],
  },
  {
    type: 'failover-resumed',
    at: AT,
    plan: 'switchover',
    from: 'validator1',
    to: 'validator2',
    reason: crashReason,
    step: 'promote validator2 (via agent)',
    startedAt: AT - 30_000,
    term: 6,
  },
  {
    type: 'deposed',
    at: AT,
    node: 'validator1',
    term: 4,
    sender: 'manager-aaaaaaaaaaaaaaaa',
    highestTerm: 5,
    highestSender: 'manager-bbbbbbbbbbbbbbbb',
  },
  {
    type: 'other-manager',
    at: AT,
    node: 'validator2',
    self: 'manager-aaaaaaaaaaaaaaaa',
    senders: [{ sender: 'manager-bbbbbbbbbbbbbbbb', term: 5 }],
  },
  { type: 'node-name-conflict', at: AT, name: 'fra-1' },
  { type: 'paused', at: AT, reason: 'kernel upgrade', until: AT + 7_200_000 },
  { type: 'resumed', at: AT, reason: 'expired', text: null, pausedAt: AT - 7_200_000 },
];
