/**
 * The scripts of the classes of issue 11 (`guard-plans.ts`): a zombie validator outliving its
 * agent, with the host guard and without it; a stale signed tower written into etcd before a
 * restore; cluster RPC backends that disagree; etcd down during a planned switchover. Each
 * waits for its moment and injects with {@link injectWhen}; the judge decides the rest.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack, StackHostGuard, StackOptions } from '@failover/e2e';
import { etcdKeys, waitFor, type EtcdKeys, type EtcdKv } from '@failover/testkit';
import type { GuardScenario } from './guard-plans';
import { inject, type Injected } from './inject';
import { jsonBody, type Exchange } from './recording-proxy';
import {
  FAILOVER_ENDS,
  RunRecord,
  describeResult,
  holderOrFirst,
  injectWhen,
  other,
  restartAgent,
  stepStarted,
  switchover,
  type ScriptContext,
  type ScriptRun,
} from './script-kit';

/** The unit's times of the `zombie` class's agents: as tools/e2e's zombie test. */
export const ZOMBIE_HOST_GUARD: StackHostGuard = { watchdogMs: 2_000, killAfterMs: 2_000 };

/** The name of the frozen RPC backend of `rpc-disagree`, on the simulator's `/backend/<name>`. */
const STALE_BACKEND = 'stale';

/** What a class needs of its stack besides the trial's settings. */
export function guardStackOptions(scenario: GuardScenario): Pick<StackOptions, 'hostGuard' | 'editManagerConfig'> {
  switch (scenario.kind) {
    case 'zombie':
      return { hostGuard: ZOMBIE_HOST_GUARD };
    case 'rpc-disagree':
      return {
        editManagerConfig: (config) => {
          const real = String(config['cluster_rpc']);
          const stale = `${real}/backend/${STALE_BACKEND}`;
          return { ...config, cluster_rpc: scenario.staleFirst ? [stale, real] : [real, stale] };
        },
      };
    default:
      return {};
  }
}

/** Runs the script of `scenario`; see the file comment. */
export async function runGuard(scenario: GuardScenario, ctx: ScriptContext): Promise<ScriptRun> {
  switch (scenario.kind) {
    case 'zombie':
    case 'zombie-unguarded':
      return zombie(scenario, ctx);
    case 'stale-tower-in-etcd':
      return staleTowerInEtcd(scenario, ctx);
    case 'rpc-disagree':
      return rpcDisagree(scenario, ctx);
    case 'etcd-outage-switchover':
      return etcdOutageSwitchover(scenario, ctx);
  }
}

