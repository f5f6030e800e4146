/**
 * The checks of `failover-manager doctor`. Each only reads: agents are asked for `/status`
 * without a term (so no agent adopts one), SSH host keys are fetched without logging in or
 * recording them, Telegram is asked `getMe`, etcd is read. None throws for what it finds.
 */
import { stat } from 'node:fs/promises';
import { FailoverError } from '@failover/core';
import {
  createAgentClient,
  createSolanaRpc,
  doctorRow,
  findCommandBinary,
  findProgram,
  systemClock,
  type DoctorRow,
  type ElectionConfig,
  type ManagerConfig,
  type Secret,
  type SecureIdentityConfig,
  type TelegramConfig,
  type ValidatorNodeConfig,
} from '@failover/protocol';
import { describeCallError } from './agent-port';
import { createEvidenceReader } from './cluster-evidence';
import { checkHostKey, readKnownHosts } from './known-hosts';
import { loadStakedKeypair } from './secure-identity';

/**
 * Both agents answer a signed `/status` and their node names differ. A 401 means the agent
 * could not verify the signature: its secret is not the manager's.
 */
export async function checkAgents(
  validators: readonly ValidatorNodeConfig[],
  secret: Secret | undefined,
  secretFile: string | undefined,
  timeoutMs: number,
): Promise<DoctorRow[]> {
  const answers = await Promise.all(
    validators.map(async (v) => {
      const client = createAgentClient({
        baseUrl: v.endpoint,
        ...(secret === undefined ? {} : { secret }),
        timeoutMs,
        ...(v.nodeName === undefined ? {} : { node: v.nodeName }),
      });
      const check = `${v.name} agent`;
      const answer = await client.status();
      if (answer.ok) {
        const node = answer.value.node_name ?? client.node();
        const role = answer.value.role ?? (answer.value.is_active ? 'active' : 'passive');
        const row = doctorRow(
          check,
          'pass',
          `${v.endpoint}: signed answer from node ${node ?? '?'}, ${role}, identity ${answer.value.identity_pubkey ?? 'unknown'}`,
        );
        return { row, node };
      }
      const { error } = answer;
      if (error.kind === 'rejected' && error.status === 401)
        return {
          row: doctorRow(
            check,
            'fail',
            `${v.endpoint} refused the signature (401): auth_secret_file ${secretFile ?? '(none)'} does not hold this agent's secret`,
          ),
          node: undefined,
        };
      return { row: doctorRow(check, 'fail', `${v.endpoint}: ${describeCallError(error)}`), node: undefined };
    }),
  );
  const rows = answers.map((a) => a.row);
  const [first, second] = answers;
  if (first?.node === undefined || second?.node === undefined)
    rows.push(doctorRow('node names', 'warn', 'not compared: an agent did not answer with its node name'));
  else if (first.node === second.node)
    rows.push(
      doctorRow(
        'node names',
        'fail',
        `validator1 and validator2 both answer as ${first.node}: one agent behind both endpoints, or a copied state directory or node_name`,
      ),
    );
  else rows.push(doctorRow('node names', 'pass', `${first.node} and ${second.node}`));
  return rows;
}

/** Slots two endpoints may be apart and still agree: reads made at one moment differ by a few. */
export const SLOT_AGREEMENT = 32;

/**
 * Each `cluster_rpc` endpoint answers the slot and the vote account, read as the executor
 * reads its evidence; then whether they agree. One endpoint is a warning: nothing checks it.
 */
