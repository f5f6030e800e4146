import { readFileSync } from 'node:fs';
import { startStack, type Stack } from '../src/stack';
import { clientProfileConfig } from '../src/stack-config';

// The stack of stack.test.ts on a Frankendancer or Firedancer pair (clientProfileConfig).
jest.setTimeout(120_000);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('validator client profiles', () => {
  it.each(['frankendancer', 'firedancer'] as const)(
    'a %s pair fails over on a crash with its own commands, and the judge finds no double vote',
    async (client) => {
      stack = await startStack({ slotMs: 50, editAgentConfig: clientProfileConfig(client) });
      const { cluster, manager, agents } = stack;
      const [v1, v2] = cluster.validators;
      const config = JSON.parse(readFileSync(agents[1].configPath, 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({ validator_client: client, fd_config: v2!.fdConfigPath });
      expect(config).not.toHaveProperty('identity_change_command');

      await cluster.waitFor(
        'the manager to see v1 active with a tower backup',
        async () => {
          const status = await manager.status();
          return status.active === 'validator1' && status.nodes[0]?.last_tower_backup != null;
        },
        { timeoutMs: 20_000 },
      );
      await v1!.crash();

      const ended = await manager.log.waitFor(
        (line) => ['failover-complete', 'failover-failed', 'rolled-back'].includes(line.event ?? ''),
        60_000,
      );
      expect(ended?.event).toBe('failover-complete');
      await cluster.waitFor(
        'v2 to vote with the staked identity',
        async () => (await v2!.status()).voting || undefined,
        { timeoutMs: 15_000 },
      );
      expect(await v2!.identity()).toBe(cluster.stakedPubkey);
      expect(await cluster.judge.violations()).toEqual([]);
      const agentLog = readFileSync(agents[1].process.logPath, 'utf8');
      const command =
        client === 'frankendancer'
          ? `fdctl set-identity --config ${v2!.fdConfigPath} --require-tower ${v2!.stakedKeypairPath}`
          : `firedancer set-identity --config ${v2!.fdConfigPath} ${v2!.stakedKeypairPath}`;
      expect(agentLog).toContain(`executing: ${command}`);
      expect(agentLog).toContain(`executing: ${client === 'frankendancer' ? 'fdctl' : 'firedancer'} get-identity`);
    },
  );
});