async function zombie(
  s: Extract<GuardScenario, { kind: 'zombie' | 'zombie-unguarded' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const from = await holderOrFirst(stack);
  const validator = stack.cluster.validator(from);
  const agent = stack.agent(from);
  const started = Date.now();
  validator.hang();
  run.since(started);
  const lastVote = Math.max(
    ...(await stack.cluster.judge.votes()).filter((v) => v.validator === from).map((v) => v.slot),
  );
  // Killed before it backed up the frozen validator's last tower, the agent leaves the tower
  // floor above every backup: the promotion is held and nobody votes (S2), not this case.
  const backedUp = waitFor(
    async () => {
      const status = await agent.client.status();
      return (status.ok && (status.value.tower?.last_vote_slot ?? 0) >= lastVote) || undefined;
    },
    { description: `agent ${from} to back up its frozen validator's last tower`, timeoutMs: 15_000, intervalMs: 100 },
  ).catch(() => {
    run.fail(`agent ${from} never backed up its frozen validator's last tower (slot ${lastVote})`);
    return undefined;
  });
  const killed = await injectWhen(run, backedUp, 0, () => agent.process.kill());
  if (killed !== undefined) {
    run.note(
      validator.isRunning()
        ? `the frozen validator ${from} outlived its agent`
        : `the guard killed the frozen validator ${from} when its agent died`,
    );
    const end = await stack.manager.log.waitFor((l) => l.time >= started && FAILOVER_ENDS.has(l.event ?? ''), 90_000);
    run.note(end === undefined ? 'no failover ended within 90 s of the kill' : `the manager: ${end.event}`);
    await sleep(s.thawAfterMs);
  }
  // The thaw: the frozen process resumes; one the guard killed is started again, as systemd
  // would, on whatever its identity.json symlink names.
  if (validator.isRunning()) validator.resume();
  else await validator.start();
  const thawedAt = Date.now();
  run.span(`zombie(${from}: validator frozen, agent killed; thawed)`, started, thawedAt, false);
  if (s.kind === 'zombie-unguarded') {
    const doubleVote = await waitFor(
      async () => (await stack.cluster.judge.violations()).some((v) => v.kind === 'double-vote') || undefined,
      { description: 'a double vote', timeoutMs: 15_000, intervalMs: 200 },
    ).catch(() => undefined);
    run.note(
      doubleVote ? 'the thawed validator voted beside the new active' : 'no double vote within 15 s of the thaw',
    );
  } else await sleep(3_000);
  // The unit brings the agent back.
  await restartAgent(stack, from, 20_000).catch(() =>
    run.note(`agent ${from} did not answer /health within 20 s of its restart`),
  );
  run.span(`agent-down(${from})`, killed?.atMs ?? thawedAt, Date.now(), false);
  return run.done(started);
}

/**
 * The moment is the one the floor exists for: the manager has seen the final tower backup land
 * and sent the promotion, and the new holder's agent has not yet read the store. The promotion
 * is held at the recorder in front of that agent while the old tower is written over the final
 * backup, then released; the agent must refuse it (422 `FAILOVER_TOWER_STALE`), and the trial
 * fails when it does not, or when the promotion never came. Every copy of the last votes is
 * then gone from where a restore looks (the old active removed its tower file once its final
 * backup landed), so nobody may take the identity: the manager holds, and an operator puts the
 * newest tower back into the store (docs/safety.md), which ends the fault.
 */
async function staleTowerInEtcd(
  s: Extract<GuardScenario, { kind: 'stale-tower-in-etcd' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const from = await holderOrFirst(stack);
  const to = other(from);
  const recorder = ctx.recorders.get(to);
  if (recorder === undefined) throw new Error(`stale-tower-in-etcd needs a recorder in front of agent ${to}`);
  const towers = towerKeys(stack);
  const old = await towers.read();
  if (old.length === 0) {
    run.fail('no tower in etcd to make stale');
    return run.done(Date.now());
  }
  await sleep(s.ageMs);
  const started = Date.now();
  const promotion = recorder.holdNext((e) => e.path === '/failover' && jsonBody(e)?.['action'] === 'become_active');
  ctx.defer(() => {
    promotion.release();
    return Promise.resolve();
  });
  const answer = switchover(stack.manager.control, to, 'chaos: stale-tower-in-etcd');
  let promoted: Exchange | undefined;
  const arrived = Promise.race([
    promotion.arrived.then((exchange) => (promoted = exchange)),
    answer.then((result) => {
      if (promoted === undefined)
        run.fail(`the switchover ended (${describeResult(result)}) before the promotion of ${to} reached its agent`);
      return undefined;
    }),
  ]);
  const written = await injectWhen(run, arrived, 0, async (exchange) => {
    try {
      const finalBackup = await towers.read();
      await towers.write(old);
      return { exchange, finalBackup };
    } finally {
      promotion.release();
    }
  });
  const result = await answer;
  run.switchover('switchover', result);
  if (written === undefined) return run.done(started);
  const { exchange, finalBackup } = written.value;
  const [staleSlot, finalSlot] = [towerSlot(old), towerSlot(finalBackup)];
  const label = `stale-tower(slot ${staleSlot ?? 'none'} over the final backup's ${finalSlot ?? 'none'})`;
  if ((finalSlot ?? -1) <= (staleSlot ?? -1))
    run.fail(`etcd held no tower newer than the stale one (slot ${staleSlot ?? 'none'}) when the promotion came`);
  if (exchange.status === 200 && jsonBody(exchange)?.['carried_tower'] !== undefined) {
    // The promotion brought the old active's final tower (safety.md, "The final tower carried
    // by the manager"). A restore takes nothing below the request's floor, which the stale tower
    // is, so a 200 means it took the carried one: nothing to hold, and the store is left to the
    // new holder's backups (an operator's copy of the final backup would fence them).
    run.note(`the promotion of ${to} over the stale tower: 200, with the final tower carried from ${from}`);
    run.span(label, written.atMs, Date.now(), false);
    return run.done(started);
  }
  run.expectRefusal(
    `the promotion of ${to} over the stale tower`,
    { status: exchange.status ?? 0, code: exchange.code },
    422,
    'FAILOVER_TOWER_STALE',
  );
  const rollback = ctx.recorders
    .get(from)
    ?.exchanges.find((e) => e.sentMs >= written.atMs && jsonBody(e)?.['action'] === 'become_active');
  if (rollback !== undefined)
    run.note(`the promotion back onto ${from}: ${rollback.status ?? 'no answer'} ${rollback.code ?? ''}`.trimEnd());
  const held = await stack.manager.log.waitFor(
    (l) => l.time >= written.atMs && l.event === 'blocked' && JSON.stringify(l.fields).includes('"kind":"stale-tower"'),
    60_000,
  );
  run.note(held === undefined ? 'the manager held no promotion as stale-tower within 60 s' : `held: ${held.msg}`);
  await towers.write(finalBackup);
  run.span(label, written.atMs, Date.now(), false);
  return run.done(started);
}

async function rpcDisagree(
  s: Extract<GuardScenario, { kind: 'rpc-disagree' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  await stack.cluster.freezeBackendVotes(STALE_BACKEND, true);
  const frozenAt = Date.now();
  // Past the stale threshold, the frozen backend alone would prove the active stopped.
  const frozenLongEnough = sleep(5_000).then(() => true);
  const fault = s.fault === 'cut-manager-active' ? { kind: s.fault } : { kind: s.fault, target: 'active' as const };
  const done = await injectWhen(run, frozenLongEnough, 0, () => inject(stack, fault));
  if (done === undefined) return run.done(frozenAt);
  const injected: Injected = done.value;
  await sleep(s.lastsMs);
  const problem = await injected.heal();
  if (problem !== undefined) run.note(problem);
  run.span(injected.label, done.atMs, Date.now(), false);
  const promoted = stack.manager.log.failovers().filter((f) => f.outcome === 'failover-complete' && f.at >= done.atMs);
  if (s.fault === 'cut-manager-active' && promoted.length > 0)
    run.fail(
      `the manager promoted past an active that still voted: ${promoted.map((f) => `${f.from}→${f.to}`).join(', ')}`,
    );
  run.note(
    promoted.length > 0
      ? `promoted: ${promoted.map((f) => `${f.from}→${f.to}`).join(', ')}`
      : 'the manager promoted nobody while the fault lasted',
  );
  await stack.cluster.freezeBackendVotes(STALE_BACKEND, false);
  run.span(`rpc-backend-frozen(${STALE_BACKEND}, ${s.staleFirst ? 'first' : 'second'})`, frozenAt, Date.now(), false);
  return run.done(frozenAt);
}

async function etcdOutageSwitchover(
  s: Extract<GuardScenario, { kind: 'etcd-outage-switchover' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const etcd = stack.etcd;
  const links = stack.links;
  if (etcd === undefined || links === undefined) throw new Error('etcd-outage-switchover needs etcd and links');
  const from = await holderOrFirst(stack);
  const to = other(from);
  const started = Date.now();
  const answer = switchover(stack.manager.control, to, 'chaos: etcd-outage-switchover');
  const reached = stepStarted(stack.manager.log, s.step, from, to, started, run, answer);
  const cut = [...links.of('v1').toEtcd, ...links.of('v2').toEtcd];
  const down = await injectWhen(run, reached, s.offsetMs, async () => {
    if (s.how === 'members-killed') await Promise.all(etcd.members.map((m) => m.kill()));
    else await Promise.all(cut.map((p) => p.cut('blackhole')));
  });
  if (down === undefined) return run.done(started);
  await sleep(Math.max(0, down.atMs + s.outageMs - Date.now()));
  if (s.how === 'members-killed') await Promise.all(etcd.members.map((m) => m.restart()));
  else await Promise.all(cut.map((p) => p.heal()));
  run.span(`etcd-outage(${s.how}, at ${s.step}+${s.offsetMs}ms)`, down.atMs, Date.now(), false);
  const result = await answer;
  run.note(`switchover ${from}→${to}: ${describeResult(result)}`);
  return run.done(started);
}

/**
 * The staked identity's tower keys in the stack's etcd (`<prefix>/<identity>/bytes`, `meta`,
 * `slot`), read and written as anyone who reaches etcd could: it has no auth.
 */
function towerKeys(stack: Stack): EtcdKeys {
  const endpoint = stack.etcd?.endpoints[0];
  if (endpoint === undefined) throw new Error('the stack has no etcd');
  return etcdKeys(endpoint, `/failover/tower/${stack.cluster.stakedPubkey}/`);
}

/** The slot the `slot` key records: the last voted slot + 1, zero-padded (etcd-tower-store.ts). */
function towerSlot(kvs: readonly EtcdKv[]): number | undefined {
  const kv = kvs.find((k) => Buffer.from(k.key, 'base64').toString().endsWith('/slot'));
  return kv === undefined ? undefined : Number(Buffer.from(kv.value, 'base64').toString()) - 1;
}