export async function checkClusterEndpoints(config: ManagerConfig): Promise<DoctorRow[]> {
  const vote = config.voteAccountPubkey;
  const readings = await Promise.all(
    config.clusterRpc.map(async (url) => {
      const rpc = createSolanaRpc({ endpoints: [url], timeoutMs: config.requestTimeoutMs });
      const evidence = await createEvidenceReader({
        witnesses: [rpc],
        voteAccountPubkey: vote,
        clock: systemClock,
      }).read();
      return { url, evidence };
    }),
  );
  const rows = readings.map(({ url, evidence }) => {
    const check = `cluster_rpc ${url}`;
    if (evidence.clusterSlot === null) return doctorRow(check, 'fail', evidence.shortfall ?? 'no slot');
    if (vote === undefined)
      return doctorRow(
        check,
        'warn',
        `slot ${evidence.clusterSlot.slot}; vote_account_pubkey is not set, so no vote account read`,
      );
    if (evidence.vote === null) return doctorRow(check, 'fail', evidence.shortfall ?? `vote account ${vote} not read`);
    return doctorRow(
      check,
      'pass',
      `slot ${evidence.clusterSlot.slot}, vote account ${vote} last voted ${evidence.vote.lastVote}${evidence.vote.delinquent ? ' (delinquent)' : ''}`,
    );
  });
  const answered = readings.filter(
    (r) => r.evidence.clusterSlot !== null && (vote === undefined || r.evidence.vote !== null),
  );
  if (config.clusterRpc.length === 1) {
    rows.push(doctorRow('cluster agreement', 'warn', 'one cluster_rpc endpoint: nothing cross-checks what it says'));
  } else if (answered.length < config.clusterRpc.length) {
    rows.push(
      doctorRow('cluster agreement', 'fail', `${answered.length} of ${config.clusterRpc.length} endpoints answered`),
    );
  } else {
    const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);
    const slots = spread(answered.map((r) => r.evidence.clusterSlot?.slot ?? 0));
    const votes = vote === undefined ? 0 : spread(answered.map((r) => r.evidence.vote?.lastVote ?? 0));
    const delinquency = new Set(answered.map((r) => r.evidence.vote?.delinquent));
    const detail = `${answered.length} endpoints: slots ${slots} apart${vote === undefined ? '' : `, last votes ${votes} apart`}`;
    rows.push(
      slots > SLOT_AGREEMENT || votes > SLOT_AGREEMENT || delinquency.size > 1
        ? doctorRow(
            'cluster agreement',
            'fail',
            `${detail}${delinquency.size > 1 ? ', disagree on delinquency' : ''}; they are not one cluster's view`,
          )
        : doctorRow('cluster agreement', 'pass', detail),
    );
  }
  return rows;
}

/** Time limit of each SSH handshake. */
export const SSH_TIMEOUT_MS = 5_000;

/** The host key a server presents, read in the handshake; the login is never attempted. */
export async function fetchHostKey(host: string, port: number, timeoutMs = SSH_TIMEOUT_MS): Promise<Buffer> {
  const { Client } = await import('ssh2');
  return new Promise((resolve, reject) => {
    const client = new Client();
    let key: Buffer | undefined;
    client.once('error', (error: Error) => {
      if (key !== undefined) resolve(key);
      else reject(error);
    });
    // Refusing the key may end the connection without an error; a promise settles only once.
    client.once('close', () => (key !== undefined ? resolve(key) : reject(new Error('connection closed'))));
    client.connect({
      host,
      port,
      username: 'failover-doctor',
      readyTimeout: timeoutMs,
      authHandler: [],
      hostVerifier: (presented: Buffer) => {
        key = presented;
        return false;
      },
    });
  });
}

/**
 * Secure mode: the keypair on the manager is readable by its owner only and is the staked
 * identity, and each validator's SSH host key is pinned in `known_hosts_path`.
 */
export async function checkSecureMode(
  secure: SecureIdentityConfig,
  stakedPubkey: string | undefined,
  validators: readonly ValidatorNodeConfig[],
): Promise<DoctorRow[]> {
  const rows = [await checkKeypairFile(secure.keypairPath, stakedPubkey)];
  const knownHosts = await readKnownHosts(secure.knownHostsPath).catch(() => '');
  for (const v of validators) {
    const host = v.ip ?? new URL(v.endpoint).hostname;
    const check = `${v.name} ssh host key`;
    let key: Buffer;
    try {
      key = await fetchHostKey(host, v.sshPort);
    } catch (error) {
      rows.push(
        doctorRow(check, 'fail', `${host}:${v.sshPort} did not show its host key: ${(error as Error).message}`),
      );
      continue;
    }
    const verdict = checkHostKey(knownHosts, host, v.sshPort, key);
    const where = `${host}:${v.sshPort} in known_hosts_path ${secure.knownHostsPath}`;
    if (verdict.status === 'known') rows.push(doctorRow(check, 'pass', `${where}: pinned`));
    else if (verdict.status === 'unknown')
      rows.push(
        doctorRow(
          check,
          secure.trustOnFirstUse ? 'warn' : 'fail',
          `${where}: not pinned (${verdict.keyType})${secure.trustOnFirstUse ? '; trust_on_first_use records whatever answers first' : ''}`,
        ),
      );
    else rows.push(doctorRow(check, 'fail', `${where}: the ${verdict.keyType} key is ${verdict.status}`));
  }
  return rows;
}

