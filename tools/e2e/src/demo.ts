/**
 * `npm run demo`: the main job on embedded defaults. Starts the stack (simulated cluster,
 * two agents, the manager), shows both nodes every second, waits until the active votes
 * steadily, kills it with `kill -9`, shows the manager's failover with its step timings, waits
 * for the new active to vote, and prints the simulator judge's verdict. With `--alpenglow` the
 * cluster switches to Alpenglow before the crash; with `--client` the agents run a Frankendancer
 * or Firedancer profile. Exit code 0 on a clean failover, 1 on a violation or when voting did
 * not resume in time, 2 on a bad command line.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { decodeVoteHistory } from '@failover/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlStatus } from '@failover/protocol';
import type { SimValidator, ValidatorStatus } from '@failover/solana-sim';
import { demoUsage, parseDemoArgs, type DemoOptions } from './demo-args';
import { decideVerdict, renderFailover, renderNodeLine, renderVerdict, stamp, type NodeSample } from './demo-view';
import { toFailoverReport, type ManagerLogLine } from './manager-log';
import { switchedToAlpenglow } from './alpenglow-switch';
import { startStack, type Stack } from './stack';
import { clientProfileConfig } from './stack-config';
import { Screen } from './screen';

/** Where the demo writes; the process's own streams by default. */
export interface DemoIo {
  readonly stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const ETCD_BINARY = '/usr/bin/etcd';
/** `--alpenglow`: slots from the feature's activation to the switch; mainnet's 5000 would take half an hour. */
const MIGRATION_SLOTS = 20;
/** Missed heartbeats before the manager fails over: detection takes about this many heartbeats. */
const MISSES = 3;
/** One heartbeat per slot, but not faster than 100 ms: the agents answer within tens of ms. */
const heartbeatOf = (options: DemoOptions): number => Math.max(100, options.slotMs);
/** Events worth a line in the demo; the rest (status reports, start) stay in the manager's log. */
const SHOWN_EVENTS = new Set([
  'failover-started',
  'failover-complete',
  'failover-failed',
  'rolled-back',
  'blocked',
  'unblocked',
  'unreachable',
  'back-online',
]);

/** Runs the demo with `argv` (without `node` and the script); resolves with the exit code. */
export async function runDemo(argv: readonly string[], io: DemoIo = process): Promise<number> {
  const args = parseDemoArgs(argv);
  if (args.kind === 'help') {
    io.stdout.write(demoUsage());
    return 0;
  }
  if (args.kind === 'error') {
    io.stderr.write(`demo: ${args.message}\n`);
    return 2;
  }
  const options = args.options;
  if (options.towerStore === 'etcd' && !existsSync(ETCD_BINARY)) {
    io.stderr.write(
      `demo: --etcd needs the etcd server binary at ${ETCD_BINARY}, which is not installed.\n` +
        '  Install it with: sudo apt-get install -y etcd-server   (or: bash tools/scripts/setup.sh --system)\n' +
        '  or run the demo without --etcd to keep towers in the embedded directory store.\n',
    );
    return 2;
  }
  const screen = new Screen(io.stdout);
  const started = Date.now();
  const say = (text: string): void => screen.line(`${stamp(Date.now() - started)}  ${text}`);

  say(
    `starting a simulated cluster (2 ${options.client} validators, ${options.slotMs} ms slots${options.alpenglow ? ', Alpenglow-ready' : ''}), ` +
      `2 agents and the manager; towers in ${options.towerStore === 'etcd' ? 'a real etcd' : 'the embedded directory store'}`,
  );
  let stack: Stack;
  try {
    const { client } = options;
    stack = await startStack({
      slotMs: options.slotMs,
      towerStore: options.towerStore,
      heartbeatMs: heartbeatOf(options),
      misses: MISSES,
      keepDir: true,
      ...(client === 'agave' ? {} : { editAgentConfig: clientProfileConfig(client) }),
      ...(options.alpenglow ? { alpenglowMigrationSlots: MIGRATION_SLOTS } : {}),
    });
  } catch (error) {
    screen.line(`demo: the stack did not start: ${(error as Error).message}`);
    return 1;
  }
  const stopOnSignal = (): void => {
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  let ok = false;
  try {
    ok = await runScenario(stack, options, say, screen, started);
  } catch (error) {
    say(`demo failed: ${(error as Error).message}`);
  } finally {
    screen.clearView();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await stack.stop();
  }
  if (ok && !options.keep) rmSync(stack.dir, { recursive: true, force: true });
  else screen.line(`configs and logs kept in ${stack.dir}`);
  return ok ? 0 : 1;
}

async function runScenario(
  stack: Stack,
  options: DemoOptions,
  say: (text: string) => void,
  screen: Screen,
  started: number,
): Promise<boolean> {
  const { cluster, manager } = stack;
  const [active, passive] = stack.agents;
  const slotMs = options.slotMs;
  say(
    `agents on ${active.url} (${active.name}) and ${passive.url} (${passive.name}); manager log: ${manager.process.logPath}`,
  );
  const unsubscribe = manager.log.subscribe((line) => showEvent(line, say));
  const view = startLiveView(stack, screen, started);
  try {
    // Steady: the manager sees the staked node active with a tower backup, and it has voted for a while.
    const steadyMs = Math.max(3000, 20 * slotMs);
    let votingSince: number | undefined;
    const steady = await until(30_000, Math.max(100, slotMs), async () => {
      const [status, validator] = await Promise.all([
        manager.status().catch(() => null),
        validatorStatus(active.validator),
      ]);
      const node = status?.nodes.find((n) => n.node === 'validator1');
      const voting =
        validator?.voting === true &&
        status?.active === 'validator1' &&
        status.state === 'monitoring' &&
        node?.last_tower_backup != null;
      votingSince = voting ? (votingSince ?? Date.now()) : undefined;
      return votingSince !== undefined && Date.now() - votingSince >= steadyMs ? true : undefined;
    });
    if (!steady) {
      say('the active validator did not vote steadily within 30 s; see the logs');
      return false;
    }
    if (options.alpenglow && !(await switchToAlpenglow(stack, say, slotMs))) return false;
    const crashSlot = await cluster.slot();
    const crashAt = Date.now();
    say(
      `${active.name} votes steadily; kill -9 ${active.validator.pid ?? '?'} (${active.name}, the active validator) at slot ${crashSlot}`,
    );
    await active.validator.crash();

    const heartbeatMs = heartbeatOf(options);
    const failoverBound = MISSES * heartbeatMs + 30_000;
    const ended = await manager.log.waitFor((line) => toFailoverReport(line) !== undefined, failoverBound);
    const report = ended === undefined ? undefined : toFailoverReport(ended);
    if (report !== undefined) for (const line of renderFailover(report)) say(line);
    else say(`no failover reported within ${failoverBound} ms of the crash`);

    const firstVote = await until(15_000, Math.max(50, slotMs / 2), async () => {
      const votes = await cluster.judge.votes().catch(() => []);
      return votes.find((v) => v.validator === passive.name && v.landed && v.timeMs > crashAt);
    });
    if (firstVote !== undefined) {
      say(
        `${passive.name} voted with the staked identity at slot ${firstVote.slot}, ${firstVote.timeMs - crashAt} ms after the crash`,
      );
      if (options.alpenglow) say(describeVoteHistory(stack));
      // Keep watching a while: the restarted old active must stay unstaked, and votes keep landing.
      await sleep(Math.max(3000, 25 * slotMs));
    } else {
      say(`${passive.name} did not vote within 15 s of the failover`);
    }

    const [violations, gaps] = await Promise.all([cluster.judge.violations(), cluster.judge.gaps()]);
    const verdict = decideVerdict({ violations, gaps, failover: report, from: active.name, to: passive.name });
    view.stop();
    screen.clearView();
    const failoverStarted = manager.log.events('failover-started')[0];
    const detectionMs = failoverStarted === undefined ? undefined : eventAt(failoverStarted) - crashAt;
    say(
      `timings: detection ${detectionMs ?? '?'} ms (the agent saw the exit; heartbeat ${heartbeatMs} ms × ${MISSES} misses for what it cannot see), ` +
        `failover ${report?.totalMs ?? '?'} ms, crash → first vote of ${passive.name} ${firstVote === undefined ? '?' : firstVote.timeMs - crashAt} ms`,
    );
    for (const line of renderVerdict(verdict, violations)) screen.line(line);
    screen.line(`demo ran ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return verdict.ok;
  } finally {
    view.stop();
    unsubscribe();
  }
}

/**
 * Activates the Alpenglow feature and waits for the switch (see {@link switchedToAlpenglow}):
 * the manager reads a finalizing Alpenglow cluster and the active has backed up its vote
 * history. False when that does not happen in time.
 */
async function switchToAlpenglow(stack: Stack, say: (text: string) => void, slotMs: number): Promise<boolean> {
  const activatedAt = await stack.cluster.activateAlpenglow();
  say(`Alpenglow feature activated at slot ${activatedAt}; the cluster switches ${MIGRATION_SLOTS} slots later`);
  const limitMs = 30_000 + MIGRATION_SLOTS * slotMs;
  if (!(await switchedToAlpenglow(stack, stack.agents[0], limitMs))) {
    say(`the manager did not see the cluster finalize under Alpenglow within ${limitMs} ms; see the logs`);
    return false;
  }
  say('the cluster runs Alpenglow: votes go to the vote history, which the active backs up like its tower');
  return true;
}

/** What the new active's ledger holds: the vote history it was given, verified, and voted on since. */
function describeVoteHistory(stack: Stack): string {
  const { cluster } = stack;
  const passive = stack.agents[1];
  try {
    const bytes = readFileSync(passive.validator.voteHistoryPath(cluster.stakedPubkey));
    const decoded = decodeVoteHistory(bytes, cluster.stakedPubkey);
    return decoded.ok
      ? `${passive.name}'s vote history verifies for the staked identity; newest slot ${decoded.newestSlot}`
      : `${passive.name}'s vote history does not verify: ${decoded.error.message}`;
  } catch (error) {
    return `${passive.name} has no vote history: ${(error as Error).message}`;
  }
}

function showEvent(line: ManagerLogLine, say: (text: string) => void): void {
  if (line.event === undefined || !SHOWN_EVENTS.has(line.event) || toFailoverReport(line) !== undefined) return;
  say(`manager: ${line.msg.split('\n').join('; ')}`);
}

function eventAt(line: ManagerLogLine): number {
  return typeof line.fields['at'] === 'number' ? line.fields['at'] : line.time;
}

/** Polls `probe` every `intervalMs` until it yields a value; undefined after `timeoutMs`. */
async function until<T>(
  timeoutMs: number,
  intervalMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(intervalMs);
  }
  return undefined;
}

/** The validator's own report, or null when its process does not answer (crashed, restarting). */
async function validatorStatus(validator: SimValidator): Promise<ValidatorStatus | null> {
  if (!validator.isRunning()) return null;
  return Promise.race([validator.status().catch(() => null), sleep(500).then(() => null)]);
}

/** Samples the manager and both validators every second and redraws the view. */
function startLiveView(stack: Stack, screen: Screen, started: number): { stop(): void } {
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const tick = Date.now();
      const [status, ...validators] = await Promise.all([
        stack.manager.status().catch(() => null),
        ...stack.agents.map((a) => validatorStatus(a.validator)),
      ]);
      if (!running) return;
      const samples = stack.agents.map((agent, i) =>
        toSample(agent.name, i === 0 ? 'validator1' : 'validator2', status, validators[i] ?? null),
      );
      const header = `${stamp(tick - started)}  cluster slot ${status?.cluster_slot ?? '?'}  manager: ${status === null ? 'not answering' : `${status.state}, active ${status.active ?? 'unknown'}`}`;
      screen.view([
        header,
        ...samples.map((s) => `${stamp(tick - started)}  ${renderNodeLine(s, stack.cluster.stakedPubkey)}`),
      ]);
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
  };
  void loop();
  return {
    stop() {
      running = false;
    },
  };
}

function toSample(
  name: string,
  node: string,
  status: ControlStatus | null,
  validator: ValidatorStatus | null,
): NodeSample {
  const seen = status?.nodes.find((n) => n.node === node);
  const now = Math.floor(Date.now() / 1000);
  return {
    name,
    node,
    role: seen === undefined ? 'unknown' : seen.reachable === false ? 'unreachable' : seen.role,
    identity: validator?.identity ?? null,
    slot: seen?.slot ?? null,
    lag: seen?.lag ?? null,
    lastVote: validator?.lastVote ?? null,
    up: validator !== null,
    towerBackupAgeS: seen?.last_tower_backup == null ? null : Math.max(0, now - seen.last_tower_backup),
  };
}

if (require.main === module) {
  runDemo(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
