/**
 * Renders docs/failover-plan.md from core's plan builders, so the page operators read is
 * the plan the manager runs: `createFailoverPlan` + `describePlan` for the manager's side,
 * `becomePassiveSteps` / `becomeActiveSteps` for what an agent does inside `demote` and
 * `promote`. Only the framing prose is written here; every step, attempt count, time limit
 * and compensation comes from core.
 */
import {
  DEFAULT_AGENT_STEP_TIMEOUTS,
  DEFAULT_PLAN_TIMEOUTS,
  OLD_ACTIVE_HEALTHY,
  becomeActiveSteps,
  becomePassiveSteps,
  createFailoverPlan,
  createFencePlan,
  createRecoveryPlan,
  describePlan,
} from '@failover/core';
import type { AgentAction, FailoverPlan, PlanStep } from '@failover/core';
import { AgentConfigSchema, ManagerConfigSchema, parseDuration } from '@failover/protocol';

/** The repository-relative path of the generated page. */
export const FAILOVER_PLAN_DOC_PATH = 'docs/failover-plan.md';

/** The command that rewrites the page; named in its header and in the staleness test. */
export const GENERATE_COMMAND = 'npm run generate -w @failover/docs-check';

/** The plans a manager can run, in the order the page shows them. */
export function documentedPlans(): { readonly title: string; readonly when: string; readonly plan: FailoverPlan }[] {
  return [
    {
      title: 'Old active reachable',
      when: 'The usual case: the active is unhealthy (or an operator asked for a switchover) but its agent still answers.',
      plan: createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true }),
    },
    {
      title: 'Old active unreachable',
      when:
        "The active's agent does not answer. It cannot be told to stop, so the plan starts with the proof that it stopped voting " +
        '(see [safety.md](safety.md#proof-that-an-unreachable-active-stopped-voting)); without proof the manager never gets this far.',
      plan: createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: false }),
    },
    {
      title: 'Secure identity mode',
      when:
        'With `secure_identity_mode: true` the staked keypair lives only on the manager: the agent restores the tower, ' +
        'then the manager pushes the keypair over SSH (see [secure-mode.md](secure-mode.md)).',
      plan: createFailoverPlan({ from: 'validator1', to: 'validator2', fromReachable: true, secureMode: true }),
    },
    {
      title: "With the manager's hooks",
      when:
        'With `hooks.pre_failover` (here with `must_succeed: true`) and `hooks.post_failover` in `manager-config.json`: the ' +
        'pre hook runs once before the first step that changes anything, the post hook once the new active votes. A fence ' +
        'runs neither (see [manager.md](manager.md#manager-hooks)).',
      plan: createFailoverPlan({
        from: 'validator1',
        to: 'validator2',
        fromReachable: true,
        hooks: { preFailover: 'must-succeed', postFailover: true },
      }),
    },
    {
      title: 'Fence: a second claimant',
      when:
        'After the manager gave the identity to `validator2`, `validator1` answers again and claims it (a host that was paused ' +
        'or cut off during the failover was never demoted). It is demoted at once, even in cooldown; `validator2` is never ' +
        'contacted. The holder is the one in the manager’s journal, so it survives a restart; without one (none given yet, or ' +
        'lost in a failed failover) two claimants stay a `both-active` hold.',
      plan: createFencePlan({ node: 'validator1', holder: 'validator2' }),
    },
    {
      title: 'Recovery: nobody holds the identity',
      when:
        'The active stepped down on its own (isolation, watchdog, a fenced backup) and the fault healed before a failover: both ' +
        'nodes answer as settled passives for `misses_before_failover` heartbeats. The last holder takes the identity back when ' +
        'healthy (its tower is the newest), else the other node; nothing is demoted. Never when no holder was ever seen (a fresh ' +
        'install): then `failover-manager switchover --reason TEXT --to NODE` activates one.',
      plan: createRecoveryPlan({ node: 'validator2', lastHolder: 'validator1' }),
    },
  ];
}

/**
 * The agent runs its command steps with `command_timeout` (validator-config.json) in place
 * of core's default, so the page shows the limit an operator actually gets.
 */
