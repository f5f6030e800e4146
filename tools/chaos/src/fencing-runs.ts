/**
 * The scripts of the fencing classes (`fencing-plans.ts`), run against a live stack whose
 * manager reaches each agent through a {@link RecordingProxy}. Each script drives one
 * switchover through the manager's control API and does its fault at the moment the manager's
 * log names: the step it starts, as an operator's `journalctl` would show it. What is judged
 * — double votes, lockout violations, whether voting came back — is the simulator's; the
 * scripts add what only the wire shows (the code a replay was refused with).
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MANAGER_BIN } from '@failover/e2e';
import { fetchControlStatus } from '@failover/manager';
import { waitFor } from '@failover/testkit';
import type { FencingScenario } from './fencing-plans';
import { etcdLeaderLost, twoManagersElection } from './election-runs';
import { jsonBody, replay, type Exchange, type HeldRequest, type RecordingProxy } from './recording-proxy';
import {
  FAILOVER_ENDS,
  type RunRecord,
  STEP_TIMEOUT_MS,
  describeResult,
  holderOf,
  injectWhen,
  nodeId,
  openSwitchover,
  other,
  promotionFailsOnce,
  promotionsOf,
  restartAgent,
  switchoverAccepted,
  type ScriptContext,
  type ScriptRun,
} from './script-kit';
import { firstSender, startSecondManager } from './second-manager';

const execFileAsync = promisify(execFile);

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
    case 'two-managers-election':
      return twoManagersElection(scenario, ctx);
    case 'etcd-leader-lost':
      return etcdLeaderLost(scenario, ctx);
    case 'manager-killed-at-verify-voting':
      return managerKilledAtVerifyVoting(scenario, ctx);
    case 'late-request-stale-term':
      return lateRequestStaleTerm(scenario, ctx);
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
    await restartAgent(ctx.stack, second, 15_000);
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
  const healed = promotionFailsOnce(ctx, [manager.log], to, started, answer);
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

async function managerKilledAtVerifyVoting(
  s: Extract<FencingScenario, { kind: 'manager-killed-at-verify-voting' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  // The new active's votes are cast but do not land, so `verify voting` waits for them.
  const { run, manager, to, started, answer, reached } = await openSwitchover(ctx, s.kind, (_from, target) =>
    ctx.stack.cluster.validator(target).cutVotes(true),
  );
  const votes = ctx.stack.cluster.validator(to);
  let votesBackAt: number | undefined;
  try {
    const killed = await injectWhen(run, reached('verify-voting'), s.offsetMs, () => manager.process.kill());
    if (killed === undefined) return run.done(started);
    await answer;
    await sleep(s.downMs);
    await votes.cutVotes(false);
    votesBackAt = Date.now();
    await manager.start();
    const restartedAt = Date.now();
    run.span(
      `manager-kill(at verify-voting+${s.offsetMs}ms, down ${restartedAt - killed.atMs}ms)`,
      killed.atMs,
      restartedAt,
      true,
    );
    const end = await manager.log.waitFor((l) => l.time >= started && FAILOVER_ENDS.has(l.event ?? ''), 90_000);
    if (end === undefined) run.fail(`the failover did not end within 90 s of the manager's restart`);
    else if (end.time < killed.atMs)
      run.fail(`the failover had ended (${end.event}) before the kill: the kill did not land in verify voting`);
    else if (end.event === 'failover-failed') run.fail(`after the restart the failover ended failed: ${end.msg}`);
    else {
      run.note(`after the restart: ${end.event} ${String(end.fields['from'])}→${String(end.fields['to'])}`);
      await expectJournalHolder(ctx, run);
    }
  } finally {
    if (votesBackAt === undefined) {
      await votes.cutVotes(false);
      votesBackAt = Date.now();
    }
    run.span(`votes-cut(${to})`, started, votesBackAt, false);
  }
  return run.done(started);
}

async function lateRequestStaleTerm(
  s: Extract<FencingScenario, { kind: 'late-request-stale-term' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  // The promotion's request is held on the wire before the switchover is asked.
  const holds = new Map<string, HeldRequest>();
  const { run, manager, from, to, started, answer } = await openSwitchover(ctx, s.kind, async (_from, target) => {
    holds.set(
      target,
      recorderOf(ctx, target).holdNext((e) => e.path === '/failover' && jsonBody(e)?.['action'] === 'become_active'),
    );
  });
  const hold = holds.get(to)!;
  const request = await Promise.race([hold.arrived, answer.then(() => undefined)]);
  if (request === undefined) {
    hold.release();
    run.fail(
      `the switchover ended (${describeResult(await answer)}) without a become_active to ${to}: nothing to deliver late`,
    );
    return run.done(started);
  }
  const lateTerm = Number(jsonBody(request)?.['term']);
  const frozen = await injectWhen(run, Promise.resolve(request), s.offsetMs, async () =>
    manager.process.signal('SIGSTOP'),
  );
  const frozenAt = frozen!.atMs;
  let contAt: number;
  try {
    const second = await startSecondManager(ctx);
    run.manager(second.log);
    const target = s.target === 'back' ? from : to;
    const acted = await switchoverAccepted(second.control, target, 'chaos: a newer manager acts', 20_000);
    run.switchover(`second manager (term ${second.term}) switchover to ${target}`, acted);
    if (acted.outcome !== 'completed')
      run.fail(
        `the second manager did not act before the late request: switchover to ${target} ${describeResult(acted)}`,
      );
    const newer = recorderOf(ctx, to).exchanges.find((e) => {
      const term = jsonBody(e)?.['term'];
      return typeof term === 'number' && term > lateTerm && e.status !== undefined && e.status >= 200 && e.status < 300;
    });
    if (newer === undefined) run.fail(`agent ${to} had obeyed no term above ${lateTerm} before the late request`);
    const lateAt = Date.now();
    const heldMs = lateAt - request.sentMs;
    run.instant(`late(become_active of term ${lateTerm} for ${to}, held ${heldMs}ms)`, lateAt);
    if (heldMs >= 30_000) run.fail(`the request was held ${heldMs} ms, past the 30 s signature window`);
    hold.release();
    const answered = await waitFor(() => request.answeredMs ?? undefined, {
      description: `agent ${to} to answer the late become_active`,
      timeoutMs: 10_000,
      intervalMs: 20,
    }).catch(() => undefined);
    if (answered === undefined) run.fail(`agent ${to} did not answer the late become_active within 10 s`);
    else
      run.expectRefusal(
        `the late become_active of term ${lateTerm} at ${to}`,
        { status: request.status ?? 0, code: request.code },
        409,
        'FAILOVER_STALE_TERM',
      );
  } finally {
    hold.release();
    manager.process.signal('SIGCONT');
    contAt = Date.now();
  }
  run.span(`manager-stop(${contAt - frozenAt}ms, its become_active held)`, frozenAt, contAt, true);
  const deposed = await waitFor(
    async () => (await fetchControlStatus({ ...manager.control, timeoutMs: 1_000 })).deposed ?? undefined,
    {
      description: 'the continued manager to stand down',
      timeoutMs: 10_000,
      intervalMs: 100,
    },
  ).catch(() => undefined);
  run.note(
    deposed === undefined
      ? 'the continued manager did not stand down within 10 s'
      : `the continued manager stood down: ${deposed}`,
  );
  return run.done(started);
}

/**
 * Fails the run unless the journal, read as an operator would (`failover-manager history
 * --json`), names the node holding the identity in the cluster's view as the holder.
 */
