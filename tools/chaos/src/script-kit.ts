/**
 * What the scripted classes (`fencing-runs.ts`, `guard-runs.ts`) share: the
 * context a script runs in, the record it keeps, the switchover it asks for
 * ({@link openSwitchover}), and {@link injectWhen} — the shape of
 * every script: wait for a moment (a step in the manager's log, a request on the wire, a state
 * of the cluster), then inject the fault.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerLog, ManagerLogLine, Stack, StackManager } from '@failover/e2e';
import { fetchControlStatus, requestSwitchover, type ControlTarget } from '@failover/manager';
import { waitFor } from '@failover/testkit';
import type { SwitchoverStep } from './fencing-plans';
import type { RecordingProxy } from './recording-proxy';
import type { Injected } from './inject';
import type { FaultSpan } from './verdict';

/** What a script is given. */
export interface ScriptContext {
  readonly stack: Stack;
  /** The recorder in front of each agent (`v1`, `v2`), on the path of every manager. */
  readonly recorders: ReadonlyMap<string, RecordingProxy>;
  readonly log: (line: string) => void;
  /** Runs `cleanup` before the stack stops, however the trial ends. */
  readonly defer: (cleanup: () => Promise<void>) => void;
}

/** What a script did and saw. */
export interface ScriptRun {
  /** The faults as done, e.g. `manager-kill(at promote+150ms)`. */
  readonly injected: readonly string[];
  readonly spans: readonly FaultSpan[];
  readonly notes: readonly string[];
  /** Checks of the class that failed (the judge's verdict comes on top). */
  readonly failures: readonly string[];
  /** When the fault began: time to a voter counts from here. */
  readonly sinceMs: number;
  /** Managers started besides the stack's: their reports count as the manager's. */
  readonly otherManagers: readonly ManagerLog[];
}

/** How a switchover asked through the control API went. */
export interface SwitchoverResult {
  readonly accepted: boolean;
  readonly outcome: string | undefined;
  readonly refusal: string | undefined;
  readonly error: string | undefined;
}

/** Events that end a failover in the manager's log. */
export const FAILOVER_ENDS: ReadonlySet<string> = new Set(['failover-complete', 'rolled-back', 'failover-failed']);

/** A step the script waits for must start within this. */
export const STEP_TIMEOUT_MS = 60_000;

/** The manager's name of an agent's node. */
export const nodeId = (agent: string): 'validator1' | 'validator2' => (agent === 'v1' ? 'validator1' : 'validator2');

/** The other machine of the pair. */
export const other = (agent: string): string => (agent === 'v1' ? 'v2' : 'v1');

/** The machine holding the staked identity in the cluster's view, undefined when none does. */
export async function holderOf(stack: Stack): Promise<string | undefined> {
  const status = await stack.cluster.status();
  return status.validators.find((v) => v.identity === stack.cluster.stakedPubkey)?.name;
}

/** {@link holderOf}, `v1` when nobody holds the identity. */
export async function holderOrFirst(stack: Stack): Promise<string> {
  return (await holderOf(stack)) ?? 'v1';
}

/**
 * Waits until `trigger` resolves to a value, then `offsetMs` more, then marks the moment as
 * the fault's (time to a voter counts from a script's first) and injects. Undefined, with
 * nothing injected, when the trigger resolves undefined: it never came, and the script's
 * trigger recorded why.
 */
export async function injectWhen<T, R>(
  run: RunRecord,
  trigger: Promise<T | undefined>,
  offsetMs: number,
  inject: (found: T, atMs: number) => Promise<R>,
): Promise<{ readonly value: R; readonly atMs: number } | undefined> {
  const found = await trigger;
  if (found === undefined) return undefined;
  await sleep(offsetMs);
  const atMs = Date.now();
  run.since(atMs);
  return { value: await inject(found, atMs), atMs };
}

/** Heals a fault {@link injectWhen} injected, notes a heal that failed, and records the fault's span until now. */
export async function healInjected(
  run: RunRecord,
  injected: { readonly value: Injected; readonly atMs: number },
): Promise<void> {
  const problem = await injected.value.heal();
  if (problem !== undefined) run.note(problem);
  run.span(injected.value.label, injected.atMs, Date.now(), injected.value.silencesManager);
}