function agentStepTimeouts(): { commandMs: number } {
  const commandMs = parseDuration(AgentConfigSchema.properties.command_timeout.default as string);
  if (commandMs === undefined) throw new RangeError('command_timeout default does not parse');
  return { commandMs };
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/** One agent step as a line, in the style of `describePlan`. */
export function describeAgentStep(step: PlanStep<AgentAction>, index: number): string[] {
  const onFailure = step.onFailure === 'continue' ? 'warn and continue' : 'stop';
  const lines = [
    `${index + 1}. ${step.action.kind} — ${step.attempts} attempt(s), ${seconds(step.timeoutMs)} each; on failure: ${onFailure}.`,
    `   Why: ${step.why}`,
  ];
  if (step.fallback !== undefined) {
    lines.push(
      `   Fallback: ${step.fallback.action.kind} (${step.fallback.attempts} attempt(s), ${seconds(step.fallback.timeoutMs)}) — ${step.fallback.why}`,
    );
  }
  if (step.undo !== undefined && step.undo.length > 0) {
    const self = step.undoIfFailed === true ? ' (also when this step fails)' : '';
    lines.push(`   Undo${self}: ${step.undo.map((u) => u.action.kind).join('; ')}`);
  }
  return lines;
}

function codeBlock(lines: readonly string[]): string[] {
  return ['```text', ...lines, '```'];
}

function timeoutTable(): string[] {
  const rows: [string, number][] = [
    ['demote', DEFAULT_PLAN_TIMEOUTS.demoteMs],
    ['verify demotion', DEFAULT_PLAN_TIMEOUTS.verifyDemotionMs],
    ['prove stopped voting', DEFAULT_PLAN_TIMEOUTS.proveStoppedVotingMs],
    ['final tower backup', DEFAULT_PLAN_TIMEOUTS.finalTowerBackupMs],
    ['restore tower', DEFAULT_PLAN_TIMEOUTS.restoreTowerMs],
    ['promote', DEFAULT_PLAN_TIMEOUTS.promoteMs],
    ['verify voting', DEFAULT_PLAN_TIMEOUTS.verifyVotingMs],
  ];
  return [
    '| step | time limit per attempt |',
    '|---|---|',
    ...rows.map(([name, ms]) => `| ${name} | ${seconds(ms)} |`),
  ];
}

/** The whole page. Deterministic: the same core gives the same bytes. */
export function renderFailoverPlanDoc(): string {
  const out: string[] = [
    '# The failover plan',
    '',
    `<!-- generated from @failover/core (createFailoverPlan, describePlan, becomePassiveSteps, becomeActiveSteps) — do not edit; run \`${GENERATE_COMMAND}\` -->`,
    '',
    'Every failover, automatic or a planned `failover-manager switchover`, runs one of the plans below. The manager',
    'runs one step at a time and waits for its result; nothing else starts while a plan is in flight. The plan is',
    'built by `createFailoverPlan()` in `packages/core/src/failover-plan.ts` and printed here by `describePlan()`, so',
    'this page and the manager cannot disagree. Node names are examples: `validator1` is the old active.',
    '',
    "How a step's failure is handled (`packages/core/src/step-sequence.ts`):",
    '',
    '1. A failed attempt with attempts left is retried.',
    '2. A step out of attempts that says "stop" stops the plan, and the *undo* steps of every completed step run,',
    '   latest first (and of the failed step itself when it may have half-happened).',
    '3. The run ends in one of four outcomes, each logged and notified:',
    '   - **completed** — the new active was seen voting;',
    '   - **aborted** — stopped before anything changed hands; the old active keeps the identity;',
    '   - **rolled back** — stopped, and every undo step succeeded;',
    '   - **failed** — an undo step failed, or its guard did not hold: a half-state. The manager records that it',
    "     no longer knows who holds the identity, promotes nobody until the agents' answers show it, and says so",
    '     in the notification. An operator must look.',
    '',
    `Undo steps marked \`if ${OLD_ACTIVE_HEALTHY}\` run only when the old active was healthy in the latest heartbeat:`,
    'handing the identity back to a node that is down would leave nobody voting while claiming success.',
    `After any outcome the manager waits \`failover_cooldown\` (default ${String(ManagerConfigSchema.properties.failover_cooldown.default)}) before another automatic failover.`,
    '',
  ];
  for (const { title, when, plan } of documentedPlans()) {
    out.push(`## ${title}`, '', when, '', ...codeBlock(describePlan(plan)), '');
  }
  out.push(
    '## Inside the agent',
    '',
    'A `demote` step is one `POST /failover {"action": "become_passive"}`; a `promote … via agent` step is one',
    '`POST /failover {"action": "become_active"}` (`skip_identity: true` for `restore tower` in secure mode, which',
    'runs only the first step). The agent runs these steps (`packages/core/src/agent-plan.ts`) and answers when',
    'they end. A demotion that fails keeps the node claiming **active**, the answer that can never produce a second',
    'voter. A promotion that fails is undone and the node stays passive; if an undo step fails too, the node claims',
    'active, since it may hold the staked identity.',
    '',
    '### become_passive',
    '',
    ...codeBlock(becomePassiveSteps(agentStepTimeouts()).flatMap(describeAgentStep)),
    '',
    '### become_active',
    '',
    ...codeBlock(becomeActiveSteps(false, agentStepTimeouts()).flatMap(describeAgentStep)),
    '',
    `Agent step limits: shell commands ${seconds(agentStepTimeouts().commandMs)} (\`command_timeout\`), validator restart`,
    `${seconds(DEFAULT_AGENT_STEP_TIMEOUTS.restartMs)}, tower store ${seconds(DEFAULT_AGENT_STEP_TIMEOUTS.towerMs)}, identity check ${seconds(DEFAULT_AGENT_STEP_TIMEOUTS.checkMs)}.`,
    '',
    '## Time limits',
    '',
    "The manager's per-attempt limits (`DEFAULT_PLAN_TIMEOUTS`); a verify step polls until its limit.",
    '',
    ...timeoutTable(),
    '',
  );
  return out.join('\n');
}