async function checkKeypairFile(file: string, stakedPubkey: string | undefined): Promise<DoctorRow> {
  try {
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0)
      return doctorRow(
        'keypair_path',
        'fail',
        `${file} has mode ${mode.toString(8).padStart(4, '0')}; others can read the staked key. Run: chmod 600 ${file}`,
      );
    if (stakedPubkey === undefined)
      return doctorRow(
        'keypair_path',
        'warn',
        `${file} is readable by its owner only; staked_identity_pubkey is not set to compare`,
      );
    const keypair = await loadStakedKeypair(file, stakedPubkey);
    return doctorRow('keypair_path', 'pass', `${file} is ${keypair.pubkey}, readable by its owner only`);
  } catch (error) {
    if (error instanceof FailoverError) return doctorRow('keypair_path', 'fail', error.message);
    return doctorRow(
      'keypair_path',
      'fail',
      `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Time limit of the Telegram and etcd checks. */
export const SERVICE_TIMEOUT_MS = 5_000;

/** The bot token, asked `getMe`; the token is never part of a detail. */
export async function checkTelegram(
  telegram: TelegramConfig | undefined,
  timeoutMs = SERVICE_TIMEOUT_MS,
): Promise<DoctorRow> {
  if (telegram === undefined)
    return doctorRow('telegram', 'warn', 'telegram_bot_token and telegram_chat_id are not set: nobody is notified');
  const hide = (text: string): string => text.split(telegram.botToken).join('<telegram_bot_token>');
  try {
    const answer = await fetch(`${telegram.apiRoot.replace(/\/+$/, '')}/bot${telegram.botToken}/getMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await answer.json().catch(() => ({}))) as {
      ok?: boolean;
      description?: string;
      result?: { username?: string };
    };
    if (answer.ok && body.ok === true)
      return doctorRow('telegram', 'pass', `getMe at ${telegram.apiRoot}: bot @${body.result?.username ?? '?'}`);
    const why = hide(body.description ?? answer.statusText);
    return doctorRow(
      'telegram',
      'fail',
      answer.status === 401
        ? `telegram_bot_token refused by getMe at ${telegram.apiRoot} (401 ${why})`
        : `getMe at ${telegram.apiRoot} answered ${answer.status} ${why}`,
    );
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return doctorRow('telegram', 'fail', `telegram_api_root ${telegram.apiRoot} unreachable (${hide(String(cause))})`);
  }
}

/** etcd of highly available managers: reachable, and the leader key free or held (by whom). */
export async function checkElection(election: ElectionConfig, timeoutMs = SERVICE_TIMEOUT_MS): Promise<DoctorRow> {
  const where = `etcd_endpoints ${election.endpoints.join(',')}`;
  const key = `${election.prefix.replace(/\/+$/, '')}/leader`;
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({
    hosts: [...election.endpoints],
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const leader = await Promise.race([
      client.get(key).string(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (leader === null) return doctorRow('etcd election', 'pass', `${where}: ${key} is free; no manager leads`);
    let holder = leader;
    try {
      const member = JSON.parse(leader) as { sender?: string; host?: string; control?: string };
      holder = `${member.sender ?? '?'} on ${member.host ?? '?'} (control ${member.control ?? '?'})`;
    } catch {
      // Not a member record: shown as it is.
    }
    return doctorRow('etcd election', 'pass', `${where}: ${key} is held by ${holder}`);
  } catch (error) {
    return doctorRow('etcd election', 'fail', `${where} unreachable: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/**
 * The operator's commands the manager runs (`hooks.pre_failover`, `hooks.post_failover`,
 * `fence_command`): each one's program exists and may be executed. None is run: a hook may act
 * whatever its arguments, and `fence_command` powers a host off.
 */
export async function checkOperatorCommands(
  config: ManagerConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DoctorRow[]> {
  const commands: [key: string, commandLine: string | undefined][] = [
    ['hooks.pre_failover', config.hooks.preFailover?.command],
    ['hooks.post_failover', config.hooks.postFailover?.command],
    // Run without a shell: its first element is the program, whatever it contains.
    ['fence_command', config.fenceCommand?.[0]],
  ];
  const rows: DoctorRow[] = [];
  for (const [key, commandLine] of commands) {
    if (commandLine === undefined) continue;
    const found =
      key === 'fence_command' ? await findProgram(commandLine, env) : await findCommandBinary(commandLine, env);
    rows.push(
      found.ok
        ? doctorRow(key, 'pass', `${found.file} found (not run)`)
        : doctorRow(key, found.shellSyntax ? 'warn' : 'fail', found.why),
    );
  }
  return rows;
}
