/**
 * The scripts of the fencing classes (`fencing-plans.ts`), run against a live stack whose
 * manager reaches each agent through a {@link RecordingProxy}. Each script drives one
 * switchover through the manager's control API and does its fault at the moment the manager's
 * log names: the step it starts, as an operator's `journalctl` would show it. What is judged
 * — double votes, lockout violations, whether voting came back — is the simulator's; the
 * scripts add what only the wire shows (the code a replay was refused with).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MANAGER_BIN, ManagedProcess, ManagerLog, type Stack } from '@failover/e2e';
import { fetchControlStatus, type ControlTarget } from '@failover/manager';
import { freePort, waitFor } from '@failover/testkit';
import type { FencingScenario } from './fencing-plans';
import { jsonBody, replay, type Exchange } from './recording-proxy';
import {
  FAILOVER_ENDS,
  STEP_TIMEOUT_MS,
  holderOf,
  injectWhen,
  nodeId,
  openSwitchover,
  other,
  switchoverAccepted,
  type ScriptContext,
  type ScriptRun,
  type SwitchoverResult,
} from './script-kit';

/** A manager started beside the stack's, on the same config; see {@link startSecondManager}. */
export interface SecondManager {
  readonly process: ManagedProcess;
  readonly log: ManagerLog;
  readonly control: ControlTarget;
  readonly term: number;
}

/** Runs the script of `scenario`; see the file comment. */
export async function runFencing(scenario: FencingScenario, ctx: ScriptContext): Promise<ScriptRun> {
  switch (scenario.kind) {
    case 'replay-other-node':
      return replayOtherNode(scenario, ctx);
    case 'replay-after-restart':
      return replayAfterRestart(scenario, ctx);
    case 'manager-killed-at-step':
      return managerKilledAtStep(scenario, ctx);
    case 'two-managers-racing':
      return twoManagersRacing(scenario, ctx);
    case 'manager-frozen':
      return managerFrozen(scenario, ctx);
  }
}

