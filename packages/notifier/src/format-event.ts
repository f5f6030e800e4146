import type {
  BlockCause,
  FailoverEvent,
  FailoverReason,
  HealthReason,
  NodeId,
  StepTiming,
  SwitchoverRefusal,
} from '@failover/core';
import { cap } from './message-doc';
import type { MessageDoc, Span } from './message-doc';

/** How events are worded. */
export interface FormatOptions {
  /** Names shown for nodes, e.g. `{ validator1: 'fra-1 (80.251.153.166)' }`. @default the node ids */
  nodeNames?: Partial<Record<NodeId, string>>;
  /** Prefix for every title, e.g. the validator's name when one chat serves several. */
  label?: string;
}

/** What each kind of plan is called in a title. */
const RUN_NAMES = { switchover: 'Failover', fence: 'Fence', recovery: 'Recovery' } as const;

/** The most steps listed in one message; a rollback that retried many times lists the first ones. */
const MAX_STEPS = 20;

/**
 * Whether an event must reach the operator even when the Telegram queue overflows: anything
 * that says the identity moved, failed to move, or cannot move. Routine news (status, back
 * online, started) is dropped first.
 */
export function isCritical(event: FailoverEvent): boolean {
  switch (event.type) {
    case 'status-report':
    case 'back-online':
    case 'unblocked':
    case 'started':
      return false;
    default:
      return true;
  }
}

/** The message for an event, following the Go tool's wording where it had one. */
export function formatEvent(event: FailoverEvent, options: FormatOptions = {}): MessageDoc {
  const name = (node: NodeId): string => cap(options.nodeNames?.[node] ?? node, 120);
  const doc = describe(event, name);
  return options.label === undefined ? doc : { ...doc, title: [`[${cap(options.label, 60)}] `, ...doc.title] };
}