/** Starts `node`'s agent again, as its unit would, and resolves once it answers `/health`; rejects after `timeoutMs`. */
export async function restartAgent(stack: Stack, node: string, timeoutMs: number): Promise<void> {
  const agent = stack.agent(node);
  agent.process.start();
  await waitFor(async () => (await agent.client.health()).ok || undefined, {
    description: `agent ${node} to answer /health after its restart`,
    timeoutMs,
    intervalMs: 50,
  });
}

/**
 * Resolves true once the manager's log says it starts `step` (not an undo) of the switchover
 * `from` → `to`. A switchover that ends without that step (refused, or rolled back before it)
 * is noted, and resolves true at once: the fault follows. Undefined, with the failure
 * recorded, when the step neither starts nor the switchover ends in time.
 */
export async function stepStarted(
  log: ManagerLog,
  step: SwitchoverStep,
  from: string,
  to: string,
  sinceMs: number,
  run: RunRecord,
  ended: Promise<SwitchoverResult>,
): Promise<true | undefined> {
  const node = nodeId(step === 'promote' || step === 'verify-voting' ? to : from);
  // The label the manager logs: `describeAction` in core, e.g. `final tower backup validator1`.
  const prefix = `step ${step.replace(/-/g, ' ')} ${node}`;
  const matches = (l: ManagerLogLine): boolean =>
    l.time >= sinceMs - 1_000 && l.msg.startsWith(prefix) && !l.msg.includes('undoing');
  const line = await Promise.race([log.waitFor(matches, STEP_TIMEOUT_MS), ended]);
  if (line === undefined) {
    run.fail(`the manager never started '${prefix}'`);
    return undefined;
  }
  if ('accepted' in line && !log.all().some(matches))
    run.note(`the switchover ended (${describeResult(line)}) before '${prefix}'`);
  return true;
}

/**
 * The opening every switchover script shares: the holder gives the identity to the other node
 * through the stack manager's control API. A script reads as its fault on top of this.
 */
export interface Opening {
  readonly run: RunRecord;
  readonly manager: StackManager;
  /** The node that holds the identity when the switchover is asked (`v1` when none does). */
  readonly from: string;
  readonly to: string;
  readonly started: number;
  /** The switchover's answer, read to its end. */
  readonly answer: Promise<SwitchoverResult>;
  /** Resolves once the manager starts `step` of this switchover: {@link stepStarted}. */
  reached(step: SwitchoverStep): Promise<true | undefined>;
}

/**
 * Waits until the manager at `control` commands (leads, with the election) and watches both
 * nodes reachable and healthy, one of them active. When nobody holds the identity — an agent
 * that stepped down while the stack started, before any manager reached it — it first activates
 * `v1`, as an operator would. Throws, a harness error, when the manager is not ready in 30 s.
 */
export async function managerReady(ctx: ScriptContext, control: ControlTarget): Promise<void> {
  const ready = (timeoutMs: number): Promise<boolean> =>
    waitFor(
      async () => {
        const status = await fetchControlStatus({ ...control, timeoutMs: 1_000 }).catch(() => undefined);
        return (
          (status !== undefined &&
            status.active !== null &&
            (status.election === undefined || status.election.role === 'leader') &&
            status.nodes.every((n) => n.reachable && n.healthy)) ||
          undefined
        );
      },
      { description: 'the manager to watch both nodes, one active', timeoutMs, intervalMs: 100 },
    ).then(
      () => true,
      () => false,
    );
  if (await ready(15_000)) return;
  if ((await holderOf(ctx.stack)) === undefined)
    await switchoverAccepted(control, 'v1', 'chaos: nobody holds the identity; activate v1', 15_000);
  if (!(await ready(15_000)))
    throw new Error(`the manager on port ${control.port} did not watch both nodes, one active, within 30 s`);
}

/** Asks the switchover of {@link Opening}; `prepare` runs first, once both nodes are known. */
export async function openSwitchover(
  ctx: ScriptContext,
  label: string,
  prepare?: (from: string, to: string) => Promise<void>,
): Promise<Opening> {
  const run = new RunRecord();
  const manager = ctx.stack.manager;
  await managerReady(ctx, manager.control);
  const from = await holderOrFirst(ctx.stack);
  const to = other(from);
  await prepare?.(from, to);
  const started = Date.now();
  const answer = switchover(manager.control, to, `chaos: ${label}`);
  return {
    run,
    manager,
    from,
    to,
    started,
    answer,
    reached: (step) => stepStarted(manager.log, step, from, to, started, run, answer),
  };
}

