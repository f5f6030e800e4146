/**
 * The host fence the manager needs before promoting past an unreachable old active, on top of
 * the vote account's proof: a stale vote account says the old validator does not vote now, not
 * that it never will (a frozen validator thaws). Either the operator's `fence_command` (power
 * off) exits 0, or `guard_bound` has passed since the old agent was last heard, by when its
 * host guard has removed the identity or killed the validator. Core's `judgeHostFenced` decides;
 * this runs the command and waits out the bound within the proof step's time.
 */
import { spawn } from 'node:child_process';
import { judgeHostFenced, type Clock, type Logger, type NodeId, type StepResult } from '@failover/core';
import { sleep } from '@failover/protocol';

/** `fence_command`, ready to run for one node. */
export interface FenceCommand {
  /** The argv template; `{node}`, `{node_name}`, `{ip}`, `{endpoint}` are replaced per element. */
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  /** The placeholder values of a node, from the config only. */
  readonly placeholders: (node: NodeId) => Readonly<Record<string, string>>;
}

/** The manager's host-fence settings and what it heard. */
export interface HostFence {
  /** `guard_bound`. */
  readonly guardBoundMs: number;
  readonly fenceCommand?: FenceCommand;
  /** When the node's agent last answered; the manager's start when it has not since. */
  silentSince(node: NodeId): number;
}

/** The outcome of one run of `fence_command`. */
export interface FenceCommandResult {
  readonly ok: boolean;
  readonly detail: string;
}

// The tail of the command's output kept for the log: enough to see an IPMI error.
const OUTPUT_TAIL = 500;

/**
 * Promotes past `node` only when it is fenced: `fence_command` exited 0, or `proveVote` holds
 * and `guard_bound` has passed since its agent was last heard (waiting for the bound when it
 * ends before `deadline`). Without a `fence`, the vote proof alone decides, as before.
 */
export async function proveHostFenced(
  fence: HostFence | undefined,
  node: NodeId,
  deadline: number,
  env: { readonly clock: Clock; readonly log?: Logger },
  proveVote: () => Promise<StepResult>,
): Promise<StepResult> {
  if (fence === undefined) return proveVote();
  const { clock } = env;
  let fenceFailure = '';
  if (fence.fenceCommand !== undefined) {
    const result = await runFenceCommand(fence.fenceCommand, node);
    if (result.ok) {
      env.log?.warn({ node }, `fence_command fenced ${node}: ${result.detail}`);
      return { ok: true };
    }
    env.log?.error({ node }, `fence_command failed for ${node}: ${result.detail}`);
    fenceFailure = `; fence_command failed: ${result.detail}`;
  }
  for (;;) {
    const vote = await proveVote();
    const verdict = judgeHostFenced(
      { silentSince: fence.silentSince(node), fenceCommandSucceeded: false, voteProven: vote.ok },
      { guardBoundMs: fence.guardBoundMs },
      clock.now(),
    );
    if (verdict.fenced) return { ok: true };
    if (!vote.ok) return { ok: false, detail: `${vote.detail}${fenceFailure}` };
    if (clock.now() + verdict.waitMs >= deadline) {
      return { ok: false, detail: `${node} is not fenced: ${verdict.detail}${fenceFailure}` };
    }
    env.log?.info({ node, wait_ms: verdict.waitMs }, `waiting out guard_bound before promoting past ${node}`);
    await sleep(clock, verdict.waitMs);
  }
}

/** Runs `fence_command` for `node` without a shell; killed after its time limit. Never throws. */
export function runFenceCommand(command: FenceCommand, node: NodeId): Promise<FenceCommandResult> {
  const values = command.placeholders(node);
  const argv = command.argv.map((part) =>
    part.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole),
  );
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    if (file === undefined) {
      resolve({ ok: false, detail: 'fence_command is empty' });
      return;
    }
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, command.timeoutMs);
    const said = (): string => (output.trim() ? `: ${output.trim()}` : '');
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `${file} could not run (${error.message})` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, detail: `${file} timed out after ${command.timeoutMs} ms${said()}` });
      else if (code === 0) resolve({ ok: true, detail: `${file} exited 0${said()}` });
      else resolve({ ok: false, detail: `${file} exited with ${code ?? signal}${said()}` });
    });
  });
}
