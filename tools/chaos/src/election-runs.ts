/**
 * The scripts of the election classes (`fencing-plans.ts`): two managers on the election, on
 * the stack's 3-member etcd, and a leadership that changes in the middle of a failover — the
 * leader's lease lost while its promotion fails once and the follower may ask for a switchover
 * of its own, or the leader killed and then the etcd cluster's own leader lost while the
 * follower waits to campaign. Each fails when its fault missed the moment it is about: the
 * failover in flight, the election still open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerLogLine } from '@failover/e2e';
import { waitFor } from '@failover/testkit';
import {
  ELECTION_TTL_MS,
  agreedLeader,
  etcdLeaderMember,
  revokeLeaderLease,
  waitAgreedLeader,
  type TrialManager,
} from './election-kit';
import type { FencingScenario } from './fencing-plans';
import {
  FAILOVER_ENDS,
  type RunRecord,
  describeResult,
  injectWhen,
  managerReady,
  openSwitchover,
  promotionFailsOnce,
  switchoverAccepted,
  within,
  type ScriptContext,
  type ScriptRun,
} from './script-kit';
import { startSecondManager, type SecondManager } from './second-manager';

/** A new leader must lead within this of the fault: the TTL, etcd's lease check, a campaign. */
const TAKEOVER_MS = 4 * ELECTION_TTL_MS;

/**
 * Starts the second manager and waits until the stack's manager leads, named by both, and
 * watches the pair ({@link managerReady}); throws (a harness error, never a pass) when it does not.
 */
async function twoOnTheElection(ctx: ScriptContext): Promise<{ second: SecondManager; term: number }> {
  const second = await startSecondManager(ctx);
  const first = ctx.stack.manager;
  const agreed = await waitAgreedLeader([first, second], 30_000);
  if (agreed === undefined || agreed.leader !== first)
    throw new Error(`the stack's manager did not lead, named by the second manager, within 30 s`);
  await managerReady(ctx, first.control);
  return { second, term: agreed.term };
}

/**
 * The failover `first` was running when the fault came at `faultAt`, taken up by `leader` once
 * elected and ended, not failed. Resolves with the line `leader` logged when elected.
 */
async function takenUpAndEnded(
  run: RunRecord,
  first: TrialManager,
  leader: TrialManager,
  started: number,
  faultAt: number,
): Promise<ManagerLogLine | undefined> {
  const endedBefore = first.log
    .all()
    .find((l) => l.time >= started && l.time < faultAt && FAILOVER_ENDS.has(l.event ?? ''));
  if (endedBefore !== undefined) {
    run.fail(`the failover had ended (${endedBefore.event}) before the fault: it did not land in flight`);
    return undefined;
  }
  const elected = await leader.log.waitFor((l) => l.time >= faultAt && l.msg.startsWith('elected leader'), 1_000);
  if (elected === undefined) {
    run.fail(`the new leader logged no 'elected leader' after the fault`);
    return undefined;
  }
  // A deposed leader logs the end of its run without notifying it: not the new leader's outcome.
  const end = await leader.log.waitFor(
    (l) => l.time >= elected.time && FAILOVER_ENDS.has(l.event ?? '') && !l.msg.startsWith('not notified'),
    90_000,
  );
  if (end === undefined) run.fail(`the new leader did not end the failover within 90 s`);
  else if (end.event === 'failover-failed') run.fail(`the new leader ended the failover failed: ${end.msg}`);
  else run.note(`the new leader: ${end.event} ${String(end.fields['from'])}→${String(end.fields['to'])}`);
  return elected;
}

