import fc from 'fast-check';
import type { FailoverEvent, FailoverReason } from '@failover/core';
import {
  duration,
  escapeHtml,
  reasonText,
  formatEvent,
  isCritical,
  refusalText,
  renderHtml,
  renderPlain,
} from '@failover/notifier';
import { AT, crashReason, everyEvent, steps } from './support/events';

const titles: Array<[FailoverEvent['type'], string, boolean]> = [
  ['started', '▶️ <b>Failover manager started</b>', false],
  ['stopped', '⏹ <b>Failover manager stopped</b>', true],
  ['failover-started', '⏩ <b>Failover started</b>', true],
  ['failover-complete', '🔄 <b>Failover complete</b>', true],
  ['failover-failed', '🚨 <b>Failover FAILED — operator action needed</b>', true],
  ['rolled-back', '↩️ <b>Failover rolled back</b>', true],
  ['blocked', '⛔ <b>Failover blocked</b>', true],
  ['unblocked', '✅ <b>No longer blocked</b>', false],
  ['unreachable', '🔴 <b>validator1 unreachable</b>', true],
  ['back-online', '🟢 <b>validator1 back online</b>', false],
  ['status-report', '🟢 <b>Status</b>', false],
  ['activated', '⭐ <b>validator2 is now active</b>', true],
  ['fence-started', '🚨 <b>validator1 came back holding the staked identity — demoting it now</b>', true],
  ['fence-ended', '🛡 <b>validator1 no longer holds the staked identity</b>', true],
  ['config-warning', '⚠️ <b>Configuration: request_timeout</b>', true],
  ['role-change-warning', '⚠️ <b>validator2 became active with warnings</b>', true],
  ['no-vote-yet', '⏳ <b>validator2 took the identity but no vote has landed after <code>15.0 s</code></b>', true],
  ['failover-resumed', '⏯ <b>Failover taken up again after a manager restart</b>', true],
  ['deposed', '🛑 <b>This manager stood down: validator1 obeys a newer manager</b>', true],
  ['other-manager', '👥 <b>Two managers talk to validator2</b>', true],
  ['node-name-conflict', '🚨 <b>Both agents answer to the node name <code>fra-1</code></b>', true],
  ['paused', '⏸ <b>Automatic failover paused for maintenance</b>', true],
  ['resumed', '▶️ <b>Maintenance pause expired</b>', true],
];

/** The nodes under the names an operator gave them. */
const NAMED = { nodeNames: { validator1: 'fra-1', validator2: 'ams-1' } } as const;

