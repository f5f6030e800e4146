import { resolveAgentConfigFile, type AgentConfig } from '@failover/protocol';
import { tempDir, type TempDir } from '@failover/testkit';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { secretsToRedact } from '@failover/protocol';
import { loadAgentAuth, warnAboutAuth } from '../src/agent-auth';
import { recordingLogger } from './support/recording-logger';

let dir: TempDir;
beforeEach(() => {
  dir = tempDir('agent-auth');
});
afterEach(() => dir.remove());

function config(auth: Record<string, unknown>): AgentConfig {
  const resolved = resolveAgentConfigFile({
    raw: { validator_identity: 'Stake11111111111111111111111111111111111111', ledger_path: dir.path, ...auth },
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return resolved.config;
}

describe('the agent authentication', () => {
  it('loads the secret file once into bytes, with what to log about it and what to mask', async () => {
    const file = path.join(dir.path, 'secret');
    writeFileSync(file, 'agent-auth-secret-0123456789\n', { mode: 0o640 });
    const auth = await loadAgentAuth(config({ auth_secret_file: file }));
    expect(auth).toMatchObject({ mode: 'secret', warnings: [expect.stringContaining('readable by its group')] });
    expect(secretsToRedact(auth)).toEqual(['agent-auth-secret-0123456789']);
    const logger = recordingLogger();
    warnAboutAuth(auth, logger);
    expect(logger.entries.map((entry) => entry.message)).toEqual([expect.stringContaining('readable by its group')]);
  });

  it('warns at every start that insecure_no_auth leaves the API open, and masks nothing', async () => {
    const auth = await loadAgentAuth(config({ insecure_no_auth: true }));
    expect(secretsToRedact(auth)).toEqual([]);
    const logger = recordingLogger();
    warnAboutAuth(auth, logger);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', fields: { insecure_no_auth: true } })]);
  });

  it('refuses a config that chooses neither a secret nor insecure_no_auth', async () => {
    await expect(loadAgentAuth(config({}))).rejects.toThrow('FAILOVER_AGENT_NO_AUTH');
  });
});
