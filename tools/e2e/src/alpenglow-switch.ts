/**
 * The switch of a stack's cluster from TowerBFT to Alpenglow, as the demo, the fault campaign
 * and the benchmarks wait for it once they have activated the feature
 * (`stack.cluster.activateAlpenglow()`): the stack is switched once the manager reads the phase
 * `alpenglow` with no veto (the cluster finalizes) and the active's agent has backed up a vote
 * history, so that a failover from here on carries one.
 */
import { waitFor } from '@failover/testkit';
import type { Stack, StackAgent } from './stack';

/**
 * Waits until the manager reads a finalizing Alpenglow cluster with `holder` active, and
 * `holder`'s agent reports a vote-history backup. False when that does not happen within
 * `timeoutMs`.
 */
export async function switchedToAlpenglow(stack: Stack, holder: StackAgent, timeoutMs: number): Promise<boolean> {
  const node = stack.agents[0] === holder ? 'validator1' : 'validator2';
  return waitFor(
    async () => {
      const status = await stack.manager.status().catch(() => null);
      if (status?.consensus?.phase !== 'alpenglow' || status.consensus.veto !== null || status.active !== node)
        return undefined;
      const agent = await holder.client.status();
      return (agent.ok && agent.value.vote_history !== undefined) || undefined;
    },
    { description: 'the switch to Alpenglow', timeoutMs, intervalMs: 200 },
  ).then(
    () => true,
    () => false,
  );
}