describe('formatEvent', () => {
  it.each(titles)('titles a %s event "%s" (critical: %s)', (type, title, critical) => {
    const event = everyEvent.find((e) => e.type === type)!;
    expect(renderHtml(formatEvent(event)).split('\n')[0]).toBe(title);
    expect(isCritical(event)).toBe(critical);
  });

  it('reports a completed failover with its reason, route, step timings and total', () => {
    const event = everyEvent.find((e) => e.type === 'failover-complete')!;
    expect(renderHtml(formatEvent(event, NAMED))).toBe(
      [
        '🔄 <b>Failover complete</b>',
        'Reason: fra-1 unhealthy after 3 missed checks: validator process not running',
        '<b>fra-1</b> → <b>ams-1</b>',
        'Steps:',
        '✓ demote validator1: <code>412 ms</code>',
        '✓ restore tower on validator2: <code>38 ms</code> (2 attempts)',
        '✓ promote validator2: <code>1.3 s</code>',
        'Total: <code>1.7 s</code>',
      ].join('\n'),
    );
  });

  it('says that the agent saw the validator exit when one check confirmed it', () => {
    const reason: FailoverReason = {
      kind: 'unhealthy',
      node: 'validator1',
      misses: 1,
      reasons: [{ kind: 'process-down', exitedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678) }],
    };
    expect(reasonText(reason)).toBe(
      'validator1 unhealthy after 1 check: validator process exited (seen by its agent at 2026-01-02T03:04:05.678Z)',
    );
  });

  it('says that nobody was voting, who stepped down on its own, and who is promoted, when a recovery starts', () => {
    const event: FailoverEvent = {
      type: 'failover-started',
      at: AT,
      from: 'validator1',
      to: 'validator2',
      reason: { kind: 'no-voter', node: 'validator1', since: AT - 600, ticks: 3 },
    };
    const text = renderPlain(formatEvent(event, NAMED));
    expect(text).toContain('fra-1 → ams-1');
    expect(text).toContain(
      `nobody was voting: fra-1 stepped down on its own; both nodes passive since ${new Date(AT - 600).toISOString()} (3 checks)`,
    );
  });

  it('says a pre_promote failed at the check before anything changed, and that the switchover goes on without it', () => {
    const event: FailoverEvent = {
      type: 'role-change-warning',
      at: AT,
      node: 'validator2',
      action: 'check_promote',
      warnings: ['pre_promote: pre_promote exited with 1: dns not ready'],
    };
    expect(renderHtml(formatEvent(event, NAMED))).toBe(
      [
        '⚠️ <b>ams-1: pre_promote failed before the switchover</b>',
        'pre_promote: pre_promote exited with 1: dns not ready',
        'It need not succeed: the switchover goes on, and the hook does not run again at the promotion.',
      ].join('\n'),
    );
    expect(isCritical(event)).toBe(true);
  });

  it('says what a pause holds back, what still runs, and how to end it', () => {
    const event = everyEvent.find((e) => e.type === 'paused')!;
    expect(renderPlain(formatEvent(event))).toBe(
      `Automatic failover paused for maintenance; Reason: kernel upgrade; Until ${new Date(AT + 7_200_000).toISOString()}, or until resumed: failover-manager resume; Alerts and status go on. A validator that fails is not replaced; a second holder of the identity is still demoted.`,
    );
  });

  it('words a failover held by a pause, and a switchover refused while paused without a node', () => {
    const blocked: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'paused', reason: 'kernel upgrade', until: null },
    };
    expect(renderPlain(formatEvent(blocked))).toBe(
      'Failover blocked; paused for maintenance (kernel upgrade) until resumed: no automatic failover or recovery; resume with failover-manager resume',
    );
    expect(refusalText({ kind: 'paused-needs-to' })).toMatch(/must name the node .*--to validator1/);
  });

  it('says why a failover is blocked when the old active still votes', () => {
    const event = everyEvent.find((e) => e.type === 'blocked')!;
    expect(renderPlain(formatEvent(event))).toBe(
      'Failover blocked; validator1 is unreachable but its vote account still votes (last vote 1000, cluster slot 1002); promoting now could double-vote',
    );
  });

  it('says what a stale tower holds back, with both slots and what the operator can do', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'stale-tower', node: 'validator2', towerSlot: 4980, lastVote: 5000 },
    };
    const text = renderPlain(formatEvent(event));
    expect(text).toContain(
      'the newest tower backup ends at slot 4980 but the vote account voted at slot 5000; refusing to promote validator2',
    );
    expect(text).toContain('Retrying every heartbeat');
    expect(text).toContain('copy its tower file to the tower store');
    expect(text).toContain('stepped down on a fenced backup kept its tower aside, suffixed .fenced-TIME');
  });

  it('says what a stale vote history holds back under Alpenglow, with both slots and what the operator can do', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'stale-tower', node: 'validator2', file: 'vote-history', towerSlot: 4980, lastVote: 5000 },
    };
    const text = renderPlain(formatEvent(event));
    expect(text).toContain(
      'the newest vote history backup ends at slot 4980 but the vote account voted at slot 5000; refusing to promote validator2',
    );
    expect(text).toContain('Retrying every heartbeat');
    expect(text).toContain('copy its vote history file to the tower store');
  });

  it('says a promotion is refused without a tower floor, why, and what the operator can do', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: {
        kind: 'no-tower-floor',
        node: 'validator2',
        detail: 'vote_account_pubkey is not set (docs/safety.md, "The tower floor")',
      },
    };
    const text = renderPlain(formatEvent(event));
    expect(text).toContain(
      'refusing to promote validator2: no tower floor (vote_account_pubkey is not set (docs/safety.md, "The tower floor"))',
    );
    expect(text).toContain('set vote_account_pubkey');
  });

  it('says both nodes are passive while the vote account still votes, and that another machine may vote', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'votes-without-holder', lastVote: 5000, clusterSlot: 5010 },
    };
    expect(renderPlain(formatEvent(event))).toBe(
      'Failover blocked; both nodes report passive, yet the vote account voted at slot 5000 (cluster slot 5010); another machine may be voting with the staked identity. Promoting nobody until its votes stop; check where the identity runs.',
    );
  });

  const vetoes: [string, FailoverEvent & { type: 'blocked' }, string][] = [
    [
      'migrating',
      { type: 'blocked', at: AT, cause: { kind: 'migrating', phase: 'unknown', detail: 'never read' } },
      'Failover blocked; consensus phase unknown: vote evidence proves nothing while the cluster migrates to Alpenglow (never read). No promotion past an unreachable active; a reachable one is still demoted first. Re-checked every heartbeat.',
    ],
    [
      'standstill',
      {
        type: 'blocked',
        at: AT,
        cause: { kind: 'standstill', detail: 'the finalized slot 900 has not advanced for 12000 ms' },
      },
      "Failover blocked; Alpenglow standstill: the finalized slot 900 has not advanced for 12000 ms. Every vote account's last vote is frozen and a new voter could not vote either, so no failover until the cluster finalizes again.",
    ],
    [
      'vote-account-excluded',
      { type: 'blocked', at: AT, cause: { kind: 'vote-account-excluded', detail: 'epochVoteAccount false' } },
      'Failover blocked; the vote account may not vote this epoch (epochVoteAccount false); no failover can fix that. Check its admission ticket (VAT) and its stake rank.',
    ],
    [
      'local-not-migrated',
      {
        type: 'blocked',
        at: AT,
        cause: { kind: 'local-not-migrated', node: 'validator2', detail: 'it has not migrated' },
      },
      "Failover blocked; refusing to promote validator2 under Alpenglow: it has not migrated. Bring its validator onto the cluster's Alpenglow genesis first.",
    ],
  ];
  it.each(vetoes)('words the %s veto with what the operator can do', (_kind, event, text) => {
    expect(renderPlain(formatEvent(event))).toBe(text);
  });

  it('says a passive is not yet assessed instead of listing no reasons', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'passive-unhealthy', node: 'validator2', reasons: [] },
    };
    expect(renderPlain(formatEvent(event))).toBe(
      'Failover blocked; the passive validator2 is unhealthy: not yet assessed',
    );
  });

  it('says which step a failover taken up after a restart continues with, and when and by which term it began', () => {
    const event = everyEvent.find((e) => e.type === 'failover-resumed')!;
    expect(renderPlain(formatEvent(event))).toBe(
      [
        'Failover taken up again after a manager restart',
        'validator1 → validator2',
        'Reason: validator1 unhealthy after 3 missed checks: validator process not running',
        'Continues with: promote validator2 (via agent)',
        `Started ${new Date(AT - 30_000).toISOString()} by the manager of term 6.`,
      ].join('; '),
    );
  });

  it('says nothing is done until a restart when the journal cannot be written', () => {
    const event: FailoverEvent = {
      type: 'blocked',
      at: AT,
      cause: { kind: 'journal-unwritable', detail: 'ENOSPC: no space left on device' },
    };
    expect(renderPlain(formatEvent(event))).toBe(
      'Failover blocked; the journal cannot be written (ENOSPC: no space left on device); a step that cannot be recorded is never executed, so nothing is done until the manager is restarted with a writable state_dir',
    );
  });

  it('says why a manager stood down and what to do, with both terms', () => {
    const event = everyEvent.find((e) => e.type === 'deposed')!;
    expect(renderPlain(formatEvent(event))).toContain(
      'validator1 obeys term 5 of manager-bbbbbbbbbbbbbbbb; this manager (manager-aaaaaaaaaaaaaaaa) sends no commands: its term 4 is below term 5',
    );
    expect(renderPlain(formatEvent(event))).toContain('restart it: a restart takes a higher term');
  });

  it('names both managers when two talk to one agent', () => {
    const text = renderPlain(formatEvent(everyEvent.find((e) => e.type === 'other-manager')!));
    expect(text).toContain('This manager: manager-aaaaaaaaaaaaaaaa');
    expect(text).toContain('Also: manager-bbbbbbbbbbbbbbbb at term 5');
    expect(text).toContain('The agents obey only the highest term');
  });

  it('tells the operator to stop a node by hand when a fence could not demote it', () => {
    const event: FailoverEvent = {
      type: 'fence-ended',
      at: AT,
      node: 'validator1',
      holder: 'validator2',
      ok: false,
      failedStep: 'demote validator1',
      detail: 'timeout',
      steps: [],
    };
    expect(renderPlain(formatEvent(event))).toContain('validator1 could NOT be demoted — operator action needed');
    expect(renderPlain(formatEvent(event))).toContain('stop its validator by hand');
  });

  it('escapes markup in every interpolated value', () => {
    const event: FailoverEvent = {
      type: 'failover-failed',
      at: AT,
      from: 'validator1',
      to: 'validator2',
      reason: { kind: 'switchover', text: '<i>upgrade</i> & reboot' },
      outcome: 'failed',
      failedStep: 'promote <validator2>',
      detail: 'stderr: <script>alert(1)</script>',
      steps: [],
    };
    const html = renderHtml(formatEvent(event, { nodeNames: { validator1: '<b>fra</b>' }, label: 'a&b' }));
    expect(html).toContain('[a&amp;b] Failover FAILED');
    expect(html).toContain('<b>&lt;b&gt;fra&lt;/b&gt;</b> → <b>validator2</b>');
    expect(html).toContain('planned switchover: &lt;i&gt;upgrade&lt;/i&gt; &amp; reboot');
    expect(html).toContain('Failed step: <b>promote &lt;validator2&gt;</b>');
    expect(html).toContain('Detail: stderr: &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('never lets a value add a tag, whatever it holds (property)', () => {
    const allowedTags = /<\/?(b|code)>/g;
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (name, detail, text) => {
        const event: FailoverEvent = {
          type: 'rolled-back',
          at: AT,
          from: 'validator1',
          to: 'validator2',
          reason: { kind: 'switchover', text },
          failedStep: detail,
          detail,
          steps,
        };
        const html = renderHtml(formatEvent(event, { nodeNames: { validator1: name } }));
        const withoutTags = html.replace(allowedTags, '');
        expect(withoutTags).not.toMatch(/[<>]/);
        expect(withoutTags.replace(/&(?!amp;|lt;|gt;)/g, '')).toBe(withoutTags);
      }),
    );
  });

  it('keeps a message under Telegram’s 4096 characters even with huge details', () => {
    const event: FailoverEvent = {
      type: 'failover-failed',
      at: AT,
      from: 'validator1',
      to: 'validator2',
      reason: crashReason,
      outcome: 'aborted',
      failedStep: 'x'.repeat(10_000),
      detail: '<'.repeat(10_000),
      steps: Array.from({ length: 100 }, (_, i) => ({
        step: `step ${i} ${'y'.repeat(500)}`,
        ms: i,
        attempts: 1,
        ok: true,
        compensating: false,
      })),
    };
    expect(renderHtml(formatEvent(event)).length).toBeLessThan(4096);
  });
});

describe('refusalText', () => {
  it.each([
    [{ kind: 'busy' }, 'a failover is already running'],
    [{ kind: 'no-observation' }, 'no heartbeat has been observed yet'],
    [{ kind: 'already-active', node: 'validator2' }, 'validator2 already holds the identity'],
    [{ kind: 'dry-run', from: 'validator1', to: 'validator2' }, 'dry run: would fail over validator1 → validator2'],
  ] as const)('words the refusal %j as "%s"', (refusal, text) => {
    expect(refusalText(refusal)).toBe(text);
  });
});

describe('duration', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1500, '1.5 s'],
    [59_900, '59.9 s'],
    [185_000, '3m 05s'],
    [7_800_000, '2h 10m'],
  ])('renders %d ms as %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});

it('escapeHtml escapes exactly the characters Telegram requires', () => {
  expect(escapeHtml(`a<b>&"'c`)).toBe(`a&lt;b&gt;&amp;"'c`);
});