async function expectJournalHolder(ctx: ScriptContext, run: RunRecord): Promise<void> {
  const holder = await holderOf(ctx.stack);
  const expected = holder === undefined ? null : nodeId(holder);
  let recorded: string | null = null;
  const agreed = await waitFor(
    async () => {
      const { stdout } = await execFileAsync(process.execPath, [
        MANAGER_BIN,
        'history',
        '--json',
        '--last',
        '1',
        '--config',
        ctx.stack.manager.configPath,
      ]);
      recorded = (JSON.parse(stdout) as { holder?: { node?: string } | null }).holder?.node ?? null;
      return recorded === expected || undefined;
    },
    { description: 'the journal to name the holder', timeoutMs: 5_000, intervalMs: 200 },
  ).catch(() => undefined);
  if (agreed === undefined) run.fail(`the journal names ${recorded ?? 'no holder'}, the cluster ${expected ?? 'none'}`);
  else run.note(`history: the journal names ${expected ?? 'no holder'} as the holder`);
}

/** The first request `action` to `agent` seen on the wire since `sinceMs`. */
async function capture(
  ctx: ScriptContext,
  agent: string,
  action: string,
  sinceMs: number,
): Promise<Exchange | undefined> {
  const recorder = recorderOf(ctx, agent);
  return waitFor(
    () =>
      recorder.exchanges.find(
        (e) => e.sentMs >= sinceMs && e.path === '/failover' && jsonBody(e)?.['action'] === action,
      ),
    { description: `a ${action} to ${agent} on the wire`, timeoutMs: STEP_TIMEOUT_MS, intervalMs: 10 },
  ).catch(() => undefined);
}

function recorderOf(ctx: ScriptContext, agent: string): RecordingProxy {
  const recorder = ctx.recorders.get(agent);
  if (recorder === undefined) throw new Error(`no recorder in front of agent ${agent}`);
  return recorder;
}