function describe(event: FailoverEvent, name: (node: NodeId) => string): MessageDoc {
  switch (event.type) {
    case 'started':
      return {
        icon: '▶️',
        title: ['Failover manager started'],
        lines: event.dryRun ? [['Dry run: failovers are logged, not executed.']] : [],
      };
    case 'stopped':
      return { icon: '⏹', title: ['Failover manager stopped'], lines: [['Reason: ', cap(event.reason)]] };
    case 'failover-started':
      return {
        icon: '⏩',
        title: ['Failover started'],
        lines: [route(event.from, event.to, name), ['Reason: ', reasonText(event.reason, name)]],
      };
    case 'failover-complete':
      return {
        icon: '🔄',
        title: ['Failover complete'],
        lines: [
          ['Reason: ', reasonText(event.reason, name)],
          route(event.from, event.to, name),
          ...stepLines(event.steps),
          ['Total: ', { code: duration(event.totalMs) }],
          ...event.warnings.map((w): Span[] => ['⚠️ ', cap(w)]),
        ],
      };
    case 'failover-failed':
      return {
        icon: event.outcome === 'aborted' ? '⚠️' : '🚨',
        title: [
          event.outcome === 'aborted'
            ? 'Failover aborted — nothing changed hands'
            : 'Failover FAILED — operator action needed',
        ],
        lines: [
          route(event.from, event.to, name),
          ['Reason: ', reasonText(event.reason, name)],
          ['Failed step: ', { bold: cap(event.failedStep) }],
          ['Detail: ', cap(event.detail)],
          ...stepLines(event.steps),
        ],
      };
    case 'rolled-back':
      return {
        icon: '↩️',
        title: ['Failover rolled back'],
        lines: [
          [`${name(event.from)} keeps the identity; ${name(event.to)} could not take it.`],
          ['Reason: ', reasonText(event.reason, name)],
          ['Failed step: ', { bold: cap(event.failedStep) }],
          ['Detail: ', cap(event.detail)],
          ...stepLines(event.steps),
        ],
      };
    case 'blocked':
      return { icon: '⛔', title: ['Failover blocked'], lines: [[causeText(event.cause, name)]] };
    case 'unblocked':
      return { icon: '✅', title: ['No longer blocked'], lines: [[causeText(event.cause, name)]] };
    case 'unreachable':
      return {
        icon: '🔴',
        title: [`${name(event.node)} unreachable`],
        lines: [[`${event.reason}: `, cap(event.detail)]],
      };
    case 'back-online':
      return {
        icon: '🟢',
        title: [`${name(event.node)} back online`],
        lines: [['Down for ', { code: duration(event.downForMs) }]],
      };
    case 'status-report':
      return {
        icon: '🟢',
        title: ['Status'],
        lines: [
          ['Active: ', { bold: event.active === null ? 'none' : name(event.active) }],
          ...event.nodes.map((n): Span[] => [
            `• ${name(n.node)}: `,
            n.reachable ? `${n.role}, ${n.healthy ? 'healthy' : 'unhealthy'}` : 'unreachable',
            ...(n.slot === null ? [] : [', slot ', { code: String(n.slot) }]),
          ]),
        ],
      };
    case 'activated':
      return {
        icon: '⭐',
        title: [`${name(event.node)} is now active`],
        lines: event.previous === null ? [] : [[`Previously: ${name(event.previous)}`]],
      };
    case 'fence-started':
      return {
        icon: '🚨',
        title: [`${name(event.node)} came back holding the staked identity — demoting it now`],
        lines: [
          [{ bold: name(event.holder) }, ' holds the identity since the last failover; two holders would double-vote.'],
          [`Only ${name(event.node)} is touched; ${name(event.holder)} keeps voting.`],
        ],
      };
    case 'role-change-warning':
      if (event.action === 'check_promote')
        return {
          icon: '⚠️',
          title: [`${name(event.node)}: pre_promote failed before the switchover`],
          lines: [
            ...event.warnings.slice(0, 5).map((warning) => [cap(warning)]),
            ['It need not succeed: the switchover goes on, and the hook does not run again at the promotion.'],
          ],
        };
      return {
        icon: '⚠️',
        title: [
          `${name(event.node)} ${event.action === 'become_active' ? 'became active' : 'became passive'} with warnings`,
        ],
        lines: [...event.warnings.slice(0, 5).map((warning) => [cap(warning)]), ['The role change stands.']],
      };
    case 'config-warning':
      return { icon: '⚠️', title: [`Configuration: ${cap(event.key, 60)}`], lines: [[cap(event.message)]] };
    case 'failover-resumed':
      return {
        icon: '⏯',
        title: [`${RUN_NAMES[event.plan]} taken up again after a manager restart`],
        lines: [
          route(event.from, event.to, name),
          ['Reason: ', reasonText(event.reason, name)],
          ['Continues with: ', { bold: cap(event.step, 80) }],
          [`Started ${new Date(event.startedAt).toISOString()} by the manager of term ${event.term}.`],
        ],
      };
    case 'no-vote-yet':
      return {
        icon: '⏳',
        title: [
          `${name(event.node)} took the identity but no vote has landed after `,
          { code: duration(event.waitedMs) },
        ],
        lines: [[cap(event.detail)], ['Still waiting; the failover fails if no vote lands in its time limit.']],
      };
    case 'deposed':
      return {
        icon: '🛑',
        title: [`This manager stood down: ${name(event.node)} obeys a newer manager`],
        lines: [
          [cap(deposedText(event))],
          [
            'It sends no more commands. If it should command, restart it: a restart takes a higher term. Otherwise stop it.',
          ],
        ],
      };
    case 'other-manager':
      return {
        icon: '👥',
        title: [`Two managers talk to ${name(event.node)}`],
        lines: [
          ['This manager: ', { code: cap(event.self, 140) }],
          ...event.senders
            .slice(0, MAX_STEPS)
            .map((s): Span[] => ['Also: ', { code: cap(s.sender, 140) }, ` at term ${s.term}`]),
          ['The agents obey only the highest term. Stop the manager that should not run.'],
        ],
      };
    case 'node-name-conflict':
      return {
        icon: '🚨',
        title: [`Both agents answer to the node name `, { code: cap(event.name, 70) }],
        lines: [[cap(nodeNameConflictText(event.name))]],
      };
    case 'paused':
      return {
        icon: '⏸',
        title: ['Automatic failover paused for maintenance'],
        lines: [
          ['Reason: ', cap(event.reason)],
          [
            event.until === null
              ? 'Until resumed: '
              : `Until ${new Date(event.until).toISOString()}, or until resumed: `,
            { code: 'failover-manager resume' },
          ],
          [
            'Alerts and status go on. A validator that fails is not replaced; a second holder of the identity is still demoted.',
          ],
        ],
      };
    case 'resumed':
      return {
        icon: '▶️',
        title: [event.reason === 'expired' ? 'Maintenance pause expired' : 'Automatic failover resumed'],
        lines: [
          ...(event.text === null ? [] : [['Reason: ', cap(event.text)] as Span[]]),
          [`Paused since ${new Date(event.pausedAt).toISOString()}; automatic failover is armed again.`],
        ],
      };
    case 'fence-ended':
      return event.ok
        ? {
            icon: '🛡',
            title: [`${name(event.node)} no longer holds the staked identity`],
            lines: [[{ bold: name(event.holder) }, ' keeps it.'], ...stepLines(event.steps)],
          }
        : {
            icon: '🚨',
            title: [`${name(event.node)} could NOT be demoted — operator action needed`],
            lines: [
              [
                `It may still vote with the staked identity next to ${name(event.holder)}: stop its validator by hand (e.g. `,
                { code: 'systemctl stop' },
                ').',
              ],
              ['Failed step: ', { bold: cap(event.failedStep ?? '') }],
              ['Detail: ', cap(event.detail ?? '')],
              ...stepLines(event.steps),
            ],
          };
  }
}