async function replayOtherNode(
  s: Extract<FencingScenario, { kind: 'replay-other-node' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const { run, from, to, started, answer } = await openSwitchover(ctx, s.kind);
  // become_active goes to the new active and is replayed at the old one; become_passive the other way.
  const capturedAt = s.request === 'become_active' ? to : from;
  const replayedAt = other(capturedAt);
  const replayed = await injectWhen(run, capture(ctx, capturedAt, s.request, started), s.delayMs, (captured, at) => {
    run.instant(`replay(${s.request} for ${capturedAt} → ${replayedAt})`, at);
    return replay(captured, ctx.stack.agent(replayedAt).url).then(
      (got) =>
        run.expectRefusal(
          `the ${s.request} for ${capturedAt} replayed to ${replayedAt}`,
          got,
          412,
          'FAILOVER_WRONG_NODE',
        ),
      (error: Error) => run.fail(`replay to ${replayedAt} failed: ${error.message}`),
    );
  });
  if (replayed === undefined) run.fail(`no ${s.request} for ${capturedAt} seen on the wire`);
  run.switchover('switchover', await answer);
  return run.done(started);
}

async function replayAfterRestart(
  s: Extract<FencingScenario, { kind: 'replay-after-restart' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const { run, manager, from: first, to: second, started, answer: there } = await openSwitchover(ctx, s.kind);
  const captured = await capture(ctx, second, 'become_active', started);
  const outcome = await there;
  run.switchover(`switchover to ${second}`, outcome);
  if (captured === undefined || outcome.outcome !== 'completed') {
    run.fail(`the switchover to ${second} did not complete with a captured become_active; nothing to replay`);
    return run.done(started);
  }
  // Back again: the captured promotion would now make a second voter of the passive.
  run.switchover(
    `switchover back to ${first}`,
    await switchoverAccepted(manager.control, first, 'chaos: back', 20_000),
  );
  const agent = ctx.stack.agent(second);
  const restarted = async (): Promise<Exchange> => {
    const downAt = Date.now();
    if (s.signal === 'SIGKILL') await agent.process.kill();
    else await agent.process.stop();
    agent.process.start();
    await waitFor(async () => (await agent.client.health()).ok || undefined, {
      description: `agent ${second} to answer /health after its restart`,
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    run.span(`agent-restart(${second},${s.signal})`, downAt, Date.now(), false);
    return captured;
  };
  await injectWhen(run, restarted(), s.delayMs, (request, at) => {
    run.instant(`replay(become_active for ${second} → ${second} after its restart)`, at);
    const age = at - request.sentMs;
    if (age >= 30_000) run.fail(`the replay came ${age} ms after the capture, past the 30 s signature window`);
    return replay(request, agent.url).then(
      (got) =>
        run.expectRefusal(
          `the become_active replayed to ${second} after its restart`,
          got,
          401,
          'FAILOVER_AUTH_REPLAYED',
        ),
      (error: Error) => run.fail(`replay to ${second} failed: ${error.message}`),
    );
  });
  return run.done(started);
}

async function managerKilledAtStep(
  s: Extract<FencingScenario, { kind: 'manager-killed-at-step' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const { run, manager, started, answer, reached } = await openSwitchover(ctx, s.kind);
  const killed = await injectWhen(run, reached(s.step), s.offsetMs, () => manager.process.kill());
  if (killed === undefined) return run.done(started);
  await answer;
  await sleep(s.downMs);
  await manager.start();
  const restartedAt = Date.now();
  run.span(
    `manager-kill(at ${s.step}+${s.offsetMs}ms, down ${restartedAt - killed.atMs}ms)`,
    killed.atMs,
    restartedAt,
    true,
  );
  const end = await manager.log.waitFor((l) => l.time >= started && FAILOVER_ENDS.has(l.event ?? ''), 90_000);
  if (end === undefined) run.fail(`the failover did not end within 90 s of the manager's restart`);
  else if (end.time < killed.atMs) run.note(`the failover had ended (${end.event}) before the kill`);
  else if (end.event === 'failover-failed') run.fail(`after the restart the failover ended failed: ${end.msg}`);
  else run.note(`after the restart: ${end.event} ${String(end.fields['from'])}→${String(end.fields['to'])}`);
  return run.done(started);
}

async function twoManagersRacing(
  s: Extract<FencingScenario, { kind: 'two-managers-racing' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  // The promotion fails once: set-identity fails until the manager tries the promotion again.
  const { run, manager, to, started, answer, reached } = await openSwitchover(ctx, s.kind, (_from, target) =>
    ctx.stack.cluster.validator(target).failSetIdentity(true),
  );
  const healed = promotionFailsOnce(ctx, manager.log, to, started, answer);
  try {
    const started2 = await injectWhen(run, reached(s.step), s.offsetMs, () => startSecondManager(ctx));
    if (started2 === undefined) return run.done(started);
    const second = started2.value;
    run.manager(second.log);
    run.instant(`second-manager(term ${second.term}, at ${s.step}+${s.offsetMs}ms)`, started2.atMs);
    run.switchover('first manager', await answer);
    run.note(`the first manager tried the promotion of ${to} ${promotionsOf(manager.log, to, started)} time(s)`);
    if (s.secondSwitches) {
      const holder = await holderOf(ctx.stack);
      const target = holder === undefined ? to : other(holder);
      run.switchover(
        `second manager's switchover to ${target}`,
        await switchoverAccepted(second.control, target, 'chaos: second manager', 30_000),
      );
    }
    run.span(s.kind, started, Date.now(), false);
  } finally {
    await healed;
  }
  return run.done(started);
}

async function managerFrozen(
  s: Extract<FencingScenario, { kind: 'manager-frozen' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  // Its answer comes only after SIGCONT.
  const { run, manager, to, started, reached } = await openSwitchover(ctx, s.kind);
  const frozen = await injectWhen(run, reached(s.step), s.offsetMs, async () => manager.process.signal('SIGSTOP'));
  if (frozen === undefined) return run.done(started);
  const frozenAt = frozen.atMs;
  let contAt = frozenAt;
  try {
    const second = await startSecondManager(ctx);
    run.manager(second.log);
    // The second manager hands the identity on: away from whoever holds it now, else to the
    // node the frozen manager was promoting.
    const holder = await holderOf(ctx.stack);
    const target = holder === undefined ? to : other(holder);
    const takeover = switchoverAccepted(second.control, target, 'chaos: takeover', s.frozenMs);
    await sleep(Math.max(0, frozenAt + s.frozenMs - Date.now()));
    manager.process.signal('SIGCONT');
    contAt = Date.now();
    run.switchover(`second manager (term ${second.term}) switchover to ${target}`, await takeover);
  } finally {
    if (contAt === frozenAt) {
      manager.process.signal('SIGCONT');
      contAt = Date.now();
    }
  }
  run.span(`manager-stop(at ${s.step}+${s.offsetMs}ms, ${contAt - frozenAt}ms)`, frozenAt, contAt, true);
  // What the continued manager sends now is late; give it time to send it. Whether an agent
  // obeyed one after it obeyed the second manager is checked for every fencing trial.
  await sleep(4_000);
  const sender = firstSender(ctx.stack);
  const lateFromFirst = [...ctx.recorders.values()]
    .flatMap((r) => r.exchanges)
    .filter((e) => e.sentMs >= contAt && e.path === '/failover')
    .filter((e) => jsonBody(e)?.['sender'] === sender);
  run.note(
    lateFromFirst.length === 0
      ? 'the continued manager sent no role change'
      : `the continued manager's late role changes: ${lateFromFirst.map((e) => `${e.agent} ${e.status ?? 'no answer'} ${e.code ?? ''}`.trim()).join(', ')}`,
  );
  return run.done(started);
}

/**
 * Makes the promotion of `to` fail once: its validator's set-identity fails until `log` shows
 * the manager trying the promotion again, or the switchover ends. Resolves once healed.
 */
export function promotionFailsOnce(
  ctx: ScriptContext,
  log: ManagerLog,
  to: string,
  started: number,
  answer: Promise<SwitchoverResult>,
): Promise<void> {
  return Promise.race([
    log.waitFor(
      (l) => l.time >= started && l.msg.startsWith(`step promote ${nodeId(to)}`) && !/attempt 1 of/.test(l.msg),
      STEP_TIMEOUT_MS,
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

/**
 * Starts a second `failover-manager` on the stack manager's config — the same agents, through
 * the same recorders, the same secret — with its own state directory and control port, as a
 * second host would have. Its term file holds the first manager's current term, so it starts
 * one above it.
 */
export async function startSecondManager(ctx: ScriptContext): Promise<SecondManager> {
  const stack = ctx.stack;
  const config = JSON.parse(readFileSync(stack.manager.configPath, 'utf8')) as Record<string, unknown>;
  const firstTerm = readTerm(stack);
  const stateDir = path.join(stack.dir, 'state', 'manager-b');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'manager-term.json'),
    `${JSON.stringify({ term: firstTerm.term, sender: `manager-${randomBytes(8).toString('hex')}` })}\n`,
    { mode: 0o600 },
  );
  const port = await freePort('127.0.0.1');
  const configPath = path.join(stack.dir, 'manager-b-config.json');
  writeFileSync(
    configPath,
    `${JSON.stringify({ ...config, state_dir: stateDir, control_listen: `127.0.0.1:${port}` }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const log = new ManagerLog();
  const process2 = new ManagedProcess({
    name: 'second manager',
    script: MANAGER_BIN,
    args: ['--config', configPath],
    env: { ...process.env, ...stack.cluster.env },
    logPath: path.join(stack.logDir, 'manager-b.log'),
    onLine: (line) => log.push(line),
  });
  ctx.defer(() => process2.stop());
  process2.start();
  const control: ControlTarget = { ...stack.manager.control, port };
  await waitFor(async () => (await fetchControlStatus(control)).term ?? undefined, {
    description: `the second manager's control API on 127.0.0.1:${port}`,
    timeoutMs: 15_000,
    intervalMs: 50,
  });
  return { process: process2, log, control, term: firstTerm.term + 1 };
}

function readTerm(stack: Stack): { term: number; sender: string } {
  const config = JSON.parse(readFileSync(stack.manager.configPath, 'utf8')) as { state_dir: string };
  return JSON.parse(readFileSync(path.join(config.state_dir, 'manager-term.json'), 'utf8')) as {
    term: number;
    sender: string;
  };
}

function firstSender(stack: Stack): string {
  return readTerm(stack).sender;
}

/** The first request `action` to `agent` seen on the wire since `sinceMs`. */
async function capture(
  ctx: ScriptContext,
  agent: string,
  action: string,
  sinceMs: number,
): Promise<Exchange | undefined> {
  const recorder = ctx.recorders.get(agent);
  if (recorder === undefined) throw new Error(`no recorder in front of agent ${agent}`);
  return waitFor(
    () =>
      recorder.exchanges.find(
        (e) => e.sentMs >= sinceMs && e.path === '/failover' && jsonBody(e)?.['action'] === action,
      ),
    { description: `a ${action} to ${agent} on the wire`, timeoutMs: STEP_TIMEOUT_MS, intervalMs: 10 },
  ).catch(() => undefined);
}
