/**
 * What the demo prints: one line per node for the live view, the manager's failover with its
 * step timings, and the judge's verdict. Pure functions of what was observed, so the wording
 * and the pass/fail rule are tested without a cluster.
 */
import type { Violation, VotingGap, VotingGaps } from '@failover/solana-sim';
import type { FailoverReport } from './manager-log';

/** One node as the demo saw it in one sample. */
export interface NodeSample {
  /** Simulator name (`v1`) and the manager's name (`validator1`). */
  readonly name: string;
  readonly node: string;
  /** The manager's view: role, or `unreachable`, or `unknown` before its first heartbeat. */
  readonly role: string;
  /** Identity the validator itself reports; null when its process is down. */
  readonly identity: string | null;
  readonly slot: number | null;
  readonly lag: number | null;
  /** The validator's last vote, from the simulator; null before any or when down. */
  readonly lastVote: number | null;
  /** Whether the validator process answers at all. */
  readonly up: boolean;
  /** Age of the agent's last tower backup in seconds, as the manager last heard it. */
  readonly towerBackupAgeS: number | null;
}

const dash = (value: number | string | null): string => (value === null ? '-' : String(value));

/** `v1 validator1  active   staked   slot 819238  lag 1  last vote 819238  tower backup 2s ago` */
export function renderNodeLine(sample: NodeSample, stakedPubkey: string): string {
  const identity = !sample.up
    ? 'process down'
    : sample.identity === null
      ? '-'
      : sample.identity === stakedPubkey
        ? 'staked id'
        : 'unstaked id';
  return [
    `${sample.name} ${sample.node}`,
    sample.role.padEnd(11),
    identity.padEnd(12),
    `slot ${dash(sample.slot).padEnd(9)}`,
    `lag ${dash(sample.lag).padEnd(4)}`,
    `last vote ${dash(sample.lastVote).padEnd(9)}`,
    `tower backup ${sample.towerBackupAgeS === null ? 'never' : `${sample.towerBackupAgeS}s ago`}`,
  ].join('  ');
}

/** Seconds since the demo started, as a fixed-width prefix: `+  12.0s`. */
export function stamp(elapsedMs: number): string {
  return `+${(elapsedMs / 1000).toFixed(1).padStart(6)}s`;
}

/** The manager's failover, one line per step with its time. */
export function renderFailover(report: FailoverReport): string[] {
  const width = Math.max(0, ...report.steps.map((s) => s.step.length + (s.compensating ? 11 : 0)));
  const title =
    report.outcome === 'failover-complete'
      ? `failover ${report.from} → ${report.to} complete in ${report.totalMs ?? '?'} ms:`
      : `failover ${report.from} → ${report.to} ended ${report.outcome === 'rolled-back' ? 'rolled back' : 'FAILED'}:`;
  return [
    title,
    ...report.steps.map((s) => {
      const label = `${s.step}${s.compensating ? ' (rollback)' : ''}`.padEnd(width);
      return `  ${s.ok ? '✓' : '✗'} ${label}  ${String(s.ms).padStart(6)} ms${s.attempts > 1 ? `  (${s.attempts} attempts)` : ''}`;
    }),
  ];
}

/** What the demo concludes, from the simulator's judge and its own waits. */
export interface Verdict {
  readonly ok: boolean;
  /** Double votes, counting every offending vote of merged entries. */
  readonly doubleVotes: number;
  readonly lockoutViolations: number;
  /** The voting gap across the handover, when voting resumed on the other machine. */
  readonly gap: VotingGap | null;
  /** Why the run failed, when it did. */
  readonly problems: readonly string[];
}

/**
 * Pass only with no violation of either kind, a completed failover, and a closed handover gap
 * from the crashed validator to the other one.
 */
export function decideVerdict(input: {
  violations: readonly Violation[];
  gaps: VotingGaps;
  failover: FailoverReport | undefined;
  from: string;
  to: string;
}): Verdict {
  const count = (kind: Violation['kind']): number =>
    input.violations.filter((v) => v.kind === kind).reduce((sum, v) => sum + v.count, 0);
  const doubleVotes = count('double-vote');
  const lockoutViolations = count('lockout-violation');
  const gap =
    [...input.gaps.handovers]
      .reverse()
      .find((g) => g.fromValidator === input.from && g.toValidator === input.to && g.toSlot !== null) ?? null;
  const problems: string[] = [];
  if (doubleVotes > 0) problems.push(`${doubleVotes} double vote(s): two machines voted with the staked identity`);
  if (lockoutViolations > 0)
    problems.push(`${lockoutViolations} lockout violation(s): a vote below the previous holder's last vote`);
  if (input.failover === undefined) problems.push('the manager reported no finished failover');
  else if (input.failover.outcome !== 'failover-complete')
    problems.push(`the failover ended ${input.failover.outcome}`);
  if (gap === null) problems.push(`voting did not resume on ${input.to}`);
  return { ok: problems.length === 0, doubleVotes, lockoutViolations, gap, problems };
}

/**
 * The verdict, first line machine-readable:
 * `verdict: PASS: 0 double votes, 0 lockout violations, voting gap 16 slots (1716 ms) v1 → v2`.
 */
export function renderVerdict(verdict: Verdict, violations: readonly Violation[]): string[] {
  const gap =
    verdict.gap === null
      ? 'voting gap still open'
      : `voting gap ${verdict.gap.slots} slots (${verdict.gap.ms} ms) ${verdict.gap.fromValidator} → ${verdict.gap.toValidator}`;
  return [
    `verdict: ${verdict.ok ? 'PASS' : 'FAIL'}: ${verdict.doubleVotes} double votes, ${verdict.lockoutViolations} lockout violations, ${gap}`,
    ...verdict.problems.map((p) => `  problem: ${p}`),
    ...violations.map((v) =>
      v.kind === 'double-vote'
        ? `  double vote (${v.reason}) by ${v.validators.join(' and ')}, slots ${v.firstSlot}–${v.lastSlot}, ${v.count} vote(s)`
        : `  lockout violation by ${v.validator} below ${v.previousValidator}'s last vote ${v.previousLastVote}, slots ${v.firstSlot}–${v.lastSlot}`,
    ),
  ];
}
