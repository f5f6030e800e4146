/**
 * What the election classes share: the election keys their managers run with, who leads as the
 * managers' control APIs say it, and etcd's side of it — the leader key's lease and the etcd
 * member that leads the etcd cluster — read and changed through etcd's JSON gateway, as anyone
 * who reaches etcd could (the test etcd has no auth).
 */
import type { ManagedProcess, ManagerLog } from '@failover/e2e';
import { fetchControlStatus, type ControlTarget } from '@failover/manager';
import { waitFor, type EtcdCluster, type EtcdMember } from '@failover/testkit';

/** `election_lease_ttl` of the election classes: the product's ha test's, short enough for a trial. */
export const ELECTION_TTL_MS = 3_000;

/** `etcd_prefix` of the election classes' managers. */
export const ELECTION_PREFIX = '/failover/manager';

/** A manager process of a trial: the stack's, or one started beside it. */
export interface TrialManager {
  readonly process: ManagedProcess;
  readonly log: ManagerLog;
  readonly control: ControlTarget;
}

/** The manager config `config` with the election on, on `endpoints`. */
export function withElection(config: Record<string, unknown>, endpoints: readonly string[]): Record<string, unknown> {
  return {
    ...config,
    etcd_endpoints: [...endpoints],
    etcd_prefix: ELECTION_PREFIX,
    election_lease_ttl: `${ELECTION_TTL_MS / 1000}s`,
  };
}

/** A manager's `status` answer. */
type ControlStatus = Awaited<ReturnType<typeof fetchControlStatus>>;

/** A manager's status, undefined when it does not answer within 500 ms (killed, frozen). */
export async function statusOf(manager: TrialManager): Promise<ControlStatus | undefined> {
  return fetchControlStatus({ ...manager.control, timeoutMs: 500 }).catch(() => undefined);
}

/** The leader among `managers` and its term, once it says it leads and every other one answering names it. */
export async function agreedLeader(
  managers: readonly TrialManager[],
): Promise<{ readonly leader: TrialManager; readonly term: number } | undefined> {
  const statuses = await Promise.all(managers.map(statusOf));
  const leading = managers.filter((_m, i) => statuses[i]?.election?.role === 'leader');
  if (leading.length !== 1) return undefined;
  const status = statuses[managers.indexOf(leading[0]!)]!;
  const agree = statuses.every((s) => s === undefined || s.election?.leader?.sender === status.sender);
  const term = status.election?.leader?.term;
  return agree && typeof term === 'number' ? { leader: leading[0]!, term } : undefined;
}

/** {@link agreedLeader}, waited for; undefined when none within `timeoutMs`. */
export async function waitAgreedLeader(
  managers: readonly TrialManager[],
  timeoutMs: number,
): Promise<{ readonly leader: TrialManager; readonly term: number } | undefined> {
  return waitFor(() => agreedLeader(managers), {
    description: 'one manager to lead, named by the others',
    timeoutMs,
    intervalMs: 50,
  }).catch(() => undefined);
}

/**
 * Revokes the lease the leader key hangs on, as etcd does when the lease expires: the leader key
 * goes, the followers' watch sees it, and the leader's next renewal is refused. Resolves with
 * the lease's id, undefined when no manager led.
 */
export async function revokeLeaderLease(etcd: EtcdCluster): Promise<string | undefined> {
  const endpoint = etcd.endpoints[0]!;
  const range = (await gateway(endpoint, 'kv/range', { key: b64(`${ELECTION_PREFIX}/leader`) })) as {
    kvs?: Array<{ lease?: string }>;
  };
  const lease = range.kvs?.[0]?.lease;
  if (lease === undefined || lease === '0') return undefined;
  await gateway(endpoint, 'lease/revoke', { ID: lease });
  return lease;
}

/** The member that leads the etcd cluster, as each running member reports it; undefined when they disagree or none does. */
export async function etcdLeaderMember(etcd: EtcdCluster): Promise<EtcdMember | undefined> {
  const reports = await Promise.all(
    etcd.members.map(async (member) => {
      const status = (await gateway(member.clientUrl, 'maintenance/status', {}).catch(() => undefined)) as
        { header?: { member_id?: string }; leader?: string } | undefined;
      return { member, id: status?.header?.member_id, leader: status?.leader };
    }),
  );
  const answered = reports.filter((r) => r.id !== undefined && r.leader !== undefined && r.leader !== '0');
  const leaders = new Set(answered.map((r) => r.leader));
  if (answered.length === 0 || leaders.size !== 1) return undefined;
  return answered.find((r) => r.id === answered[0]!.leader)?.member;
}

async function gateway(endpoint: string, what: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${endpoint}/v3/${what}`, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`etcd ${what} on ${endpoint}: HTTP ${response.status}`);
  return response.json();
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
