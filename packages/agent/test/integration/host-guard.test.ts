import type { SimCluster } from '@failover/solana-sim';
import {
  freePort,
  startSupervisedService,
  waitFor,
  type ServiceCommand,
  type SupervisedService,
} from '@failover/testkit';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { goExampleConfig, SECRET } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-host-guard');

// As the unit's WatchdogSec, guard_kill_after and TimeoutStopSec, shortened for the test; the
// stop timeout leaves the guard as much room beyond guard_kill_after as the unit does (10s).
const WATCHDOG_MS = 4_000;
const GUARD_KILL_AFTER_MS = 3_000;
const STOP_TIMEOUT_MS = GUARD_KILL_AFTER_MS + 10_000;
// What the manager's guard_bound must cover (docs/agent.md): the agent gone, then the guard.
const BOUND_MS = Math.max(WATCHDOG_MS, STOP_TIMEOUT_MS) + STOP_TIMEOUT_MS;

let service: SupervisedService | undefined;
afterEach(async () => {
  service?.signal('SIGKILL');
  await service?.ended;
  service = undefined;
});

// The built bin, as the unit runs it (nx builds the package before its tests). From sources,
// tsx compiled the agent at every start: on a busy CI host that alone could take most of the
// stop timeout the guard is measured against.
const AGENT_BIN = path.join(__dirname, '..', '..', 'bin', 'failover-agent.js');

beforeAll(() => {
  if (!existsSync(path.join(__dirname, '..', '..', 'dist', 'index.js'))) {
    throw new Error('packages/agent/dist is missing: build it first (npx nx build @failover/agent)');
  }
});

/** `failover-agent ARGS` from the built bin, as the unit runs it. */
function agentCommand(...args: string[]): ServiceCommand {
  return { command: process.execPath, args: [AGENT_BIN, ...args] };
}

/**
 * Starts validator a's agent the way failover-agent.service does: under a watchdog, with the
 * host guard as ExecStopPost unless `guard` is false. The agent hears no manager and no peer;
 * its own isolation rule is off, so only the guard can take the identity away.
 */
async function startGuardedAgent(guard = true): Promise<SupervisedService> {
  const c = bed.cluster;
  const v = c.validator('a');
  const dir = bed.dir.path;
  const secretFile = path.join(dir, 'auth-secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const config = {
    ...goExampleConfig(
      v,
      c,
      `${v.ip}:${await freePort()}`,
      `http://127.0.0.1:${await freePort()}`,
      path.join(dir, 'a-agent.log'),
    ),
    auth_secret_file: secretFile,
    state_dir: path.join(dir, 'a-state'),
    manager_timeout: '10m',
    isolation_timeout: '0',
    guard_kill_after: `${GUARD_KILL_AFTER_MS}ms`,
    command_timeout: '10s',
  };
  const configFile = path.join(dir, 'a-validator-config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  service = await startSupervisedService({
    name: 'agent-a',
    exec: agentCommand('--config', configFile),
    ...(guard ? { stopPost: agentCommand('guard', '--config', configFile) } : {}),
    env: {
      ...process.env,
      ...c.env,
      PATH: `${path.join(__dirname, '..', 'support', 'bin')}:${c.env.PATH ?? process.env.PATH ?? ''}`,
      ETCDCTL_ENDPOINTS: bed.etcd.endpoints.join(','),
    },
    watchdogMs: WATCHDOG_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
  await service.ready;
  expect(await v.identity()).toBe(c.stakedPubkey);
  return service;
}

/** Votes a cast with the staked identity after `since`, as the simulator's judge recorded them. */
async function stakedVotesOfA(c: SimCluster, since: number): Promise<number[]> {
  return (await c.judge.votes(c.stakedPubkey))
    .filter((v) => v.validator === 'a' && v.timeMs > since)
    .map((v) => v.slot);
}

/** Lets the cluster run `ms` more, for any late vote to reach the judge. */
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the host guard (failover-agent guard as ExecStopPost)', () => {
  it('feeds the watchdog while the agent runs', async () => {
    const running = await startGuardedAgent();
    await settle(WATCHDOG_MS * 2);
    expect(running.notifications()).toContain('READY=1');
    expect(running.notifications()).toContain('WATCHDOG=1');
    await expect(Promise.race([running.ended.then(() => 'ended'), settle(0).then(() => 'running')])).resolves.toBe(
      'running',
    );
  });

  it('removes the staked identity when the agent is SIGKILLed, and the validator never votes with it again', async () => {
    const c = bed.cluster;
    const v = c.validator('a');
    const running = await startGuardedAgent();
    const killedAt = Date.now();
    running.signal('SIGKILL');
    const run = await running.ended;
    expect(run.result).toBe('signal');
    expect(run.stopPost).toMatchObject({ code: 0, timedOut: false });
    expect(run.stopPost?.output).toContain('identity-removed');
    expect(run.stopPost?.output).toContain('the agent stopped');
    expect(run.stopPost!.endedAt - killedAt).toBeLessThan(BOUND_MS);
    expect(await v.identity()).toBe(v.unstakedPubkey);
    // A restart of the validator comes up unstaked too (S3).
    expect(realpathSync(v.identitySymlink)).toBe(realpathSync(v.unstakedKeypairPath));
    await settle(1_000);
    expect(await stakedVotesOfA(c, run.stopPost!.endedAt)).toEqual([]);
    expect(await c.judge.violations()).toEqual([]);
  });

  it('kills a frozen validator when the frozen agent misses its watchdog, so it never votes again when thawed', async () => {
    const c = bed.cluster;
    const v = c.validator('a');
    const running = await startGuardedAgent();
    // The zombie case: the validator stops (catching up, paused), then its agent hangs.
    v.hang();
    const frozenAt = Date.now();
    running.signal('SIGSTOP');
    const run = await running.ended;
    expect(run.result).toBe('watchdog');
    expect(run.stopPost).toMatchObject({ code: 0, timedOut: false });
    expect(run.stopPost?.output).toContain('killed');
    expect(run.stopPost!.endedAt - frozenAt).toBeLessThan(BOUND_MS);
    await waitFor(() => !v.isRunning(), { description: 'validator a to be gone', timeoutMs: 5_000 });
    await settle(1_000);
    expect(await stakedVotesOfA(c, frozenAt)).toEqual([]);
    expect(await c.judge.violations()).toEqual([]);
  });

  // The control case: what the guard exists for. Without it the frozen validator thaws staked.
  it('without the guard, the same frozen validator votes with the staked identity again once thawed', async () => {
    const c = bed.cluster;
    const v = c.validator('a');
    const running = await startGuardedAgent(false);
    v.hang();
    const frozenAt = Date.now();
    running.signal('SIGSTOP');
    const run = await running.ended;
    expect(run.result).toBe('watchdog');
    v.resume();
    await waitFor(async () => (await stakedVotesOfA(c, frozenAt)).length > 0, {
      description: 'the thawed validator a to vote again',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });
});
