/**
 * A second `failover-manager` beside the stack's, as a second host or an old unit left running
 * would be: the classes with two managers start it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANAGER_BIN, ManagedProcess, ManagerLog, type Stack } from '@failover/e2e';
import { fetchControlStatus, type ControlTarget } from '@failover/manager';
import { freePort, waitFor } from '@failover/testkit';
import type { ScriptContext } from './script-kit';

/** A manager started beside the stack's, on the same config; see {@link startSecondManager}. */
export interface SecondManager {
  readonly process: ManagedProcess;
  readonly log: ManagerLog;
  readonly control: ControlTarget;
  readonly term: number;
}

/**
 * Starts a second `failover-manager` on the stack manager's config — the same agents, through
 * the same recorders, the same secret — with its own state directory and control port, as a
 * second host would have. Its term file holds the first manager's current term, so it starts
 * one above it.
 */
export async function startSecondManager(ctx: ScriptContext): Promise<SecondManager> {
  const stack = ctx.stack;
  const config = JSON.parse(readFileSync(stack.manager.configPath, 'utf8')) as Record<string, unknown>;
  const firstTerm = readTerm(stack);
  const stateDir = path.join(stack.dir, 'state', 'manager-b');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'manager-term.json'),
    `${JSON.stringify({ term: firstTerm.term, sender: `manager-${randomBytes(8).toString('hex')}` })}\n`,
    { mode: 0o600 },
  );
  const port = await freePort('127.0.0.1');
  const configPath = path.join(stack.dir, 'manager-b-config.json');
  writeFileSync(
    configPath,
    `${JSON.stringify({ ...config, state_dir: stateDir, control_listen: `127.0.0.1:${port}` }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const log = new ManagerLog();
  const process2 = new ManagedProcess({
    name: 'second manager',
    script: MANAGER_BIN,
    args: ['--config', configPath],
    env: { ...process.env, ...stack.cluster.env },
    logPath: path.join(stack.logDir, 'manager-b.log'),
    onLine: (line) => log.push(line),
  });
  ctx.defer(() => process2.stop());
  process2.start();
  const control: ControlTarget = { ...stack.manager.control, port };
  await waitFor(async () => (await fetchControlStatus(control)).term ?? undefined, {
    description: `the second manager's control API on 127.0.0.1:${port}`,
    timeoutMs: 15_000,
    intervalMs: 50,
  });
  return { process: process2, log, control, term: firstTerm.term + 1 };
}

function readTerm(stack: Stack): { term: number; sender: string } {
  const config = JSON.parse(readFileSync(stack.manager.configPath, 'utf8')) as { state_dir: string };
  return JSON.parse(readFileSync(path.join(config.state_dir, 'manager-term.json'), 'utf8')) as {
    term: number;
    sender: string;
  };
}

export function firstSender(stack: Stack): string {
  return readTerm(stack).sender;
}