/** Asks for a switchover to `to` and reads the answer to its end; never throws. */
export async function switchover(control: ControlTarget, to: string, reason: string): Promise<SwitchoverResult> {
  let accepted = false;
  let outcome: string | undefined;
  let refusal: string | undefined;
  try {
    for await (const line of requestSwitchover(control, { reason, to: nodeId(to) })) {
      if (line.type === 'accepted') accepted = true;
      else if (line.type === 'refused') refusal = `${line.refusal}: ${line.detail}`;
      else if (line.type === 'done') outcome = line.outcome;
    }
  } catch (error) {
    return { accepted, outcome, refusal, error: (error as Error).message };
  }
  return { accepted, outcome, refusal, error: undefined };
}

/** {@link switchover}, asked again every 500 ms while it is refused, for up to `timeoutMs`. */
export async function switchoverAccepted(
  control: ControlTarget,
  to: string,
  reason: string,
  timeoutMs: number,
): Promise<SwitchoverResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await switchover(control, to, reason);
    if (result.accepted || Date.now() + 500 >= deadline) return result;
    await sleep(500);
  }
}

/** A switchover's result in a few words: its outcome, its refusal, or why there was no answer. */
export function describeResult(result: SwitchoverResult): string {
  if (result.outcome !== undefined) return result.outcome;
  if (result.refusal !== undefined) return `refused (${result.refusal})`;
  return result.error !== undefined ? `no answer (${result.error})` : 'no outcome';
}

/** What a script collects as it goes. */
export class RunRecord {
  private readonly injectedList: string[] = [];
  private readonly spanList: FaultSpan[] = [];
  private readonly noteList: string[] = [];
  private readonly failureList: string[] = [];
  private readonly managers: ManagerLog[] = [];
  private sinceMs: number | undefined;

  since(atMs: number): void {
    this.sinceMs ??= atMs;
  }

  span(label: string, appliedMs: number, healedMs: number, silencesManager: boolean): void {
    this.injectedList.push(label);
    this.spanList.push({ label, appliedMs, healedMs, silencesManager, silencesTelegram: false });
  }

  instant(label: string, atMs: number): void {
    this.span(label, atMs, atMs, false);
  }

  manager(log: ManagerLog): void {
    this.managers.push(log);
  }

  note(text: string): void {
    this.noteList.push(text);
  }

  fail(text: string): void {
    this.failureList.push(text);
  }

  switchover(what: string, result: SwitchoverResult): void {
    this.note(`${what}: ${describeResult(result)}`);
  }

  expectRefusal(what: string, got: { status: number; code: string | undefined }, status: number, code: string): void {
    const answer = `${got.status} ${got.code ?? '(no error code)'}`;
    if (got.status === status && got.code === code) this.note(`${what}: refused, ${answer}`);
    else this.fail(`${what} was answered ${answer}, not ${status} ${code}`);
  }

  done(startedMs: number): ScriptRun {
    return {
      injected: this.injectedList,
      spans: this.spanList,
      notes: this.noteList,
      failures: this.failureList,
      sinceMs: this.sinceMs ?? startedMs,
      otherManagers: this.managers,
    };
  }
}

/**
 * Makes the promotion of `to` fail once: its validator's set-identity fails until one of `logs`
 * shows a manager trying the promotion again, or the switchover ends. Resolves once healed.
 */
export function promotionFailsOnce(
  ctx: ScriptContext,
  logs: readonly ManagerLog[],
  to: string,
  started: number,
  answer: Promise<SwitchoverResult>,
): Promise<void> {
  return Promise.race([
    ...logs.map((log) =>
      log.waitFor(
        (l) => l.time >= started && l.msg.startsWith(`step promote ${nodeId(to)}`) && !/attempt 1 of/.test(l.msg),
        STEP_TIMEOUT_MS,
      ),
    ),
    answer,
  ])
    .then(() => ctx.stack.cluster.validator(to).failSetIdentity(false))
    .catch(() => undefined);
}

/** How many promotions of `to` (not undoing) `log` shows since `started`. */
export function promotionsOf(log: ManagerLog, to: string, started: number): number {
  return log
    .all()
    .filter((l) => l.time >= started && l.msg.startsWith(`step promote ${nodeId(to)}`) && !l.msg.includes('undoing'))
    .length;
}

/** `promise`'s value, or undefined when it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const abort = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, undefined, { signal: abort.signal })]);
  } finally {
    abort.abort();
  }
}
