import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGENT_DEFAULTED_KEYS,
  AgentConfigSchema,
  MANAGER_DEFAULTED_KEYS,
  ManagerConfigSchema,
  formatProblems,
  loadAgentConfig,
  loadManagerConfig,
  resolveAgentConfigFile,
  resolveManagerConfigFile,
} from '@failover/protocol';
import type { ConfigResult } from '@failover/protocol';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8'));
const goAgent = fixture('go-validator-config.json') as Record<string, unknown>;
const goManager = fixture('go-manager-config.json') as Record<string, unknown>;
/** What an agent file needs besides defaults: the staked identity and where its tower is. */
const agentNeeds = { validator_identity: 'IDENTITY', ledger_path: '/mnt/ledger' };

function problemsOf<T>(result: ConfigResult<T>): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected problems, got a config');
  return [...result.problems];
}

function configOf<T>(result: ConfigResult<T>): T {
  if (!result.ok) throw new Error(`expected a config, got:\n${formatProblems(result.problems)}`);
  return result.config;
}

describe('the Go tool example configs', () => {
  it('accepts the example validator-config.json unchanged, placeholders included', () => {
    const config = configOf(resolveAgentConfigFile({ raw: goAgent }));
    expect(config.peerEndpoint).toBe('http://PEPEER_IP:8080');
    expect(config.validatorIdentity).toBe('IDENTITY');
    expect(config.towerFilePath).toBe('LEDGER_PATH/tower-1_9-IDENTITY.bin');
    expect(config.managerTimeoutMs).toBe(30_000);
    expect(config.towerStore.kind).toBe('command');
    expect(config.dryRun).toBe(false);
  });

  it('accepts the example manager-config.json unchanged', () => {
    const config = configOf(resolveManagerConfigFile({ raw: goManager }));
    expect(config.validators.map((node) => node.endpoint)).toEqual([
      'http://AGENT_1_IP:8080',
      'http://AGENT_2_IP:8080',
    ]);
    expect(config.heartbeatIntervalMs).toBe(5000);
    expect(config.telegram).toEqual({
      botToken: 'BOT_TOKEN',
      chatId: '-CHAT_ID',
      apiRoot: 'https://api.telegram.org',
      commands: true,
    });
  });

  it('accepts the example manager config with the secure identity fragment added', () => {
    const config = configOf(
      resolveManagerConfigFile({
        raw: {
          ...goManager,
          ...(fixture('go-manager-secure-fragment.json') as object),
          staked_identity_pubkey: 'IDENTITY',
        },
      }),
    );
    expect(config.secureIdentity?.setIdentityCommand).toBe('agave-validator --ledger {ledger} set-identity');
  });

  it("neither changes nor freezes the caller's object, so it can be resolved again", () => {
    const raw = { ...agentNeeds, tower_store: 'etcd', etcd_endpoints: ['http://10.0.0.1:2379'] };
    const before = JSON.stringify(raw);
    configOf(resolveAgentConfigFile({ raw }));
    expect(JSON.stringify(raw)).toBe(before);
    expect(Object.isFrozen(raw.etcd_endpoints)).toBe(false);
    expect(configOf(resolveAgentConfigFile({ raw })).towerStore).toMatchObject({ endpoints: ['http://10.0.0.1:2379'] });
  });

  it('returns a frozen config', () => {
    const config = configOf(resolveManagerConfigFile({ raw: goManager }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.validators[0])).toBe(true);
  });
});

