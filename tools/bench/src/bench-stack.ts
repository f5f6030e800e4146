/**
 * The stack the benchmarks run on (tools/e2e's `startStack`: the simulator, both agents and
 * the manager as real processes from their bins) with a named timing profile, JSON agent logs
 * for step timings, and the wait for a steady pair before each measured fault.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerConfigSchema, parseDuration } from '@failover/protocol';
import { shellQuote, startStack, switchedToAlpenglow, type Stack, type StackAgent } from '@failover/e2e';
import { readAgentLog, type AgentLogLine } from './agent-log';

/** The manager keys that decide how fast a failure is detected. */
export interface DetectionTiming {
  readonly heartbeatMs: number;
  readonly misses: number;
  readonly requestTimeoutMs: number;
}

/** A named set of detection keys a benchmark runs with. */
export interface TimingProfile extends DetectionTiming {
  readonly name: 'default' | 'go' | 'fast';
  /** How the profile is described in the output. */
  readonly label: string;
  /**
   * True when the manager's config leaves the timing keys out, so the program's own defaults
   * apply (what an operator gets without tuning); false when the keys are written.
   */
  readonly usesProgramDefaults: boolean;
}

/** The Go tool's defaults (its README): heartbeat interval 5s, 5 misses, request timeout 5s. */
export const GO_TOOL_TIMING: DetectionTiming = { heartbeatMs: 5000, misses: 5, requestTimeoutMs: 5000 };

/** This project's defaults, read from the manager's config schema rather than restated here. */
export function projectTiming(): DetectionTiming {
  const keys = ManagerConfigSchema.properties;
  const duration = (text: unknown, key: string): number => {
    const ms = typeof text === 'string' ? parseDuration(text) : undefined;
    if (ms === undefined) throw new Error(`the manager config schema has no duration default for ${key}`);
    return ms;
  };
  const misses: unknown = keys.misses_before_failover.default;
  if (typeof misses !== 'number')
    throw new Error('the manager config schema has no default for misses_before_failover');
  return {
    heartbeatMs: duration(keys.heartbeat_interval.default, 'heartbeat_interval'),
    misses,
    requestTimeoutMs: duration(keys.request_timeout.default, 'request_timeout'),
  };
}

/** True when this project's detection defaults are the Go tool's. */
export function defaultsMatchGoTool(): boolean {
  const ours = projectTiming();
  return (
    ours.heartbeatMs === GO_TOOL_TIMING.heartbeatMs &&
    ours.misses === GO_TOOL_TIMING.misses &&
    ours.requestTimeoutMs === GO_TOOL_TIMING.requestTimeoutMs
  );
}

/** The profiles by name: the program's defaults, the Go tool's written out, and a documented fast one. */
export function timingProfile(name: TimingProfile['name']): TimingProfile {
  switch (name) {
    case 'default': {
      const t = projectTiming();
      return {
        name,
        ...t,
        usesProgramDefaults: true,
        label: `project defaults (keys omitted): heartbeat ${t.heartbeatMs} ms × ${t.misses} misses, request timeout ${t.requestTimeoutMs} ms`,
      };
    }
    case 'go':
      return {
        name,
        ...GO_TOOL_TIMING,
        usesProgramDefaults: false,
        label: 'Go tool defaults, written out: heartbeat 5000 ms × 5 misses, request timeout 5000 ms',
      };
    case 'fast':
      return {
        name,
        heartbeatMs: 1000,
        misses: 3,
        requestTimeoutMs: 1000,
        usesProgramDefaults: false,
        label: 'fast profile: heartbeat 1000 ms × 3 misses, request timeout 1000 ms',
      };
  }
}

/** Detection budget of a profile: the manager decides after `misses` heartbeats have failed. */
export function detectionBudgetMs(profile: DetectionTiming): number {
  return profile.heartbeatMs * profile.misses;
}

/** Keys a profile that uses the program's defaults leaves out of `manager-config.json`. */
const TIMING_KEYS = [
  'heartbeat_interval',
  'slot_check_interval',
  'misses_before_failover',
  'request_timeout',
  'slot_diff_threshold',
  'stale_vote_slot_threshold',
];

