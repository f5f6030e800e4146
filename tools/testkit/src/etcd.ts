import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ComponentStartError } from './errors';
import { freePort } from './free-port';
import { spawnManaged } from './internal/managed-process';
import type { ManagedProcess } from './internal/managed-process';
import { waitStopped } from './internal/process-state';
import { makeTestCertificates } from './test-ca';
import type { TestCertificates } from './test-ca';
import { tempDir } from './temp-dir';

/** Options of {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Cluster size; 3 lets tests take one member down and still have quorum, or lose quorum. @default 1 */
  members?: 1 | 3;
  /** The etcd binary. @default '/usr/bin/etcd' (Debian etcd-server) */
  binary?: string;
  /** How long to wait for the cluster to report healthy. @default 15000 */
  startTimeoutMs?: number;
  /**
   * Clients connect over TLS (`https://` URLs) and must present a certificate of the cluster's
   * own throwaway CA (`--client-cert-auth`); peers stay plain text. @default false
   */
  tls?: boolean;
}

/** One etcd member of a test cluster. */
export interface EtcdMember {
  /** Member name, `etcd-1`… */
  readonly name: string;
  /** `http://127.0.0.1:PORT`, the URL clients use. */
  readonly clientUrl: string;
  /** PID of the current process (changes after `restart()`). */
  readonly pid: number;
  /** SIGTERM (SIGKILL after a grace period); the data dir is kept so `restart()` rejoins. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; resolves once the process is gone. */
  kill(): Promise<void>;
  /**
   * SIGSTOP: the member hangs with its sockets open (peers and clients see silence, not refusal).
   * Resolves once every thread of it has stopped, so that nothing sent afterwards is answered.
   */
  pause(): Promise<void>;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /**
   * Stops the member if it runs, then starts it again on the same ports and data dir; resolves
   * once it accepts connections (not necessarily healthy: without quorum it cannot be).
   */
  restart(): Promise<void>;
}

/** A running test etcd cluster. */
export interface EtcdCluster {
  /** Every member's client URL, for `new Etcd3({ hosts: endpoints })`. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** With `tls`: the CA the members' certificates chain to, and a client certificate it signed. */
  readonly certificates?: TestCertificates;
  /** Resolves once every running member reports `/health` true (a leader and quorum). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Kills every member and removes the data directories. SIGKILL, not SIGTERM: a member
   * shutting down gracefully tries to hand over leadership first, which costs seconds per
   * teardown and proves nothing once the data is thrown away.
   */
  stop(): Promise<void>;
}

interface MemberPlan {
  name: string;
  clientPort: number;
  peerPort: number;
}

// Heartbeat 50 ms / election 500 ms: leader loss is noticed in well under a second, so quorum
// faults resolve quickly in tests. etcd requires election >= 5 x heartbeat.
const HEARTBEAT_MS = '50';
const ELECTION_MS = '500';
const START_ATTEMPTS = 3;

