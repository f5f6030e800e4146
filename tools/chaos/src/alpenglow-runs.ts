/**
 * The scripts of the Alpenglow classes (`alpenglow-plans.ts`): a standstill and a VAT exclusion
 * around a crash, a manager cut off from the active during the migration window, and a host lost
 * with its vote-history backups. Each takes the cluster through the switch it needs, injects
 * with {@link injectWhen}, and checks that no failover completed while the veto held; the judge
 * decides the rest.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { switchedToAlpenglow, type Stack } from '@failover/e2e';
import type { ControlStatus } from '@failover/protocol';
import { etcdKeys, waitFor } from '@failover/testkit';
import type { AlpenglowScenario } from './alpenglow-plans';
import { inject } from './inject';
import {
  RunRecord,
  healInjected,
  holderOrFirst,
  injectWhen,
  restartAgent,
  type ScriptContext,
  type ScriptRun,
} from './script-kit';

/** How long the switch to Alpenglow may take once the feature is activated. */
const SWITCH_TIMEOUT_MS = 60_000;

/** Runs the script of `scenario`; see the file comment. */
export async function runAlpenglow(scenario: AlpenglowScenario, ctx: ScriptContext): Promise<ScriptRun> {
  switch (scenario.kind) {
    case 'standstill':
    case 'vat-exclusion':
      return vetoedCrash(scenario, ctx);
    case 'migration-window':
      return migrationWindow(scenario, ctx);
    case 'lost-vote-history':
      return lostVoteHistory(scenario, ctx);
  }
}

/** The manager's status, or null while it does not answer. */
async function managerStatus(stack: Stack): Promise<ControlStatus | null> {
  return stack.manager.status().catch(() => null);
}

/**
 * Activates the feature and waits until the manager reads the phase `alpenglow` with no veto
 * and the active's agent has backed up a vote history. False, with the failure recorded, when
 * that does not happen in time.
 */
async function switchToAlpenglow(stack: Stack, run: RunRecord): Promise<boolean> {
  const activatedAt = await stack.cluster.activateAlpenglow();
  run.note(`Alpenglow feature activated at slot ${activatedAt}`);
  const switched = await switchedToAlpenglow(stack, stack.agent(await holderOrFirst(stack)), SWITCH_TIMEOUT_MS);
  if (!switched)
    run.fail(
      `the manager did not read a finalizing Alpenglow cluster within ${SWITCH_TIMEOUT_MS} ms of the activation`,
    );
  return switched;
}

/** Failovers the stack's manager completed since `sinceMs` (and before `untilMs`). */
function completedBetween(stack: Stack, sinceMs: number, untilMs = Number.POSITIVE_INFINITY): string[] {
  return stack.manager.log
    .failovers()
    .filter((f) => f.outcome === 'failover-complete' && f.at >= sinceMs && f.at < untilMs)
    .map((f) => `${f.from}→${f.to}`);
}