describe('defaults', () => {
  it('starts in dry-run with the Go defaults when the file says nothing', () => {
    const config = configOf(
      resolveManagerConfigFile({
        raw: { validator1: { endpoint: 'http://a:8080' }, validator2: { endpoint: 'http://b:8080' } },
      }),
    );
    expect(config).toMatchObject({
      dryRun: true,
      heartbeatIntervalMs: 5000,
      missesBeforeFailover: 5,
      slotDiffThreshold: 100,
      requestTimeoutMs: 5000,
      startupGracePeriodMs: 120_000,
      statusReportIntervalMs: 4 * 3_600_000,
    });
    const agent = configOf(resolveAgentConfigFile({ raw: agentNeeds }));
    expect(agent).toMatchObject({
      dryRun: true,
      managerTimeoutMs: 30_000,
      listenAddr: ':8080',
      towerStore: { kind: 'directory' },
      auth: { mode: 'missing' },
    });
  });

  it.each([
    ['agent', AgentConfigSchema, AGENT_DEFAULTED_KEYS],
    ['manager', ManagerConfigSchema, MANAGER_DEFAULTED_KEYS],
  ] as const)('lists exactly the %s keys that have a schema default', (_name, schema, keys) => {
    const withDefault = Object.entries(schema.properties)
      .filter(([, property]) => (property as { default?: unknown }).default !== undefined)
      .map(([key]) => key);
    expect([...keys].sort()).toEqual(withDefault.sort());
  });

  it('reads an empty string as "not set", as the Go tool did', () => {
    const config = configOf(resolveAgentConfigFile({ raw: { ...agentNeeds, local_rpc: '', listen_addr: '' } }));
    expect(config.localRpc).toBe('http://127.0.0.1:8899');
    expect(config.listenAddr).toBe(':8080');
  });
});