function route(from: NodeId, to: NodeId, name: (node: NodeId) => string): Span[] {
  return [{ bold: name(from) }, ' → ', { bold: name(to) }];
}

function stepLines(steps: readonly StepTiming[]): Span[][] {
  const shown = steps
    .slice(0, MAX_STEPS)
    .map((s): Span[] => [
      `${s.ok ? '✓' : '✗'} ${cap(s.step, 80)}${s.compensating ? ' (rollback)' : ''}: `,
      { code: duration(s.ms) },
      ...(s.attempts > 1 ? [` (${s.attempts} attempts)`] : []),
    ]);
  if (steps.length > MAX_STEPS) shown.push([`… and ${steps.length - MAX_STEPS} more steps`]);
  return shown.length === 0 ? [] : [['Steps:'], ...shown];
}

/**
 * A failover reason in words. The manager sends the same words as the `reason` of its
 * requests to the agents, so an agent's log and the notification agree.
 */
export function reasonText(reason: FailoverReason, name: (node: NodeId) => string = (n) => n): string {
  if (reason.kind === 'switchover') return cap(`planned switchover: ${reason.text}`);
  if (reason.kind === 'fence')
    return cap(`${name(reason.node)} claims the staked identity that ${name(reason.holder)} holds`);
  if (reason.kind === 'no-voter')
    return cap(
      `nobody was voting: ${name(reason.node)} stepped down on its own; both nodes passive since ${new Date(reason.since).toISOString()} (${reason.ticks} checks)`,
    );
  const why = reason.reasons.map(healthText).join(', ');
  const checks = reason.misses === 1 ? '1 check' : `${reason.misses} missed checks`;
  return cap(`${name(reason.node)} unhealthy after ${checks}${why === '' ? '' : `: ${why}`}`);
}

/**
 * Why a manager stood down, in words; `failover-manager status` shows the same words. `term`
 * equal to `highestTerm` means another sender took that term first.
 */
export function deposedText(deposed: {
  readonly node: NodeId;
  readonly term: number;
  readonly sender: string;
  readonly highestTerm: number;
  readonly highestSender: string;
}): string {
  const why =
    deposed.term < deposed.highestTerm
      ? `its term ${deposed.term} is below term ${deposed.highestTerm}`
      : `its term ${deposed.term} was taken first`;
  return `${deposed.node} obeys term ${deposed.highestTerm} of ${deposed.highestSender}; this manager (${deposed.sender}) sends no commands: ${why}`;
}

/** Why a manager refuses to command when both agents answer to one node name, with the way out. */
export function nodeNameConflictText(name: string): string {
  return `both agents answer to ${name}, so a request signed for one would be obeyed by the other; no command is sent to either. Give each agent its own node_name in validator-config.json (or remove node.json from one agent's state_dir), restart it, and restart this manager.`;
}

/** A broken health rule in a few words; the manager's status answer and table use the same words. */
export function healthText(reason: HealthReason): string {
  switch (reason.kind) {
    case 'unreachable':
      return `unreachable (${reason.reason}: ${reason.detail})`;
    case 'process-down':
      return reason.exitedAt === undefined
        ? 'validator process not running'
        : `validator process exited (seen by its agent at ${new Date(reason.exitedAt).toISOString()})`;
    case 'crash-loop':
      return `crash loop (${reason.restarts} restarts in ${duration(reason.windowMs)})`;
    case 'process-unhealthy':
      return 'validator process restarting in a loop (reported by its agent)';
    case 'rpc-unhealthy':
      return `RPC unhealthy${reason.detail === null ? '' : ` (${reason.detail})`}`;
    case 'lagging':
      return `${reason.slotsBehind} slots behind (threshold ${reason.threshold})`;
    case 'identity-unconfirmed':
      return 'a promotion failed and could not be undone: it may hold the identity but was never seen running it';
  }
}

/**
 * A block cause in words, with what the operator can expect or do. The manager's status
 * answer (`hold`) and its refusal of a switchover use the same words as the notification.
 */
