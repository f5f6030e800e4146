/**
 * The checks of `failover-agent doctor` that look beyond its own files: the validator, the
 * tower store, the systemd unit and the peer's clock. Each reads only and returns its row.
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { doctorRow, type DoctorRow, type LocalRpc, type TowerStoreSetting } from '@failover/protocol';

/** What the local validator runs with: whether it holds `validator_identity`, undefined when it cannot be asked. */
export async function checkLocalIdentity(
  staked: string,
  rpc: Pick<LocalRpc, 'getIdentity'>,
  localRpc: string,
): Promise<{ row: DoctorRow; holdsIdentity: boolean | undefined }> {
  const answer = await rpc.getIdentity();
  if (!answer.ok)
    return {
      row: doctorRow(
        'validator identity',
        'warn',
        `${localRpc}: ${answer.message}; the role of this node is not known`,
      ),
      holdsIdentity: undefined,
    };
  const holds = answer.value === staked;
  return {
    row: doctorRow(
      'validator identity',
      'pass',
      `${localRpc} runs with ${answer.value}${holds ? ' (validator_identity: this node votes)' : ' (not validator_identity: passive)'}`,
    ),
    holdsIdentity: holds,
  };
}

/** Time limit of the etcd store's check. */
export const STORE_TIMEOUT_MS = 5_000;

/**
 * The tower store: a directory that exists and this user may write to; an etcd cluster that
 * answers a read (its revision); a `command` store is not run, so it cannot be checked.
 */
export async function checkTowerStore(setting: TowerStoreSetting, timeoutMs = STORE_TIMEOUT_MS): Promise<DoctorRow> {
  switch (setting.kind) {
    case 'directory':
      try {
        if (!(await stat(setting.dir)).isDirectory())
          return doctorRow('tower store', 'fail', `tower_store_dir ${setting.dir} is not a directory`);
        await access(setting.dir, constants.W_OK);
        return doctorRow('tower store', 'pass', `tower_store_dir ${setting.dir} exists and is writable`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        return doctorRow(
          'tower store',
          'fail',
          `tower_store_dir ${setting.dir} ${code === 'ENOENT' ? 'does not exist' : `is not writable (${code})`}`,
        );
      }
    case 'etcd':
      return checkEtcdStore(setting.endpoints, setting.prefix, timeoutMs);
    case 'command':
      return doctorRow(
        'tower store',
        'warn',
        'tower_backup_command / tower_restore_command: not checked without running it',
      );
  }
}

async function checkEtcdStore(endpoints: readonly string[], prefix: string, timeoutMs: number): Promise<DoctorRow> {
  const where = `etcd_endpoints ${endpoints.join(',')}`;
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({
    hosts: [...endpoints],
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const range = await Promise.race([
      client.get(prefix).exec(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return doctorRow('tower store', 'pass', `${where} answered at revision ${range.header.revision}`);
  } catch (error) {
    return doctorRow('tower store', 'fail', `${where} unreachable: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** Where systemd units are installed, in its order of precedence. */
export const UNIT_DIRS = ['/etc/systemd/system', '/lib/systemd/system'] as const;

const STOP_POST_GUARD = /^\s*ExecStopPost=\S*failover-agent\S*\s+guard\b/m;
const RUNS_AGENT = /^\s*ExecStart=.*failover-agent/m;

/**
 * The host guard: a systemd unit that starts `failover-agent` and runs `failover-agent guard`
 * as `ExecStopPost=`, given by `--unit` or found in {@link UNIT_DIRS}.
 */
export async function checkHostGuard(
  unitFile: string | undefined,
  dirs: readonly string[] = UNIT_DIRS,
): Promise<DoctorRow> {
  const files = unitFile !== undefined ? [unitFile] : await agentUnits(dirs);
  if (files.length === 0)
    return doctorRow(
      'host guard',
      'fail',
      `no unit starting failover-agent in ${dirs.join(' or ')}; install packages/agent/systemd/failover-agent.service`,
    );
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return doctorRow(
        'host guard',
        'fail',
        `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (STOP_POST_GUARD.test(text))
      return doctorRow('host guard', 'pass', `${file}: ExecStopPost= runs failover-agent guard`);
  }
  return doctorRow('host guard', 'fail', `${files.join(', ')}: no ExecStopPost= running failover-agent guard`);
}

async function agentUnits(dirs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.service')).sort()) {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8').catch(() => '');
      if (RUNS_AGENT.test(text)) found.push(file);
    }
  }
  return found;
}

/** Clock difference with the peer beyond which a warning is given. */
export const MAX_SKEW_MS = 2_000;
/** Time limit of the peer's answer. */
export const PEER_TIMEOUT_MS = 3_000;

/**
 * The clock of the peer agent against this one, from the `Date` header of its `/health`. The
 * header has whole seconds, so the difference is known to within one second plus the round
 * trip; only the part beyond that counts.
 */
export async function checkPeerClock(
  peerEndpoint: string | undefined,
  now: () => number = Date.now,
  timeoutMs = PEER_TIMEOUT_MS,
): Promise<DoctorRow> {
  if (peerEndpoint === undefined)
    return doctorRow('clock skew', 'warn', 'peer_endpoint is not set; no clock to compare with');
  const url = `${peerEndpoint.replace(/\/+$/, '')}/health`;
  const sent = now();
  let date: string | null;
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    date = answer.headers.get('date');
    await answer.arrayBuffer();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return doctorRow('clock skew', 'warn', `peer_endpoint ${url} did not answer (${cause}); clocks not compared`);
  }
  const received = now();
  const peerAt = date === null ? Number.NaN : Date.parse(date);
  if (Number.isNaN(peerAt)) return doctorRow('clock skew', 'warn', `peer_endpoint ${url} sent no Date header`);
  // The peer's clock read somewhere in [sent, received], and its header dropped up to 999 ms.
  const ahead = peerAt - received;
  const behind = sent - (peerAt + 999);
  const skew = Math.max(0, ahead, behind);
  const detail = `peer_endpoint ${url}: clocks differ by ${skew === 0 ? 'under 1 s' : `${(skew / 1000).toFixed(1)} s or more`}`;
  return doctorRow('clock skew', skew > MAX_SKEW_MS ? 'warn' : 'pass', detail);
}
