/**
 * One trial: a fresh stack (simulated cluster, two agents, the manager, a 3-member etcd as the
 * tower store, the fake Telegram, every link through a cuttable proxy), the seed's schedule of
 * faults — or a scripted class's script, with a recorder on the manager's path to each agent —
 * a heal of everything, a settling period, then the verdict. The stack is always stopped; the
 * logs of a failed trial are kept for the finding.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, type ManagerLog, type Stack, type StackOptions } from '@failover/e2e';
import type { Violation, VoteRecord } from '@failover/solana-sim';
import { TRIAL_MIGRATION_SLOTS } from './alpenglow-plans';
import { runAlpenglow } from './alpenglow-runs';
import { startEtcd, type EtcdCluster } from '@failover/testkit';
import { withElection } from './election-kit';
import { lowerTermsObeyed, termExchanges, timeToVoter } from './fencing-checks';
import { needsElection } from './fencing-plans';
import { runFencing } from './fencing-runs';
import { gapWindows, openGapWaitMs, type GapWindowOptions } from './gap-windows';
import { CONTROL_KINDS } from './guard-plans';
import { guardStackOptions, runGuard } from './guard-runs';
import { inject, type Injected } from './inject';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy';
import { describeFault, describeSchedule, isAlpenglowScenario, isGuardScenario, type Schedule } from './schedule';
import type { ScriptContext } from './script-kit';
import { budgetOf, type CampaignSettings } from './settings';
import { judgeTrial, type FaultSpan, type TrialVerdict } from './verdict';

/** What a trial needs besides its schedule. */
export interface TrialOptions {
  readonly settings: CampaignSettings;
  /** After voting resumed following the final heal, watch this long for late violations; @default 4000 */
  readonly settleMs?: number;
  /** Copy the logs of a failed trial under this directory; @default none */
  readonly keepLogsDir?: string;
  /** Progress lines (the schedule, each injection); @default silent */
  readonly log?: (line: string) => void;
}

/** The result of one trial, as the table and the JSON show it. */
export interface TrialResult {
  readonly seed: number;
  /** The scripted class of the trial, or `faults`. */
  readonly class: string;
  /**
   * A control trial (`zombie-unguarded`): the judge is expected to find a double vote, and the
   * trial passes when it does.
   */
  readonly control: boolean;
  readonly schedule: readonly string[];
  /** Faults as injected, with their resolved targets. */
  readonly injected: readonly string[];
  readonly pass: boolean;
  readonly outcome: TrialVerdict['outcome'] | 'harness-error';
  readonly gapSlots: number;
  readonly gapMs: number;
  /**
   * From the first fault (a fencing class: its fault, e.g. the kill) until the staked identity
   * had a voter again, from the judge's votes; null when nobody voted at the end.
   */
  readonly timeToVoterMs: number | null;
  readonly failovers: number;
  readonly notes: readonly string[];
  readonly durationMs: number;
  /** Where the logs were kept, for a failed trial. */
  readonly logs: string | undefined;
}

const POLL_MS = 200;