/** Options of {@link startBenchStack}. */
export interface BenchStackOptions {
  /** @default 400, mainnet's slot time */
  readonly slotMs?: number;
  /**
   * `failover_cooldown`; the default 5m would make 20 runs take well over an hour, and the
   * cooldown plays no part in a single failover's timing. @default 5000
   */
  readonly cooldownMs?: number;
  /**
   * Where the agents back their towers up: the embedded directory, a real etcd started with the
   * stack, or `command` (the Go tool's `tower_backup_command` / `tower_restore_command`, here
   * `cp` into the stack's directory, as an operator's `etcdctl` script would move the bytes).
   * @default 'directory'
   */
  readonly towerStore?: BenchTowerStore;
  /**
   * Run on Alpenglow: the cluster starts on TowerBFT with a short migration window
   * ({@link ALPENGLOW_MIGRATION_SLOTS}), and the stack is handed over only once it has switched
   * and the active has backed up a vote history, so every measured failover carries one.
   * @default false
   */
  readonly alpenglow?: boolean;
}

/** Slots from the Alpenglow feature's activation to the switch: mainnet's 5000 would take half an hour. */
export const ALPENGLOW_MIGRATION_SLOTS = 20;

/** The tower stores an agent can be configured with. */
export const BENCH_TOWER_STORES = ['directory', 'etcd', 'command'] as const;

/** One of {@link BENCH_TOWER_STORES}. */
export type BenchTowerStore = (typeof BENCH_TOWER_STORES)[number];

/**
 * The Go tool's command store over a shared directory: the backup writes a temporary file and
 * renames it, so a restore never copies half a tower.
 */
export function commandTowerStoreConfig(config: Record<string, unknown>): Record<string, unknown> {
  const { tower_store_dir: dir, ...rest } = config;
  if (typeof dir !== 'string') throw new Error('the stack config has no tower_store_dir to keep command backups in');
  const stored = shellQuote(path.join(dir, 'tower.bin'));
  const partial = shellQuote(path.join(dir, 'tower.bin.partial'));
  return {
    ...rest,
    tower_store: 'command',
    tower_backup_command: `mkdir -p ${shellQuote(dir)} && cp {tower_file} ${partial} && mv ${partial} ${stored}`,
    tower_restore_command: `cp ${stored} {tower_file}`,
  };
}

/** The manager's `startup_grace_period` in every benchmark stack. */
const BENCH_GRACE_MS = 1_000;

