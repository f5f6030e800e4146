import { createAgentClient, type AgentClient } from '@failover/protocol';
import type { SimCluster, SimValidator } from '@failover/solana-sim';
import { freePort, waitFor } from '@failover/testkit';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAgentCli } from '../../src/cli';
import { capture } from './capture';

export const SECRET = 'integration-secret-0123456789abcdef';
/** The term and sender the test clients stamp on role changes, as a manager at its first start would. */
export const TEST_TERM = { term: 1, sender: 'manager-integration-test' } as const;

/** One `failover-agent` running in this process through its real command line. */
export interface RunningAgent {
  readonly name: string;
  readonly url: string;
  readonly client: AgentClient;
  readonly validator: SimValidator;
  readonly configFile: string;
  /** Everything the agent logged. */
  log(): string;
  /** Stops it as SIGTERM would; resolves with the exit code. */
  stop(): Promise<number>;
  /** Stops it and starts it again from the same config file and state directory. */
  restart(): Promise<RunningAgent>;
}

/**
 * The Go tool's example `validator-config.json` with its placeholders pointed at one simulated
 * validator; every key and command template stays as the Go README has it.
 */
export function goExampleConfig(
  v: SimValidator,
  cluster: SimCluster,
  listen: string,
  peerUrl: string,
  logFile: string,
): Record<string, unknown> {
  const identityDir = path.dirname(v.identitySymlink);
  let text = readFileSync(path.join(__dirname, '..', 'fixtures', 'go-validator-config.json'), 'utf8');
  const swaps: Array<[string, string]> = [
    ['IDENTITY_PATH/testnet-validator-keypair.json', v.stakedKeypairPath],
    ['IDENTITY_PATH/unstaked-identity.json', v.unstakedKeypairPath],
    ['IDENTITY_PATH/identity.json', v.identitySymlink],
    ['IDENTITY_PATH', identityDir],
    ['SOLANA_PATH/agave-validator', path.join(cluster.binDir, 'agave-validator')],
    ['LEDGER_PATH', v.ledgerDir],
    ['http://PEPEER_IP:8080', peerUrl],
    ['/home/solana/failover/agent.log', logFile],
    ['"IDENTITY"', JSON.stringify(cluster.stakedPubkey)],
    ['-IDENTITY.bin', `-${cluster.stakedPubkey}.bin`],
    ['"IP"', JSON.stringify(v.ip)],
    ['":8080"', JSON.stringify(listen)],
    ['"agave-validator"', JSON.stringify(v.processName)],
    ['"http://127.0.0.1:8899"', JSON.stringify(v.rpcUrl)],
  ];
  for (const [from, to] of swaps) text = text.split(from).join(to);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface StartAgentsOptions {
  readonly cluster: SimCluster;
  readonly dir: string;
  /** Extra environment, e.g. ETCDCTL_ENDPOINTS. */
  readonly env?: Record<string, string>;
  /** Changes the config of one validator's agent. */
  readonly configure?: (config: Record<string, unknown>, v: SimValidator) => Record<string, unknown>;
  /** Agents' own peer URLs; @default each other's */
  readonly peerUrl?: (v: SimValidator, others: Map<string, string>) => string;
}

/** Starts one agent per simulated validator, each with the other as its peer. */
export async function startAgents(options: StartAgentsOptions): Promise<RunningAgent[]> {
  const { cluster, dir } = options;
  const secretFile = path.join(dir, 'auth-secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const urls = new Map<string, string>();
  const listens = new Map<string, string>();
  for (const v of cluster.validators) {
    const port = await freePort();
    listens.set(v.name, `${v.ip}:${port}`);
    urls.set(v.name, `http://${v.ip}:${port}`);
  }
  const env = {
    ...process.env,
    ...cluster.env,
    PATH: `${path.join(__dirname, 'bin')}:${cluster.env.PATH ?? process.env.PATH ?? ''}`,
    ...options.env,
  };
  const started: RunningAgent[] = [];
  try {
    for (const v of cluster.validators) {
      const peer = cluster.validators.find((other) => other !== v);
      const peerUrl = options.peerUrl ? options.peerUrl(v, urls) : (urls.get(peer?.name ?? '') ?? 'http://127.0.0.1:1');
      const base = goExampleConfig(
        v,
        cluster,
        listens.get(v.name) ?? '',
        peerUrl,
        path.join(dir, `${v.name}-agent.log`),
      );
      // Each agent its own state directory: the state of one must never be the other's.
      const withAuth = { ...base, auth_secret_file: secretFile, state_dir: path.join(dir, `${v.name}-state`) };
      const config = options.configure ? options.configure(withAuth, v) : withAuth;
      const configFile = path.join(dir, `${v.name}-validator-config.json`);
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      started.push(await startAgent(v, configFile, env));
    }
  } catch (error) {
    await Promise.all(started.map((a) => a.stop()));
    throw error;
  }
  return started;
}

async function startAgent(
  v: SimValidator,
  configFile: string,
  env: Record<string, string | undefined>,
): Promise<RunningAgent> {
  const out = capture();
  const err = capture();
  let signal: (name: string) => void = () => undefined;
  let listening: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const exited = runAgentCli(['--config', configFile], {
    stdout: out,
    stderr: err,
    env,
    onStopSignal: (stop) => {
      signal = stop;
      return () => undefined;
    },
    onListening: listening,
  });
  const first = await Promise.race([url, exited.then((code) => ({ code }))]);
  if (typeof first !== 'string')
    throw new Error(`agent for ${v.name} exited with ${first.code}: ${err.text()}\n${out.text()}`);
  let stopped: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopped ??= (signal('SIGTERM'), exited);
    return stopped;
  };
  return {
    name: v.name,
    url: first,
    validator: v,
    configFile,
    client: createAgentClient({
      baseUrl: first,
      secret: Buffer.from(SECRET),
      timeoutMs: 10_000,
      fence: () => TEST_TERM,
    }),
    log: () => `${out.text()}${err.text()}`,
    stop,
    async restart() {
      await stop();
      return startAgent(v, configFile, env);
    },
  };
}

/** Polls an agent's `/status` until `accept` holds. */
export async function statusUntil<T>(
  agent: RunningAgent,
  description: string,
  accept: (s: Awaited<ReturnType<AgentClient['status']>>) => T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  let last: unknown;
  try {
    return await waitFor(
      async () => {
        const status = await agent.client.status();
        last = status;
        return accept(status);
      },
      { description, timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last /status of ${agent.name}: ${JSON.stringify(last)}`, {
      cause: error,
    });
  }
}