/** Runs one trial of `schedule`; never throws (a harness failure is a failed result). */
export async function runTrial(schedule: Schedule, options: TrialOptions): Promise<TrialResult> {
  const log = options.log ?? ((): void => undefined);
  const started = Date.now();
  log(`seed ${schedule.seed}: ${describeSchedule(schedule).join('; ')}`);
  const s = options.settings;
  const cls = classOf(schedule);
  const control = CONTROL_KINDS.has(cls);
  const scenario = schedule.scenario;
  const own: Pick<StackOptions, 'hostGuard' | 'editManagerConfig'> =
    scenario !== undefined && isGuardScenario(scenario) ? guardStackOptions(scenario) : {};
  const election =
    scenario !== undefined && !isGuardScenario(scenario) && !isAlpenglowScenario(scenario) && needsElection(scenario);
  let stack: Stack | undefined;
  // The election classes' managers run on the stack's etcd, so the trial starts it and knows its endpoints.
  let electionEtcd: EtcdCluster | undefined;
  const deferred: Array<() => Promise<void>> = [];
  // A fencing trial puts a recorder on the manager's path to each agent.
  const recorders = new Map<string, RecordingProxy>();
  try {
    if (scenario !== undefined)
      for (const agent of ['v1', 'v2']) {
        const recorder = await startRecordingProxy(agent);
        recorders.set(agent, recorder);
        deferred.push(() => recorder.stop());
      }
    if (election) electionEtcd = await startEtcd({ members: 3 });
    const etcd = electionEtcd;
    stack = await startStack({
      slotMs: s.slotMs,
      towerStore: 'etcd',
      etcdMembers: 3,
      ...(etcd !== undefined ? { etcd } : {}),
      links: true,
      telegram: true,
      heartbeatMs: s.heartbeatMs,
      misses: s.misses,
      requestTimeoutMs: s.requestTimeoutMs,
      staleVoteSlots: s.staleVoteSlots,
      graceMs: s.graceMs,
      cooldownMs: s.cooldownMs,
      agentManagerTimeoutMs: s.agentManagerTimeoutMs,
      editAgentConfig: (config) => ({ ...config, command_timeout: `${s.commandTimeoutMs}ms` }),
      ...(own.hostGuard !== undefined ? { hostGuard: own.hostGuard } : {}),
      // An Alpenglow trial's cluster starts on TowerBFT, ready to switch when its script says.
      ...(scenario !== undefined && isAlpenglowScenario(scenario)
        ? { alpenglowMigrationSlots: TRIAL_MIGRATION_SLOTS }
        : {}),
      editManagerConfig: (config) => {
        const classEdited = own.editManagerConfig?.(config) ?? config;
        const edited = etcd === undefined ? classEdited : withElection(classEdited, etcd.endpoints);
        return recorders.size > 0 ? throughRecorders(edited, recorders) : edited;
      },
    });
    const context: ScriptContext = {
      stack,
      recorders,
      log,
      defer: (cleanup) => deferred.push(cleanup),
    };
    const result = await observe(context, schedule, options);
    const failed = !result.pass;
    const logs =
      failed && options.keepLogsDir !== undefined ? keepLogs(stack, options.keepLogsDir, schedule.seed) : undefined;
    return { ...result, durationMs: Date.now() - started, logs };
  } catch (error) {
    const logs =
      stack !== undefined && options.keepLogsDir !== undefined
        ? keepLogs(stack, options.keepLogsDir, schedule.seed)
        : undefined;
    return {
      seed: schedule.seed,
      class: cls,
      control,
      schedule: describeSchedule(schedule),
      injected: [],
      pass: false,
      outcome: 'harness-error',
      gapSlots: 0,
      gapMs: 0,
      timeToVoterMs: null,
      failovers: 0,
      notes: [(error as Error).message],
      durationMs: Date.now() - started,
      logs,
    };
  } finally {
    for (const cleanup of deferred.reverse()) await cleanup().catch(() => undefined);
    await stack?.stop();
    await electionEtcd?.stop();
  }
}

/** The class a trial is counted under: its scripted class, or `faults` for a schedule of faults. */
export function classOf(schedule: Schedule): string {
  return schedule.scenario?.kind ?? 'faults';
}

/** The manager's config with each agent's endpoint behind its recorder. */
function throughRecorders(
  config: Record<string, unknown>,
  recorders: ReadonlyMap<string, RecordingProxy>,
): Record<string, unknown> {
  const edited = { ...config };
  for (const [agent, key] of [
    ['v1', 'validator1'],
    ['v2', 'validator2'],
  ] as const) {
    const node = config[key] as Record<string, unknown>;
    const recorder = recorders.get(agent)!;
    recorder.target = String(node['endpoint']);
    edited[key] = { ...node, endpoint: recorder.url };
  }
  return edited;
}

/** What happened in the fault window, faults or a fencing script alike. */
interface WindowRecord {
  readonly windowStart: number;
  readonly spans: readonly FaultSpan[];
  readonly injected: readonly string[];
  readonly notes: readonly string[];
  readonly failures: readonly string[];
  readonly sinceMs: number;
  readonly otherManagers: readonly ManagerLog[];
}

