import type { SimCluster } from '@failover/solana-sim';
import { startStack, type Stack } from '../src/stack';

// The zombie case of issue 11: the active's agent dies while its validator is frozen; the
// manager promotes the passive once the vote account is stale; then the old validator thaws.
// Whole stack, judged by the simulator: with the agents under their unit (watchdog and host
// guard) nobody double-votes; without it the thawed validator votes beside the new active.
jest.setTimeout(150_000);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const HOST_GUARD = { watchdogMs: 2_000, killAfterMs: 2_000 };

async function untilActive(s: Stack, node: 'validator1' | 'validator2'): Promise<void> {
  await s.cluster.waitFor(
    `the manager to see ${node} active`,
    async () => (await s.manager.status()).active === node || undefined,
    { timeoutMs: 30_000 },
  );
}

/**
 * v1's validator frozen, then, once its agent has backed up the frozen validator's last tower,
 * the agent SIGKILLed (the guard, when there is one, has run when this returns). Killed before
 * that backup, the tower floor holds the promotion and nobody votes, which is S2, not this case.
 */
async function makeZombie(s: Stack): Promise<void> {
  s.cluster.validator('v1').hang();
  const lastVote = Math.max(...(await s.cluster.judge.votes()).filter((v) => v.validator === 'v1').map((v) => v.slot));
  await s.cluster.waitFor(
    "v1's agent to back up the frozen validator's last tower",
    async () => {
      const status = await s.agent('v1').client.status();
      return (status.ok && (status.value.tower?.last_vote_slot ?? 0) >= lastVote) || undefined;
    },
    { timeoutMs: 15_000 },
  );
  await s.agent('v1').process.kill();
}

async function promotedPastV1(s: Stack): Promise<void> {
  const ended = await s.manager.log.waitFor(
    (line) => ['failover-complete', 'failover-failed', 'rolled-back'].includes(line.event ?? ''),
    90_000,
  );
  if (ended?.event !== 'failover-complete') {
    // Says what the manager did instead, from its own log.
    const said = s.manager.log
      .all()
      .slice(-15)
      .map((l) => JSON.stringify(l));
    throw new Error(`no failover-complete; the manager's last lines:\n${said.join('\n')}`);
  }
  await s.cluster.waitFor('v2 to vote', async () => (await s.cluster.validator('v2').status()).voting || undefined, {
    timeoutMs: 15_000,
  });
}

const doubleVotes = async (c: SimCluster): Promise<unknown[]> =>
  (await c.judge.violations()).filter((v) => v.kind === 'double-vote');

describe('the zombie case: agent killed, validator frozen, thawed after the promotion', () => {
  it('with the host guard, the frozen validator is killed and nobody votes twice', async () => {
    stack = await startStack({ slotMs: 50, hostGuard: HOST_GUARD });
    const s = stack;
    await untilActive(s, 'validator1');
    await makeZombie(s);
    const v1 = s.cluster.validator('v1');
    expect(v1.isRunning()).toBe(false);
    await promotedPastV1(s);
    // The thaw: systemd brings the validator back (on the unstaked symlink) and the agent.
    await v1.start();
    s.agent('v1').process.start();
    await untilActive(s, 'validator2');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await s.cluster.judge.violations()).toEqual([]);
    expect(await v1.identity()).toBe(v1.unstakedPubkey);
  });

  it('without the host guard, the thawed validator votes beside the new active', async () => {
    stack = await startStack({ slotMs: 50 });
    const s = stack;
    await untilActive(s, 'validator1');
    await makeZombie(s);
    await promotedPastV1(s);
    s.cluster.validator('v1').resume();
    await s.cluster.waitFor('a double vote', async () => (await doubleVotes(s.cluster)).length > 0 || undefined, {
      timeoutMs: 20_000,
    });
  });
});