export function causeText(cause: BlockCause, name: (node: NodeId) => string = (n) => n): string {
  switch (cause.kind) {
    case 'startup-grace':
      return `start-up grace period until ${new Date(cause.until).toISOString()}`;
    case 'cooldown':
      return `cooldown after the last failover until ${new Date(cause.until).toISOString()}`;
    case 'passive-unreachable':
      return cap(`the passive ${name(cause.node)} is unreachable: ${cause.detail}`);
    case 'passive-unhealthy':
      // No reasons: the passive's health has not been assessed yet.
      return cap(
        `the passive ${name(cause.node)} is unhealthy: ${cause.reasons.map(healthText).join(', ') || 'not yet assessed'}`,
      );
    case 'old-active-still-voting':
      return `${name(cause.node)} is unreachable but its vote account still votes (last vote ${cause.lastVote}, cluster slot ${cause.clusterSlot}); promoting now could double-vote`;
    case 'no-vote-proof':
      return cap(`${name(cause.node)} is unreachable and there is no proof it stopped voting: ${cause.detail}`);
    case 'stale-tower':
      // Numbers and capped names only, so the operator's way out is never cut off.
      if (cause.file === 'vote-history')
        return `the newest vote history backup ends at ${cause.towerSlot === null ? 'no vote at all' : `slot ${cause.towerSlot}`} but the vote account voted at slot ${cause.lastVote}; refusing to promote ${name(cause.node)}, which could vote again in slots the identity already voted in (Alpenglow). Retrying every heartbeat: a later backup may arrive. To go on, bring the old active back so its vote history is backed up, or copy its vote history file to the tower store. A node that stepped down on a fenced backup kept its vote history aside, suffixed .fenced-TIME beside the file (its /status names it): rename it back while that node is passive and promote it.`;
      return `the newest tower backup ends at ${cause.towerSlot === null ? 'no vote at all' : `slot ${cause.towerSlot}`} but the vote account voted at slot ${cause.lastVote}; refusing to promote ${name(cause.node)}, which could vote against its lockouts. Retrying every heartbeat: a later backup may arrive. To go on, bring the old active back so its tower is backed up, or copy its tower file to the tower store. A node that stepped down on a fenced backup kept its tower aside, suffixed .fenced-TIME beside its tower file (its /status names it): rename it back while that node is passive and promote it.`;
    case 'no-tower-floor':
      // The detail alone is capped, so the operator's way out is never cut off.
      return `refusing to promote ${name(cause.node)}: no tower floor (${cap(cause.detail, 200)}). Without the vote account's last vote an older signed tower could be restored and vote against its lockouts. Re-checked every heartbeat; set vote_account_pubkey, or make the cluster RPC endpoints answer getVoteAccounts.`;
    case 'votes-without-holder':
      return `both nodes report passive, yet the vote account voted at slot ${cause.lastVote} (cluster slot ${cause.clusterSlot}); another machine may be voting with the staked identity. Promoting nobody until its votes stop; check where the identity runs.`;
    // The details alone are capped, so the operator's way out is never cut off.
    case 'migrating':
      return `consensus phase ${cause.phase}: vote evidence proves nothing while the cluster migrates to Alpenglow (${cap(cause.detail, 200)}). No promotion past an unreachable active; a reachable one is still demoted first. Re-checked every heartbeat.`;
    case 'standstill':
      return `Alpenglow standstill: ${cap(cause.detail, 200)}. Every vote account's last vote is frozen and a new voter could not vote either, so no failover until the cluster finalizes again.`;
    case 'vote-account-excluded':
      return `the vote account may not vote this epoch (${cap(cause.detail, 200)}); no failover can fix that. Check its admission ticket (VAT) and its stake rank.`;
    case 'local-not-migrated':
      return `refusing to promote ${name(cause.node)} under Alpenglow: ${cap(cause.detail, 300)}. Bring its validator onto the cluster's Alpenglow genesis first.`;
    case 'both-active':
      return 'both nodes report active; refusing to act until one steps down';
    case 'no-active':
      return 'no node holds the staked identity';
    case 'identity-elsewhere':
      return `gossip shows the staked identity at ${cap(cause.ip, 60)}, which is neither configured node`;
    case 'dry-run':
      return `dry run: would fail over ${name(cause.from)} → ${name(cause.to)}`;
    case 'paused':
      return `paused for maintenance (${cap(cause.reason, 200)}) ${cause.until === null ? 'until resumed' : `until ${new Date(cause.until).toISOString()}`}: no automatic failover or recovery; resume with failover-manager resume`;
    case 'journal-unwritable':
      return cap(
        `the journal cannot be written (${cause.detail}); a step that cannot be recorded is never executed, so nothing is done until the manager is restarted with a writable state_dir`,
      );
  }
}

/** Why a planned switchover was refused, in words; the manager answers `failover-manager switchover` with it. */
export function refusalText(refusal: SwitchoverRefusal, name: (node: NodeId) => string = (n) => n): string {
  switch (refusal.kind) {
    case 'busy':
      return 'a failover is already running';
    case 'no-observation':
      return 'no heartbeat has been observed yet';
    case 'already-active':
      return `${name(refusal.node)} already holds the identity`;
    case 'paused-needs-to':
      return 'the manager is paused for maintenance: a switchover must name the node to take the identity (--to validator1 or --to validator2)';
    default:
      return causeText(refusal, name);
  }
}

/** `850 ms`, `2.4 s`, `3m 05s`, `2h 10m`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