async function observe(
  context: ScriptContext,
  schedule: Schedule,
  options: TrialOptions,
): Promise<Omit<TrialResult, 'durationMs' | 'logs'>> {
  const { stack, log } = context;
  const budget = budgetOf(options.settings);
  const cluster = stack.cluster;
  // Faults start once the active votes steadily and the manager's grace period is over.
  await cluster.waitFor(
    'the active to vote steadily',
    async () => (await cluster.judge.votes()).filter((v) => v.landed).length >= 10,
    { timeoutMs: 20_000 },
  );
  await sleep(options.settings.graceMs);

  const telegramMs: number[] = [];
  const telegram = stack.telegram;
  const sampler = setInterval(() => {
    while (telegram !== undefined && telegramMs.length < telegram.messages.length) telegramMs.push(Date.now());
  }, POLL_MS);
  let window: WindowRecord;
  try {
    if (schedule.scenario === undefined) {
      window = await runFaults(stack, schedule, log);
    } else {
      const windowStart = Date.now();
      const scenario = schedule.scenario;
      const run = isGuardScenario(scenario)
        ? await runGuard(scenario, context)
        : isAlpenglowScenario(scenario)
          ? await runAlpenglow(scenario, context)
          : await runFencing(scenario, context);
      for (const label of run.injected) log(`  ${label}`);
      const terms = termExchanges([...context.recorders.values()].flatMap((r) => r.exchanges));
      window = { windowStart, ...run, failures: [...run.failures, ...lowerTermsObeyed(terms)] };
    }
  } finally {
    clearInterval(sampler);
  }
  const { windowStart, spans, injected, notes } = window;

  const healedAt = Date.now();
  // Settle: voting must resume within the budget of the heal; then keep watching, since a
  // machine that comes back with the staked identity votes only after its heal.
  const resumed = await waitUntil(
    async () => (await cluster.judge.votes()).some((v) => v.landed && v.timeMs > healedAt),
    budget.totalMs,
  );
  await sleep(options.settleMs ?? 4000);
  while (telegram !== undefined && telegramMs.length < telegram.messages.length) telegramMs.push(Date.now());
  const settleNotes = resumed ? [] : [`no landed vote within ${budget.totalMs} ms of the final heal`];

  const read = async (): Promise<{ violations: Violation[]; votes: VoteRecord[]; now: GapWindowOptions['now'] }> => {
    const [violations, votes, slot] = await Promise.all([
      cluster.judge.violations(),
      cluster.judge.votes(),
      cluster.slot(),
    ]);
    return { violations, votes, now: { slot, timeMs: Date.now() } };
  };
  let observed = await read();
  // Observation does not end inside a gap: an open one is watched until a vote ends it or it
  // has outlasted the budget, so the verdict judges the whole gap.
  const openWait = openGapWaitMs(
    gapWindows(observed.votes, { sinceMs: windowStart, now: observed.now }),
    budget.totalMs,
    observed.now.timeMs,
  );
  if (openWait > 0) {
    const since = observed.now.timeMs;
    await waitUntil(async () => (await cluster.judge.votes()).some((v) => v.landed && v.timeMs > since), openWait);
    observed = await read();
  }
  const { violations, votes, now } = observed;
  const gaps = gapWindows(votes, { sinceMs: windowStart, now });
  const managerLogs = [stack.manager.log, ...window.otherManagers];
  const reports = managerLogs.flatMap((l) => l.events().map((line) => ({ atMs: line.time, event: line.event ?? '' })));
  const verdict = judgeTrial({
    violations,
    gaps,
    faults: spans,
    reports,
    telegramMs,
    budgetMs: budget.totalMs,
    failedChecks: window.failures,
  });
  // A control trial reproduces the failure the host guard prevents: it passes on a double vote.
  const control = CONTROL_KINDS.has(classOf(schedule));
  const pass = control ? verdict.outcome === 'double-vote' && window.failures.length === 0 : verdict.pass;
  const controlNotes = control
    ? [
        verdict.outcome === 'double-vote'
          ? 'control: without the host guard the judge found the double vote, as expected'
          : 'control: without the host guard the judge was expected to find a double vote and found none',
      ]
    : [];
  const failovers = managerLogs.flatMap((l) => l.failovers());
  const outcomes = failovers.map((f) => `${f.outcome} ${f.from}→${f.to}`);
  const held = [
    ...new Set(
      managerLogs
        .flatMap((l) => l.events('blocked'))
        .filter((l) => l.time >= windowStart)
        .map((l) => causeKind(l.fields['cause'])),
    ),
  ];
  return {
    seed: schedule.seed,
    class: classOf(schedule),
    control,
    schedule: describeSchedule(schedule),
    injected,
    pass,
    outcome: verdict.outcome,
    gapSlots: verdict.longestGap?.slots ?? 0,
    gapMs: verdict.longestGap === null ? 0 : verdict.longestGap.endMs - verdict.longestGap.startMs,
    timeToVoterMs: timeToVoter(votes, { sinceMs: window.sinceMs, now }),
    failovers: failovers.filter((f) => f.outcome === 'failover-complete').length,
    notes: [
      ...controlNotes,
      ...verdict.notes,
      ...notes,
      ...settleNotes,
      ...(outcomes.length > 0 ? [`manager: ${outcomes.join(', ')}`] : []),
      ...(held.length > 0 ? [`manager held a failover: ${held.join(', ')}`] : []),
    ],
  };
}