/** Starts the stack with `profile`; agents log JSON so their command timings can be read back. */
export async function startBenchStack(profile: TimingProfile, options: BenchStackOptions = {}): Promise<Stack> {
  // Names of our own: an agent that found another stack's validator (the demo, the fault
  // campaign, a second benchmark) would see a crashed validator still running.
  const tag = randomBytes(2).toString('hex');
  const slotMs = options.slotMs ?? 400;
  const stack = await startStack({
    processNames: [`bench-${tag}-v1`, `bench-${tag}-v2`],
    slotMs,
    heartbeatMs: profile.heartbeatMs,
    misses: profile.misses,
    requestTimeoutMs: profile.requestTimeoutMs,
    graceMs: BENCH_GRACE_MS,
    cooldownMs: options.cooldownMs ?? 5000,
    // The agent's own default (30 s), so its watchdog never steps in during a measured run.
    agentManagerTimeoutMs: 30_000,
    towerStore: options.towerStore === 'etcd' ? 'etcd' : 'directory',
    ...(options.alpenglow === true ? { alpenglowMigrationSlots: ALPENGLOW_MIGRATION_SLOTS } : {}),
    editAgentConfig: (config) => {
      const json = { ...config, log_format: 'json' };
      return options.towerStore === 'command' ? commandTowerStoreConfig(json) : json;
    },
    editManagerConfig: (config) => {
      if (!profile.usesProgramDefaults) return config;
      return Object.fromEntries(Object.entries(config).filter(([key]) => !TIMING_KEYS.includes(key)));
    },
  });
  // A fault inside the start-up grace is held by design; with exits detected in tens of ms, a
  // first crash right after a quick steady state landed there and measured the grace.
  await sleep(BENCH_GRACE_MS);
  if (options.alpenglow !== true) return stack;
  try {
    await waitUntilSteady(stack, 0, 120_000);
    await stack.cluster.activateAlpenglow();
    const limitMs = 30_000 + ALPENGLOW_MIGRATION_SLOTS * slotMs;
    if (!(await switchedToAlpenglow(stack, stack.agents[0], limitMs)))
      throw new Error(`the manager did not read a finalizing Alpenglow cluster within ${limitMs} ms of the activation`);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/** The manager's name for the stack's i-th node. */
export function nodeId(index: 0 | 1): 'validator1' | 'validator2' {
  return index === 0 ? 'validator1' : 'validator2';
}

/**
 * Waits until the manager monitors with nothing held back and no consensus veto, `active` (0 or
 * 1) is the active node and votes, both nodes are healthy, and the active has a tower backup:
 * the state an operator's pair is in before a fault. Throws after `timeoutMs`.
 */
export async function waitUntilSteady(stack: Stack, active: 0 | 1, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const status = await stack.manager.status().catch((error: Error) => error);
    if (status instanceof Error) {
      last = status.message;
    } else {
      const activeNode = status.nodes.find((n) => n.node === nodeId(active));
      const voting = await stack.agents[active].validator.status().then(
        (s) => s.voting,
        () => false,
      );
      const veto = status.consensus?.veto ?? null;
      last = `state ${status.state}, hold ${status.hold ?? 'none'}, veto ${veto ?? 'none'}, active ${status.active ?? 'unknown'}, healthy ${status.nodes.map((n) => `${n.node}=${n.healthy}`).join(' ')}, voting ${voting}`;
      const ready =
        status.state === 'monitoring' &&
        status.hold === null &&
        veto === null &&
        status.active === nodeId(active) &&
        status.nodes.every((n) => n.reachable === true && n.healthy === true) &&
        activeNode?.last_tower_backup != null &&
        voting;
      if (ready) return;
    }
    await sleep(250);
  }
  throw new Error(
    `the pair did not become steady with ${nodeId(active)} active within ${timeoutMs} ms (last: ${last})`,
  );
}

/** The agent's JSON log lines so far. */
export function agentLog(stack: Stack, agent: StackAgent): AgentLogLine[] {
  return readAgentLog(path.join(stack.logDir, `agent-${agent.name}.log`));
}

/** A manager log line, as `stack.manager.log` gives it. */
type LogLine = Parameters<Parameters<Stack['manager']['log']['waitFor']>[0]>[0];

/** Matches the manager's `event` notified at `since` or later (by the event's own `at`). */
export function eventSince(event: string, since: number): (line: LogLine) => boolean {
  return (line) =>
    line.event === event && (typeof line.fields['at'] === 'number' ? line.fields['at'] : line.time) >= since;
}

/** The end of the first failover after `since`, if one ended within `boundMs`. */
export async function failoverEnd(
  stack: Stack,
  since: number,
  boundMs: number,
  alsoEndsIt?: (line: LogLine) => boolean,
): Promise<LogLine | undefined> {
  const ends = ['failover-complete', 'failover-failed', 'rolled-back'].map((event) => eventSince(event, since));
  return stack.manager.log.waitFor((line) => ends.some((end) => end(line)) || alsoEndsIt?.(line) === true, boundMs);
}

/**
 * The new active's first landed vote after `since` (waited for up to 15 s) and the judge's
 * handover from `from` to `to` past `sinceSlot`.
 */
export async function handoverAfter(
  stack: Stack,
  from: StackAgent,
  to: StackAgent,
  since: number,
  sinceSlot: number,
): Promise<{
  readonly firstVoteMs: number;
  readonly firstVoteSlot: number;
  readonly gapSlots: number;
  readonly gapMs: number;
}> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const vote = (await stack.cluster.judge.votes()).find(
      (v) => v.validator === to.name && v.landed && v.timeMs > since,
    );
    if (vote !== undefined) {
      const handover = (await stack.cluster.judge.gaps()).handovers.find(
        (g) => g.fromValidator === from.name && g.toValidator === to.name && (g.toSlot ?? 0) > sinceSlot,
      );
      return {
        firstVoteMs: vote.timeMs,
        firstVoteSlot: vote.tipSlot,
        gapSlots: handover?.slots ?? Number.NaN,
        gapMs: handover?.ms ?? Number.NaN,
      };
    }
    if (Date.now() > deadline) throw new Error(`${to.name} did not vote within 15 s of the failover`);
    await sleep(100);
  }
}
