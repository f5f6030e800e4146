import type { ValidatorClient } from '@failover/protocol';
import type { SimValidator } from '@failover/solana-sim';
import { waitFor } from '@failover/testkit';
import { statusUntil, type RunningAgent } from '../support/sim-agents';
import { useSimBed } from '../support/sim-bed';

jest.setTimeout(90_000);

const bed = useSimBed('agent-clients');

/**
 * The Go example config with its agave commands taken out: the profile of `client` supplies
 * the identity commands from the two keypair paths. The bed's process names stay: two
 * validators on one host must not share one (each agent would see the other's as its own).
 */
function profileConfig(client: ValidatorClient) {
  return (config: Record<string, unknown>, v: SimValidator): Record<string, unknown> => {
    const own = Object.entries(config).filter(
      ([key]) => key !== 'identity_change_command' && key !== 'identity_remove_command',
    );
    return {
      ...Object.fromEntries(own),
      validator_client: client,
      fd_config: v.fdConfigPath,
      staked_keypair_path: v.stakedKeypairPath,
      unstaked_keypair_path: v.unstakedKeypairPath,
    };
  };
}

/** become_passive on a, become_active on b; then b votes with the staked identity and the judge finds nothing. */
async function failOver(a: RunningAgent, b: RunningAgent): Promise<void> {
  const c = bed.cluster;
  await statusUntil(a, 'a first tower backup', (s) => s.ok && s.value.last_tower_backup > 0);
  const demoted = await a.client.failover({ action: 'become_passive', reason: 'planned switchover' });
  expect(demoted).toMatchObject({ ok: true, value: { success: true, message: 'now passive' } });
  expect(await a.validator.identity()).toBe(a.validator.unstakedPubkey);

  const promoted = await b.client.failover({ action: 'become_active', reason: 'planned switchover' });
  expect(promoted).toMatchObject({ ok: true, value: { success: true, message: 'now active' } });
  expect(await b.validator.identity()).toBe(c.stakedPubkey);

  const lastOnA = Math.max(...(await c.judge.votes()).filter((v) => v.validator === 'a').map((v) => v.slot));
  await waitFor(async () => (await c.judge.votes()).some((v) => v.validator === 'b' && v.slot > lastOnA), {
    description: 'b to vote with the staked identity',
    timeoutMs: 15_000,
  });
  expect(await c.judge.violations()).toEqual([]);
}

describe('a Frankendancer pair', () => {
  it('fails over with fdctl set-identity --config, --require-tower on the way in, each switch read back', async () => {
    const [a, b] = (await bed.startAgents({ configure: profileConfig('frankendancer') })) as [
      RunningAgent,
      RunningAgent,
    ];
    await failOver(a, b);
    const va = a.validator;
    const vb = b.validator;
    expect(a.log()).toContain(`executing: fdctl set-identity --config ${va.fdConfigPath} ${va.unstakedKeypairPath}`);
    expect(b.log()).toContain(
      `executing: fdctl set-identity --config ${vb.fdConfigPath} --require-tower ${vb.stakedKeypairPath}`,
    );
    for (const agent of [a, b]) expect(agent.log()).toContain('executing: fdctl get-identity --config');
  });

  it('promotes past a switch an earlier cancelled fdctl left half done, with --force on the retry', async () => {
    const [a, b] = (await bed.startAgents({ configure: profileConfig('frankendancer') })) as [
      RunningAgent,
      RunningAgent,
    ];
    // An operator's fdctl set-identity on b, killed part way: b's key switch stays locked.
    await b.validator.abandonKeySwitch();
    await failOver(a, b);
    expect(b.log()).toContain('already in the process of switching keys');
    expect(b.log()).toContain('the last key switch was left half done; identity_change_command runs with --force');
  });
});

describe('a Firedancer pair', () => {
  it('fails over with firedancer set-identity, without --require-tower, each switch read back', async () => {
    const [a, b] = (await bed.startAgents({ configure: profileConfig('firedancer') })) as [RunningAgent, RunningAgent];
    await failOver(a, b);
    const vb = b.validator;
    expect(b.log()).toContain(`executing: firedancer set-identity --config ${vb.fdConfigPath} ${vb.stakedKeypairPath}`);
    expect(b.log()).toContain('executing: firedancer get-identity --config');
    expect(b.log()).toContain('the agent verifies the restored tower before it runs');
  });
});