/**
 * Starts a real etcd (3.4) cluster of 1 or 3 members on free loopback ports with data in a
 * temporary directory, and resolves once it is healthy. Ports are picked at run time; a bind
 * race with another process is retried with fresh ports.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    try {
      return await startEtcdOnce(options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startEtcdOnce(options: StartEtcdOptions): Promise<EtcdCluster> {
  const size = options.members ?? 1;
  const binary = options.binary ?? '/usr/bin/etcd';
  const startTimeoutMs = options.startTimeoutMs ?? 15000;
  const dir = tempDir('etcd');
  const plans: MemberPlan[] = [];
  for (let i = 1; i <= size; i += 1) {
    plans.push({ name: `etcd-${i}`, clientPort: await freePort(), peerPort: await freePort() });
  }
  const initialCluster = plans.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
  const token = `failover-test-${process.pid}-${plans[0]?.clientPort ?? 0}`;
  const certificates = options.tls === true ? await makeTestCertificates(dir.path) : undefined;

  const members = plans.map((plan) =>
    createMember(binary, plan, join(dir.path, plan.name), initialCluster, token, certificates),
  );
  const health = healthProbe(certificates);
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    ...(certificates === undefined ? {} : { certificates }),
    waitHealthy: (timeoutMs = startTimeoutMs) => waitClusterHealthy(members, timeoutMs, health),
    async stop(): Promise<void> {
      await Promise.all(members.map((m) => m.kill()));
      dir.remove();
    },
  };
  try {
    await Promise.all(members.map((m) => m.start()));
    await cluster.waitHealthy(startTimeoutMs);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

interface InternalMember extends EtcdMember {
  start(): Promise<void>;
  isRunning(): boolean;
  outputTail(): string;
}

function createMember(
  binary: string,
  plan: MemberPlan,
  dataDir: string,
  initialCluster: string,
  token: string,
  certificates: TestCertificates | undefined,
): InternalMember {
  const clientUrl = `${certificates === undefined ? 'http' : 'https'}://127.0.0.1:${plan.clientPort}`;
  const peerUrl = `http://127.0.0.1:${plan.peerPort}`;
  const args = [
    `--name=${plan.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
    '--initial-cluster-state=new',
    `--heartbeat-interval=${HEARTBEAT_MS}`,
    `--election-timeout=${ELECTION_MS}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
    ...(certificates === undefined
      ? []
      : [
          `--cert-file=${certificates.serverCertFile}`,
          `--key-file=${certificates.serverKeyFile}`,
          `--trusted-ca-file=${certificates.caFile}`,
          '--client-cert-auth',
        ]),
  ];
  let proc: ManagedProcess | undefined;
  const component = `etcd member ${plan.name}`;

  const launch = async (): Promise<void> => {
    // ETCD_* variables in the environment would silently override flags; drop them.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
    const started = spawnManaged(binary, args, env);
    proc = started;
    const answered = await Promise.race([waitListening(plan.clientPort, 10000), started.exited.then(() => false)]);
    if (!answered) {
      await started.stop();
      throw new ComponentStartError(
        component,
        started.hasExited() ? 'the process exited' : `nothing listening on ${clientUrl}`,
        started.outputTail(),
      );
    }
  };

  const member: InternalMember = {
    name: plan.name,
    clientUrl,
    get pid(): number {
      return proc?.pid ?? -1;
    },
    start: launch,
    isRunning: () => proc !== undefined && !proc.hasExited(),
    outputTail: () => proc?.outputTail() ?? '',
    async stop(): Promise<void> {
      await proc?.stop();
    },
    async kill(): Promise<void> {
      await proc?.kill();
    },
    async pause(): Promise<void> {
      if (proc === undefined || proc.hasExited()) return;
      proc.signal('SIGSTOP');
      await waitStopped(proc.pid, component);
    },
    resume(): void {
      proc?.signal('SIGCONT');
    },
    async restart(): Promise<void> {
      await proc?.stop();
      await launch();
    },
  };
  return member;
}

/** Asks a member's `/health`; true when it has a leader and quorum. */
type HealthProbe = (clientUrl: string, timeoutMs: number) => Promise<boolean>;

function healthProbe(certificates: TestCertificates | undefined): HealthProbe {
  if (certificates === undefined)
    return async (clientUrl, timeoutMs) => {
      const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      return isHealthy(await response.text());
    };
  // The global fetch cannot present a client certificate; node:https can.
  const tls = {
    ca: readFileSync(certificates.caFile),
    cert: readFileSync(certificates.clientCertFile),
    key: readFileSync(certificates.clientKeyFile),
  };
  return (clientUrl, timeoutMs) =>
    new Promise((resolve, reject) => {
      const req = request(`${clientUrl}/health`, { ...tls, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(isHealthy(body)));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}

function isHealthy(body: string): boolean {
  try {
    const { health } = JSON.parse(body) as { health?: unknown };
    return health === 'true' || health === true;
  } catch {
    return false;
  }
}

// etcd binds its client port at once but answers HTTP only after joining the raft group, which
// a lone restarted member cannot do without quorum; so "started" means "accepting connections".
async function waitListening(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return true;
    await sleep(25);
  }
  return false;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitClusterHealthy(members: InternalMember[], timeoutMs: number, health: HealthProbe): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const running = members.filter((m) => m.isRunning());
  const pending = new Set(running);
  while (pending.size > 0) {
    const dead = [...pending].find((m) => !m.isRunning());
    if (dead !== undefined)
      throw new ComponentStartError(`etcd member ${dead.name}`, 'the process exited', dead.outputTail());
    for (const member of [...pending]) {
      if (await health(member.clientUrl, 1000).catch(() => false)) pending.delete(member);
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const first = [...pending][0];
      throw new ComponentStartError(
        first === undefined ? 'etcd' : `etcd member ${first.name}`,
        `not healthy after ${timeoutMs} ms`,
        first?.outputTail() ?? '',
      );
    }
    await sleep(50);
  }
}