export async function twoManagersElection(
  s: Extract<FencingScenario, { kind: 'two-managers-election' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const etcd = ctx.stack.etcd;
  if (etcd === undefined) throw new Error(`${s.kind} needs the stack's etcd`);
  const { second, term } = await twoOnTheElection(ctx);
  // The promotion fails once: set-identity fails until a manager tries the promotion again.
  const { run, manager, from, to, started, answer, reached } = await openSwitchover(ctx, s.kind, (_from, target) =>
    ctx.stack.cluster.validator(target).failSetIdentity(true),
  );
  run.manager(second.log);
  const healed = promotionFailsOnce(ctx, [manager.log, second.log], to, started, answer);
  try {
    const lost = await injectWhen(run, reached(s.step), s.offsetMs, async () => ({
      lease: await revokeLeaderLease(etcd),
      // The follower asks too, racing the take-over: refused while it follows, then its own.
      asked: s.secondSwitches
        ? switchoverAccepted(second.control, from, 'chaos: the follower switches', 30_000)
        : undefined,
    }));
    if (lost === undefined) return run.done(started);
    run.instant(`leader-lease-lost(term ${term}, at ${s.step}+${s.offsetMs}ms)`, lost.atMs);
    if (lost.value.lease === undefined) run.fail('no leader key in etcd: no lease to lose');
    const next = await waitFor(
      async () => {
        const agreed = await agreedLeader([manager, second]);
        return agreed !== undefined && agreed.term > term ? agreed : undefined;
      },
      { description: 'a leader at a higher term', timeoutMs: TAKEOVER_MS, intervalMs: 50 },
    ).catch(() => undefined);
    if (next === undefined) {
      run.fail(`no manager led at a term above ${term} within ${TAKEOVER_MS} ms of the lost lease`);
      return run.done(started);
    }
    run.note(
      `${next.leader === second ? 'the follower' : 'the deposed leader, again'} leads with term ${next.term}, ${Date.now() - lost.atMs} ms after`,
    );
    const stepped = await manager.log.waitFor(
      (l) => l.time >= lost.atMs && l.msg.startsWith('no longer the leader'),
      TAKEOVER_MS,
    );
    if (stepped === undefined) run.fail(`the deposed leader never logged 'no longer the leader'`);
    await takenUpAndEnded(run, manager, next.leader, started, lost.atMs);
    const first = await within(answer, 10_000);
    run.note(
      `the deposed leader's switchover: ${first === undefined ? 'no answer within 10 s' : describeResult(first)}`,
    );
    if (lost.value.asked !== undefined) run.switchover(`the follower's switchover to ${from}`, await lost.value.asked);
    run.span(s.kind, lost.atMs, Date.now(), false);
  } finally {
    await healed;
  }
  return run.done(started);
}

export async function etcdLeaderLost(
  s: Extract<FencingScenario, { kind: 'etcd-leader-lost' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const etcd = ctx.stack.etcd;
  if (etcd === undefined) throw new Error(`${s.kind} needs the stack's etcd`);
  const { second, term } = await twoOnTheElection(ctx);
  // A slow promotion: the failover is still in flight when the leader dies at any step. Well
  // below the agents' 2 s command_timeout: a set-identity that outlasts it, on a loaded machine,
  // is the finding of seed 1624459150 (docs/chaos.md), not this class.
  const { run, manager, to, started, reached } = await openSwitchover(ctx, s.kind, (_from, target) =>
    ctx.stack.cluster.validator(target).setIdentityDelay(800),
  );
  run.manager(second.log);
  try {
    const killed = await injectWhen(run, reached(s.step), s.offsetMs, () => manager.process.kill());
    if (killed === undefined) return run.done(started);
    await sleep(s.etcdAfterMs);
    const member = await etcdLeaderMember(etcd);
    if (member === undefined) {
      run.fail('the etcd members named no one leader');
      return run.done(started);
    }
    // The election must still be open: the dead leader's lease has not expired yet.
    const early = await agreedLeader([second]);
    if (early !== undefined) {
      run.fail(`the follower led (term ${early.term}) before the etcd leader was lost: the fault missed the election`);
      return run.done(started);
    }
    const etcdKilledAt = Date.now();
    await member.kill();
    const back = sleep(s.downMs).then(async () => {
      await member.restart();
      return Date.now();
    });
    const next = await waitAgreedLeader([second], TAKEOVER_MS + s.downMs);
    const backAt = await back;
    run.span(`manager-kill(leader, at ${s.step}+${s.offsetMs}ms)`, killed.atMs, backAt, true);
    run.span(
      `etcd-leader-kill(${member.name}, +${etcdKilledAt - killed.atMs}ms, down ${backAt - etcdKilledAt}ms)`,
      etcdKilledAt,
      backAt,
      false,
    );
    if (next === undefined || next.term <= term) {
      run.fail(`the follower did not lead at a term above ${term} after the etcd leader was lost`);
      return run.done(started);
    }
    run.note(`the follower leads with term ${next.term}`);
    const elected = await takenUpAndEnded(run, manager, second, started, killed.atMs);
    if (elected !== undefined && elected.time < etcdKilledAt)
      run.fail(`the follower was elected before the etcd leader was lost: the fault missed the election`);
    else if (elected !== undefined) run.note(`elected ${elected.time - killed.atMs} ms after the kill`);
  } finally {
    await ctx.stack.cluster.validator(to).setIdentityDelay(0);
  }
  return run.done(started);
}