/** Injects the schedule's faults at their times and heals each when due. */
async function runFaults(stack: Stack, schedule: Schedule, log: (line: string) => void): Promise<WindowRecord> {
  const notes: string[] = [];
  const spans: FaultSpan[] = [];
  const injected: string[] = [];
  const windowStart = Date.now();
  const live: Array<{ injected: Injected; appliedMs: number; healAtMs: number | null }> = [];
  const healDue = async (untilMs: number): Promise<void> => {
    for (const entry of [...live].sort((a, b) => (a.healAtMs ?? 0) - (b.healAtMs ?? 0))) {
      if (entry.healAtMs === null || entry.healAtMs > untilMs) continue;
      await sleep(Math.max(0, windowStart + entry.healAtMs - Date.now()));
      const problem = await entry.injected.heal();
      if (problem !== undefined) notes.push(problem);
      spans.push(spanOf(entry.injected, entry.appliedMs, Date.now()));
      live.splice(live.indexOf(entry), 1);
    }
  };
  for (const planned of schedule.faults) {
    await healDue(planned.atMs);
    await sleep(Math.max(0, windowStart + planned.atMs - Date.now()));
    try {
      const done = await inject(stack, planned.fault);
      const appliedMs = Date.now();
      injected.push(done.label);
      log(`  +${appliedMs - windowStart}ms ${done.label}`);
      if (planned.healAtMs === null) spans.push(spanOf(done, appliedMs, appliedMs));
      else live.push({ injected: done, appliedMs, healAtMs: planned.healAtMs });
    } catch (error) {
      notes.push(`${describeFault(planned.fault)} not injected: ${(error as Error).message}`);
    }
  }
  await healDue(schedule.windowMs);
  log(`  +${Date.now() - windowStart}ms healed`);
  const firstFault = spans.reduce((first, span) => Math.min(first, span.appliedMs), Infinity);
  return {
    windowStart,
    spans,
    injected,
    notes,
    failures: [],
    sinceMs: Number.isFinite(firstFault) ? firstFault : windowStart,
    otherManagers: [],
  };
}

function causeKind(cause: unknown): string {
  return typeof cause === 'object' && cause !== null && typeof (cause as { kind?: unknown }).kind === 'string'
    ? (cause as { kind: string }).kind
    : 'unknown';
}

function spanOf(injected: Injected, appliedMs: number, healedMs: number): FaultSpan {
  return {
    label: injected.label,
    appliedMs,
    healedMs,
    silencesManager: injected.silencesManager,
    silencesTelegram: injected.silencesTelegram,
  };
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/** Copies the stack's and the cluster's logs to `<dir>/seed-<seed>/`; returns that path. */
function keepLogs(stack: Stack, dir: string, seed: number): string {
  const target = path.join(dir, `seed-${seed}`);
  mkdirSync(target, { recursive: true });
  cpSync(stack.logDir, target, { recursive: true });
  const clusterLog = path.join(stack.cluster.dir, 'cluster.log');
  if (existsSync(clusterLog)) cpSync(clusterLog, path.join(target, 'cluster.log'));
  for (const v of stack.cluster.validators) {
    const file = path.join(v.homeDir, 'validator.log');
    if (existsSync(file)) cpSync(file, path.join(target, `validator-${v.name}.log`));
  }
  return target;
}