describe('problems', () => {
  it('reports three mistakes at once, each with its path', () => {
    const raw = {
      ...goManager,
      validator1: { ip: 'AGENT_1_IP' },
      misses_before_failover: 'five',
      heartbeat_interval: 5,
    };
    expect(problemsOf(resolveManagerConfigFile({ raw }))).toEqual([
      { path: '/heartbeat_interval', message: '5 is a number; write a duration with a unit, e.g. "5s"' },
      { path: '/misses_before_failover', message: 'expected integer' },
      { path: '/validator1/endpoint', message: 'expected required property' },
    ]);
  });

  it('names the key and suggests a unit for a bare-number duration', () => {
    const result = resolveManagerConfigFile({ raw: { ...goManager, heartbeat_interval: 5 } });
    expect(formatProblems(problemsOf(result))).toBe(
      'heartbeat_interval: 5 is a number; write a duration with a unit, e.g. "5s"',
    );
  });

  it.each([
    ['5', '"5" is not a duration'],
    ['five seconds', '"five seconds" is not a duration'],
    ['5 s', '"5 s" is not a duration'],
  ])('refuses the duration %j', (value, expected) => {
    const [problem] = problemsOf(resolveManagerConfigFile({ raw: { ...goManager, request_timeout: value } }));
    expect(problem?.path).toBe('/request_timeout');
    expect(problem?.message).toContain(expected);
  });

  it.each([
    ['hearbeat_interval', 'heartbeat_interval'],
    ['dryrun', 'dry_run'],
    ['telegram_chatid', 'telegram_chat_id'],
  ])('rejects the unknown key %s and suggests %s', (typo, known) => {
    const { heartbeat_interval: _h, ...rest } = goManager;
    const [problem] = problemsOf(resolveManagerConfigFile({ raw: { ...rest, [typo]: 'x' } }));
    expect(problem).toEqual({ path: `/${typo}`, message: `unknown key "${typo}"; did you mean "${known}"?` });
  });

  it('rejects an unknown nested key with its full path', () => {
    const raw = { ...goManager, validator2: { endpoint: 'http://b', ledgerpath: '/x' } };
    expect(problemsOf(resolveManagerConfigFile({ raw }))).toEqual([
      { path: '/validator2/ledgerpath', message: 'unknown key "ledgerpath"; did you mean "ledger_path"?' },
    ]);
  });

  it('accepts the documented compatibility keys $schema, active_validator and passive_validator', () => {
    const raw = { ...goManager, $schema: './manager-config.schema.json', active_validator: 'http://AGENT_2_IP:8080' };
    expect(configOf(resolveManagerConfigFile({ raw })).initialActive).toBe('validator2');
  });

  it('lists the allowed values of an enum key', () => {
    expect(problemsOf(resolveAgentConfigFile({ raw: { ...agentNeeds, tower_store: 'disk' } }))).toEqual([
      { path: '/tower_store', message: 'expected one of "directory", "etcd", "command"' },
    ]);
  });

  it('checks new keys strictly', () => {
    const problems = problemsOf(
      resolveAgentConfigFile({ raw: { ...agentNeeds, etcd_endpoints: ['10.0.0.1:2379'], tower_store: 'etcd' } }),
    );
    expect(problems.map((problem) => problem.path)).toEqual(['/etcd_endpoints/0']);
  });

  it.each([
    [
      'secure mode without its keys',
      { secure_identity_mode: true },
      ['/identity_keypair_path', '/ssh_key_path', '/ssh_set_identity_command', '/ssh_user', '/staked_identity_pubkey'],
    ],
    ['a Telegram token without a chat', { telegram_chat_id: undefined }, ['/telegram_chat_id']],
    ['the same agent twice', { validator2: { endpoint: 'http://AGENT_1_IP:8080' } }, ['/validator2/endpoint']],
    [
      'one node name for both agents',
      {
        validator1: { endpoint: 'http://AGENT_1_IP:8080', node_name: 'fra-1' },
        validator2: { endpoint: 'http://AGENT_2_IP:8080', node_name: 'fra-1' },
      },
      ['/validator2/node_name'],
    ],
    [
      'a node name that is no header-safe label',
      { validator1: { endpoint: 'http://AGENT_1_IP:8080', node_name: 'fra 1' } },
      ['/validator1/node_name'],
    ],
    [
      'both a secret file and insecure_no_auth',
      { auth_secret_file: '/etc/failover/secret', insecure_no_auth: true },
      ['/insecure_no_auth'],
    ],
  ])('refuses %s', (_name, change, paths) => {
    const problems = problemsOf(resolveManagerConfigFile({ raw: { ...goManager, ...change } }));
    expect(problems.map((problem) => problem.path).sort()).toEqual([...paths].sort());
  });

  it.each([
    [
      'no staked identity',
      { validator_identity: undefined },
      '/validator_identity',
      'is required: the staked identity pubkey, whose tower the agent finds, verifies and backs up',
    ],
    [
      'no tower file path and no ledger path',
      { tower_file_path: undefined },
      '/tower_file_path',
      'is required when ledger_path is not set: the agent must know where the tower file is',
    ],
  ])('refuses an agent config with %s, at its path', (_name, change, path, message) => {
    const problems = problemsOf(resolveAgentConfigFile({ raw: { ...goAgent, ...change } }));
    expect(problems).toEqual([{ path, message }]);
    expect(formatProblems(problems)).toBe(`${path.slice(1)}: ${message}`);
  });

  it('finds the vote history beside the tower and carries it with a second pair of commands', () => {
    const config = configOf(
      resolveAgentConfigFile({
        raw: {
          ...goAgent,
          vote_history_backup_command: 'backup {vote_history_file}',
          vote_history_restore_command: 'restore {vote_history_file}',
        },
      }),
    );
    expect(config.voteHistoryFilePath).toBe('LEDGER_PATH/vote_history-IDENTITY.bin');
    expect(config.towerStore).toMatchObject({
      kind: 'command',
      voteHistoryBackupCommand: 'backup {vote_history_file}',
      voteHistoryRestoreCommand: 'restore {vote_history_file}',
    });
  });

  it.each([
    [
      'one vote-history command without the other',
      { ...goAgent, vote_history_backup_command: 'x' },
      [{ path: '/vote_history_restore_command', message: 'is required when vote_history_backup_command is set' }],
    ],
    [
      'a vote-history command with a store that carries the file itself',
      {
        ...agentNeeds,
        tower_store: 'directory',
        vote_history_backup_command: 'x',
        vote_history_restore_command: 'y',
      },
      ['/vote_history_backup_command', '/vote_history_restore_command'].map((key) => ({
        path: key,
        message:
          'is set but the tower store is not "command"; the directory and etcd stores carry the vote history themselves',
      })),
    ],
  ])('refuses %s', (_name, raw, problems) => {
    expect(problemsOf(resolveAgentConfigFile({ raw }))).toEqual(problems);
  });

  it('takes node_name for the agent and for each validator of the manager', () => {
    expect(configOf(resolveAgentConfigFile({ raw: { ...agentNeeds, node_name: 'fra-1.example' } })).nodeName).toBe(
      'fra-1.example',
    );
    expect(problemsOf(resolveAgentConfigFile({ raw: { ...agentNeeds, node_name: '-fra' } }))).toMatchObject([
      { path: '/node_name' },
    ]);
    const manager = configOf(
      resolveManagerConfigFile({
        raw: {
          ...goManager,
          validator1: { endpoint: 'http://AGENT_1_IP:8080', node_name: 'fra-1' },
          validator2: { endpoint: 'http://AGENT_2_IP:8080', node_name: 'fra-2' },
        },
      }),
    );
    expect(manager.validators.map((v) => v.nodeName)).toEqual(['fra-1', 'fra-2']);
  });

  it('reads cluster_rpc as one URL, as the Go tool wrote it, or as a list of independent endpoints', () => {
    expect(configOf(resolveManagerConfigFile({ raw: goManager })).clusterRpc).toEqual([
      'https://api.testnet.solana.com',
    ]);
    const list = ['https://rpc-a.example', 'https://rpc-b.example'];
    expect(configOf(resolveManagerConfigFile({ raw: { ...goManager, cluster_rpc: list } })).clusterRpc).toEqual(list);
    expect(problemsOf(resolveManagerConfigFile({ raw: { ...goManager, cluster_rpc: [] } }))).toMatchObject([
      { path: '/cluster_rpc' },
    ]);
    expect(configOf(resolveManagerConfigFile({ raw: { ...goManager, cluster_rpc: '' } })).clusterRpc).toEqual([
      'https://api.mainnet-beta.solana.com',
    ]);
  });

  it('refuses an endpoint listed twice in cluster_rpc, which would count as two witnesses', () => {
    const raw = { ...goManager, cluster_rpc: ['https://rpc-a.example', 'https://rpc-a.example'] };
    expect(problemsOf(resolveManagerConfigFile({ raw }))).toEqual([
      {
        path: '/cluster_rpc/1',
        message:
          'repeats "https://rpc-a.example"; list each endpoint once, since two answers of one endpoint are not two witnesses',
      },
    ]);
  });

  it('takes metrics_listen as host:port, or :port for every interface, and no metrics address without it', () => {
    expect(configOf(resolveManagerConfigFile({ raw: goManager })).metricsListen).toBeUndefined();
    expect(
      configOf(resolveManagerConfigFile({ raw: { ...goManager, metrics_listen: ':9100' } })).metricsListen,
    ).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(
      configOf(resolveManagerConfigFile({ raw: { ...goManager, metrics_listen: '[::1]:9100' } })).metricsListen,
    ).toEqual({ host: '::1', port: 9100 });
  });

  it.each([
    ['a port past 65535', { metrics_listen: ':70000' }, '/metrics_listen', 'has port 70000; a port is at most 65535'],
    ['no port', { metrics_listen: '10.0.0.5' }, '/metrics_listen', 'does not match the expected form'],
    [
      'the control address again',
      { metrics_listen: '127.0.0.1:8079', control_listen: '127.0.0.1:8079' },
      '/metrics_listen',
      'is the control_listen address',
    ],
    ['a control port past 65535', { control_listen: '127.0.0.1:99999' }, '/control_listen', 'has port 99999'],
  ])('refuses %s in metrics_listen or control_listen, naming the key', (_name, keys, path, message) => {
    const problems = problemsOf(resolveManagerConfigFile({ raw: { ...goManager, ...keys } }));
    expect(problems).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });

  it('finds the tower file in the ledger directory when tower_file_path is not set', () => {
    const { tower_file_path: _t, ...rest } = goAgent;
    const config = configOf(resolveAgentConfigFile({ raw: { ...rest, ledger_path: '/mnt/ledger' } }));
    expect(config.towerFilePath).toBe('/mnt/ledger/tower-1_9-IDENTITY.bin');
  });

  it('runs one manager with its term and journal in state_dir when no etcd_endpoints are set (a Go config)', () => {
    expect(configOf(resolveManagerConfigFile({ raw: goManager })).election).toBeUndefined();
  });

  it('takes the election from etcd_endpoints, with the default prefix and a 10 s lease', () => {
    const config = configOf(
      resolveManagerConfigFile({
        raw: { ...goManager, etcd_endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'] },
      }),
    );
    expect(config.election).toEqual({
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      prefix: '/failover/manager',
      leaseTtlMs: 10_000,
      access: {},
    });
    const tuned = configOf(
      resolveManagerConfigFile({
        raw: { ...goManager, etcd_endpoints: ['http://e:2379'], etcd_prefix: '/pair-a', election_lease_ttl: '15s' },
      }),
    );
    expect(tuned.election).toEqual({ endpoints: ['http://e:2379'], prefix: '/pair-a', leaseTtlMs: 15_000, access: {} });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      'a lease TTL that is not whole seconds',
      { etcd_endpoints: ['http://e:2379'], election_lease_ttl: '2500ms' },
      '/election_lease_ttl',
      'is "2500ms"; it must be a whole number of seconds from 2s to 5m (etcd leases count in seconds)',
    ],
    [
      'a lease TTL too short to renew',
      { etcd_endpoints: ['http://e:2379'], election_lease_ttl: '1s' },
      '/election_lease_ttl',
      'is "1s"; it must be a whole number of seconds from 2s to 5m (etcd leases count in seconds)',
    ],
    [
      'an election prefix without endpoints',
      { etcd_prefix: '/pair-a' },
      '/etcd_prefix',
      'has no effect without etcd_endpoints; set both or neither',
    ],
    [
      'a lease TTL without endpoints',
      { election_lease_ttl: '10s' },
      '/election_lease_ttl',
      'has no effect without etcd_endpoints; set both or neither',
    ],
  ])('refuses a manager config with %s, at its path', (_name, change, path, message) => {
    expect(problemsOf(resolveManagerConfigFile({ raw: { ...goManager, ...change } }))).toEqual([{ path, message }]);
  });

  it('refuses an empty endpoint list, a URL without its scheme, a prefix not starting with a slash, and an unknown election key', () => {
    const problems = problemsOf(
      resolveManagerConfigFile({
        raw: { ...goManager, etcd_endpoints: [], etcd_prefix: 'failover', election_ttl: '5s' },
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(['/election_ttl', '/etcd_endpoints', '/etcd_prefix']);
    expect(
      problemsOf(resolveManagerConfigFile({ raw: { ...goManager, etcd_endpoints: ['10.0.0.1:2379'] } })).map(
        (p) => p.path,
      ),
    ).toEqual(['/etcd_endpoints/0']);
  });

  it('refuses a config with no validators at all', () => {
    expect(problemsOf(resolveManagerConfigFile({})).map((problem) => problem.path)).toEqual(['/validator1']);
  });

  it('refuses a file that is not an object', () => {
    expect(problemsOf(resolveAgentConfigFile({ raw: [1, 2] }))).toEqual([
      { path: '', message: 'the config must be a JSON object ({ ... })' },
    ]);
  });
});

describe('precedence: flags > env > file > defaults', () => {
  it.each([
    ['default only', {}, {}, {}, true],
    ['file', { dry_run: false }, {}, {}, false],
    ['env over file', { dry_run: false }, { DRY_RUN: 'true' }, {}, true],
    ['VALIDATOR_DRY_RUN over DRY_RUN', {}, { DRY_RUN: 'true', VALIDATOR_DRY_RUN: 'false' }, {}, false],
    ['flag over env', { dry_run: true }, { DRY_RUN: 'true' }, { 'dry-run': false }, false],
    ['flag as text', {}, {}, { 'dry-run': 'false' }, false],
    ['empty env is unset', { dry_run: false }, { DRY_RUN: '' }, {}, false],
  ])('agent dry_run from %s', (_name, raw, env, flags, expected) => {
    expect(configOf(resolveAgentConfigFile({ raw: { ...agentNeeds, ...raw }, env, flags })).dryRun).toBe(expected);
  });

  it.each([
    ['file', {}, {}, 'http://127.0.0.1:8899'],
    ['env', { VALIDATOR_RPC: 'http://10.0.0.5:8899' }, {}, 'http://10.0.0.5:8899'],
    ['flag', { VALIDATOR_RPC: 'http://10.0.0.5:8899' }, { rpc: 'http://10.0.0.6:8899' }, 'http://10.0.0.6:8899'],
  ])('agent local_rpc from %s', (_name, env, flags, expected) => {
    expect(
      configOf(resolveAgentConfigFile({ raw: { ...agentNeeds, local_rpc: 'http://127.0.0.1:8899' }, env, flags }))
        .localRpc,
    ).toBe(expected);
  });

  it('takes the manager endpoints, interval and misses from flags even with a config file', () => {
    const config = configOf(
      resolveManagerConfigFile({
        raw: goManager,
        env: { ACTIVE_VALIDATOR: 'http://AGENT_1_IP:8080', MANAGER_LOG_FILE: '/var/log/m.log' },
        flags: { active: 'http://AGENT_2_IP:8080', interval: '2s', misses: '3' },
      }),
    );
    expect(config).toMatchObject({
      initialActive: 'validator2',
      heartbeatIntervalMs: 2000,
      missesBeforeFailover: 3,
      logFile: '/var/log/m.log',
    });
  });

  it('runs the manager from --active and --passive alone, as the Go tool did', () => {
    const config = configOf(
      resolveManagerConfigFile({ flags: { active: 'http://h1:8080', passive: 'http://h2:8080' } }),
    );
    expect(config.validators.map((node) => node.endpoint)).toEqual(['http://h1:8080', 'http://h2:8080']);
    expect(config.initialActive).toBe('validator1');
  });

  it('names the env variable or flag a bad value came from', () => {
    const problems = problemsOf(
      resolveManagerConfigFile({ raw: goManager, env: { DRY_RUN: 'maybe' }, flags: { timeout: '5', misses: 'many' } }),
    );
    expect(formatProblems(problems).split('\n')).toEqual([
      'dry_run: "maybe" is not a boolean; write true or false (from env DRY_RUN)',
      'misses_before_failover: expected integer (from --misses)',
      'request_timeout: "5" is not a duration; write a number with a unit (ns, us, ms, s, m, h), e.g. "5s" or "500ms" (from --timeout)',
    ]);
  });
});

describe('loading from disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'failover-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and applies env and flags', async () => {
    const file = join(dir, 'validator-config.json');
    writeFileSync(file, JSON.stringify(goAgent));
    const config = configOf(
      await loadAgentConfig({ file, env: { VALIDATOR_LISTEN: '127.0.0.1:9000' }, flags: { 'log-format': 'json' } }),
    );
    expect(config).toMatchObject({ listenAddr: '127.0.0.1:9000', logFormat: 'json' });
  });

  it('names the path of a missing file', async () => {
    const file = join(dir, 'nope.json');
    expect(problemsOf(await loadManagerConfig({ file, env: {} }))).toEqual([
      { path: '', message: `config file ${file} does not exist` },
    ]);
  });

  it('reports line and column of malformed JSON without quoting the file', async () => {
    const file = join(dir, 'manager-config.json');
    writeFileSync(file, '{\n  "telegram_bot_token": "123:SECRET",\n  "dry_run": tru\n}\n');
    const [problem] = problemsOf(await loadManagerConfig({ file, env: {} }));
    expect(problem?.message).toBe(`${file}:3:14: invalid JSON: unexpected 't'; expected a value`);
    expect(problem?.message).not.toContain('SECRET');
  });

  it('reads a file nested 100 000 levels deep without exhausting the stack, and says where one breaks', async () => {
    const depth = 100_000;
    const file = join(dir, 'manager-config.json');
    writeFileSync(file, `{"x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const [problem] = problemsOf(await loadManagerConfig({ file, env: {} }));
    expect(problem?.message).not.toMatch(/invalid JSON|call stack/);
    writeFileSync(file, `{"x":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`);
    const [broken] = problemsOf(await loadManagerConfig({ file, env: {} }));
    expect(broken?.message).toBe(`${file}:1:${5 + 2 * depth}: invalid JSON: unexpected '}'; expected ',' or ']'`);
  });

  it('says when the file cannot be read', async () => {
    if (process.getuid?.() === 0) return; // root reads any file
    const file = join(dir, 'locked.json');
    writeFileSync(file, '{}');
    chmodSync(file, 0o000);
    expect(problemsOf(await loadAgentConfig({ file, env: {} }))[0]?.message).toBe(
      `config file ${file} is not readable by this user`,
    );
  });
});

describe('hooks', () => {
  it('takes the four hooks with their time limits, must_succeed on pre_promote only, off by default', () => {
    const config = configOf(
      resolveAgentConfigFile({
        raw: {
          ...goAgent,
          hooks: {
            pre_promote: { command: '/usr/local/bin/drain.sh', must_succeed: true, timeout: '10s' },
            post_promote: { command: '/usr/local/bin/dns.sh {validator_identity}' },
            pre_demote: { command: 'logger demoting' },
            post_demote: { command: 'logger demoted', timeout: '500ms' },
          },
        },
      }),
    );
    expect(config.hooks).toEqual({
      pre_promote: { command: '/usr/local/bin/drain.sh', mustSucceed: true, timeoutMs: 10_000 },
      post_promote: { command: '/usr/local/bin/dns.sh {validator_identity}', mustSucceed: false, timeoutMs: 30_000 },
      pre_demote: { command: 'logger demoting', mustSucceed: false, timeoutMs: 30_000 },
      post_demote: { command: 'logger demoted', mustSucceed: false, timeoutMs: 500 },
    });
    expect(configOf(resolveAgentConfigFile({ raw: goAgent })).hooks).toEqual({});
  });

  it.each([
    ['an unknown hook', { pre_failover: { command: 'x' } }, '/hooks/pre_failover', 'unknown key "pre_failover"'],
    [
      'must_succeed on a post hook',
      { post_promote: { command: 'x', must_succeed: true } },
      '/hooks/post_promote/must_succeed',
      'unknown key "must_succeed"',
    ],
    [
      'must_succeed on pre_demote',
      { pre_demote: { command: 'x', must_succeed: true } },
      '/hooks/pre_demote/must_succeed',
      'unknown key "must_succeed"',
    ],
    ['a hook without its command', { pre_promote: { must_succeed: true } }, '/hooks/pre_promote/command', ''],
    ['a bare-number time limit', { pre_demote: { command: 'x', timeout: 5 } }, '/hooks/pre_demote/timeout', ''],
  ])('refuses %s with its path', (_case, hooks, path, message) => {
    const problems = problemsOf(resolveAgentConfigFile({ raw: { ...goAgent, hooks } }));
    expect(problems).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });
});