async function vetoedCrash(
  s: Extract<AlpenglowScenario, { kind: 'standstill' | 'vat-exclusion' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const started = Date.now();
  if (!(await switchToAlpenglow(stack, run))) return run.done(started);
  const { cluster } = stack;
  const veto = (on: boolean): Promise<void> =>
    s.kind === 'standstill' ? cluster.standstill(on) : cluster.vatExclude(cluster.votePubkey, on);
  await veto(true);
  const vetoedAt = Date.now();
  // The veto is read first, as an operator's status shows it; then the active crashes under it.
  const read = waitFor(async () => ((await managerStatus(stack))?.consensus?.veto ?? null) !== null || undefined, {
    description: `the ${s.kind} veto`,
    timeoutMs: 20_000,
    intervalMs: 200,
  }).catch(() => {
    run.fail(`the manager never reported the ${s.kind} veto`);
    return undefined;
  });
  const killed = await injectWhen(run, read, 0, () => inject(stack, { kind: 'validator-kill', target: 'active' }));
  if (killed !== undefined) await sleep(s.lastsMs);
  const promoted = completedBetween(stack, vetoedAt);
  if (promoted.length > 0) run.fail(`the manager failed over during the ${s.kind}: ${promoted.join(', ')}`);
  else run.note(`no failover during the ${s.kind}`);
  await veto(false);
  run.span(`${s.kind}`, vetoedAt, Date.now(), false);
  if (killed !== undefined) await healInjected(run, killed);
  return run.done(started);
}

async function migrationWindow(
  s: Extract<AlpenglowScenario, { kind: 'migration-window' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const started = Date.now();
  const activatedAt = await stack.cluster.activateAlpenglow();
  run.note(`Alpenglow feature activated at slot ${activatedAt}`);
  const inWindow = waitFor(
    async () =>
      (await managerStatus(stack))?.consensus?.phase === 'migrating' &&
      (await stack.cluster.slot()) >= activatedAt + s.offsetSlots
        ? true
        : undefined,
    { description: 'the manager to read the phase migrating', timeoutMs: 20_000, intervalMs: 100 },
  ).catch(() => {
    run.fail('the manager never read the phase migrating');
    return undefined;
  });
  const cut = await injectWhen(run, inWindow, 0, () => inject(stack, { kind: 'cut-manager-active' }));
  if (cut === undefined) return run.done(started);
  // Cut off until the manager reads the switch: the whole rest of the window.
  const switchedAt = await waitFor(
    async () => ((await managerStatus(stack))?.consensus?.phase === 'alpenglow' ? Date.now() : undefined),
    { description: 'the switch to Alpenglow', timeoutMs: SWITCH_TIMEOUT_MS, intervalMs: 100 },
  ).catch(() => {
    run.fail(`the manager did not read the switch within ${SWITCH_TIMEOUT_MS} ms`);
    return Date.now();
  });
  const promoted = completedBetween(stack, cut.atMs, switchedAt);
  if (promoted.length > 0) run.fail(`the manager promoted while migrating: ${promoted.join(', ')}`);
  else run.note('no promotion while migrating');
  await healInjected(run, cut);
  return run.done(started);
}

async function lostVoteHistory(
  s: Extract<AlpenglowScenario, { kind: 'lost-vote-history' }>,
  ctx: ScriptContext,
): Promise<ScriptRun> {
  const run = new RunRecord();
  const { stack } = ctx;
  const started = Date.now();
  if (!(await switchToAlpenglow(stack, run))) return run.done(started);
  const from = await holderOrFirst(stack);
  const agent = stack.agent(from);
  const validator = stack.cluster.validator(from);
  const lost = await injectWhen(run, Promise.resolve(true), 0, async () => {
    await agent.process.kill();
    await validator.crash();
    await deleteVoteHistoryBackups(stack);
  });
  if (lost === undefined) return run.done(started);
  await sleep(s.lastsMs);
  const promoted = completedBetween(stack, lost.atMs);
  if (promoted.length > 0) run.fail(`the manager promoted without the lost vote history: ${promoted.join(', ')}`);
  else run.note('nobody was promoted without the vote history');
  // The host comes back: the validator on whatever its identity.json names, then its agent.
  await validator.start();
  await restartAgent(stack, from, 20_000).catch(() =>
    run.note(`agent ${from} did not answer /health within 20 s of its restart`),
  );
  run.span(`host-lost(${from}, vote history backups deleted)`, lost.atMs, Date.now(), false);
  return run.done(started);
}

/**
 * Deletes the staked identity's vote-history keys (`<prefix>/vote-history/<identity>/`,
 * etcd-tower-store.ts), as anyone who reaches etcd could.
 */
async function deleteVoteHistoryBackups(stack: Stack): Promise<void> {
  const endpoint = stack.etcd?.endpoints[0];
  if (endpoint === undefined) throw new Error('lost-vote-history needs the stack’s etcd');
  await etcdKeys(endpoint, `/failover/tower/vote-history/${stack.cluster.stakedPubkey}/`).remove();
}
