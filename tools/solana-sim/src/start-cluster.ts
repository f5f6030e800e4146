import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Keypair } from '@failover/core';
import { generateKeypair, keypairToJson } from '@failover/core';
import { DEFAULT_MIGRATION_SLOTS, DEFAULT_REWARD_CERT_LAG_SLOTS } from './alpenglow';
import type { ClusterConfig } from './cluster-model';
import type { ClusterStatus } from './cluster-control';
import { SimControlError, SimOptionsError, SimTimeoutError } from './errors';
import type { Violation, VoteRecord, VotingGaps } from './judge';
import { callJsonRpc } from './internal/json-rpc';
import { binDir, killHard, spawnReady } from './internal/processes';
import { SimValidator } from './sim-validator';

/** One validator of a simulated cluster. */
export interface ValidatorOptions {
  /** Party name in cut/heal and in the judge's verdicts. */
  readonly name: string;
  /** Loopback address to bind; @default 127.0.0.(2 + index) */
  readonly ip?: string;
  /**
   * Process name as `pgrep -x` sees it (at most 15 characters): `fdctl` or `firedancer` for a
   * Frankendancer or Firedancer validator, which the `fdctl`/`firedancer` shims then reach
   * through its `fdConfigPath`. @default 'agave-validator'
   */
  readonly processName?: string;
  /**
   * What `identity.json` points at when the process first starts.
   * @default 'staked' for the first validator, 'unstaked' for the others
   */
  readonly identity?: 'staked' | 'unstaked' | (string & {});
  /**
   * `--authorized-voter` at start: the staked keypair (the Solana guide's set-up), or none
   * (secure mode: the key arrives later with `authorized-voter add` on stdin).
   * @default 'staked'
   */
  readonly authorizedVoter?: 'staked' | 'none';
  /** Local RPC port; @default 0 (a free port, kept across restarts) */
  readonly rpcPort?: number;
  /**
   * The Alpenglow genesis this validator migrates on: 'other' is a node that switched on another
   * chain — its getAgGenesisCert names another block than the cluster's.
   * @default 'cluster'
   */
  readonly alpenglowGenesis?: 'cluster' | 'other';
  /**
   * false: started with `--do-not-require-vote-history`. Otherwise, as agave 4.2, a validator
   * whose staked identity's vote account has landed Alpenglow votes exits at start when the vote
   * history does not load.
   * @default true
   */
  readonly requireVoteHistory?: boolean;
}

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  readonly validators: readonly ValidatorOptions[];
  /** Slot duration in ms; @default 400 */
  readonly slotMs?: number;
  /** Delay before an identity change shows in gossip; @default 0 */
  readonly gossipDelayMs?: number;
  /** Synthetic staked peers voting inside the cluster; @default 2 */
  readonly peers?: number;
  /** @default 8192 */
  readonly slotsPerEpoch?: number;
  /** The cluster starts at the first slot of this epoch; @default 100 */
  readonly startEpoch?: number;
  /** The staked identity leads 4 slots in every this many; @default 2048 */
  readonly leaderIntervalSlots?: number;
  /** Continuity bound of the judge's overlapping-time rule (see `JudgeOptions.windowMs`); @default 3 × slotMs */
  readonly doubleVoteWindowMs?: number;
  /** Working directory; @default a fresh directory under the OS temp dir */
  readonly dir?: string;
  /** Keep the working directory after stop(); @default false */
  readonly keepDir?: boolean;
  /** Port of the cluster RPC; @default 0 (free) */
  readonly rpcPort?: number;
  /**
   * Reported agave version; getAgGenesisCert exists from 4.3 on (older answers "Method not found").
   * @default '4.3.0' when `consensus` is 'alpenglow' or `alpenglowActivationSlot` is set, else '2.2.16'
   */
  readonly version?: string;
  /**
   * 'alpenglow': the cluster has already switched when it starts (the feature activated
   * `migrationSlots` before the first slot unless `alpenglowActivationSlot` says when).
   * 'tower': TowerBFT until the feature activates (`alpenglowActivationSlot`, or the
   * `alpenglowActivate` control) and the migration window has passed.
   * @default 'tower'
   */
  readonly consensus?: 'tower' | 'alpenglow';
  /** Absolute slot the Alpenglow feature activates at; @default none (tower) or see `consensus` */
  readonly alpenglowActivationSlot?: number;
  /** Slots from activation to the switch to Alpenglow; @default 5000 */
  readonly migrationSlots?: number;
  /** In Alpenglow, slots between a vote and the block whose reward certificate moves `lastVote`; @default 8 */
  readonly rewardCertLagSlots?: number;
  /** Per-process start deadline in ms; @default 15000 */
  readonly startTimeoutMs?: number;
}

/** The judge, as tests see it. */
export interface SimJudge {
  violations(): Promise<Violation[]>;
  /** Voting gaps of an identity; @default the staked identity */
  gaps(identity?: string): Promise<VotingGaps>;
  votes(identity?: string): Promise<VoteRecord[]>;
}

/** A running simulated cluster. */
export interface SimCluster {
  readonly dir: string;
  readonly keysDir: string;
  /** Directory of the CLI shims; put it first on PATH. */
  readonly binDir: string;
  /** Environment for shims and agents: PATH with binDir first, SOLANA_SIM_RPC_URL. */
  readonly env: Record<string, string>;
  readonly rpcUrl: string;
  readonly controlUrl: string;
  readonly stakedPubkey: string;
  readonly stakedKeypairPath: string;
  readonly votePubkey: string;
  readonly validators: readonly SimValidator[];
  validator(name: string): SimValidator;
  /** Cluster slot at a commitment; @default 'processed' */
  slot(commitment?: string): Promise<number>;
  status(): Promise<ClusterStatus>;
  /** Cuts the link between a validator and 'cluster': no slots in, no votes out. */
  cut(a: string, b: string): Promise<void>;
  heal(a: string, b: string): Promise<void>;
  /** The URL of the named RPC backend: it answers like `rpcUrl` until its votes are frozen. */
  backendUrl(name: string): string;
  /** Freezes (or thaws) what the named backend reports as every account's last vote; its slot keeps advancing. */
  freezeBackendVotes(name: string, frozen: boolean): Promise<void>;
  /**
   * A standstill: finalization and every vote account's `lastVote` stop; the tip goes on a few
   * slots, then stops too, and resumes from there when the standstill ends.
   */
  standstill(on: boolean): Promise<void>;
  /**
   * VAT exclusion of a vote account (admission ticket not paid, outside the top vote accounts):
   * listed delinquent with `epochVoteAccount: false`, its votes not counted.
   */
  vatExclude(votePubkey: string, excluded: boolean): Promise<void>;
  /** Creates the Alpenglow feature account, activated at the current slot; resolves to that slot. */
  activateAlpenglow(): Promise<number>;
  readonly judge: SimJudge;
  /** Polls `probe` until it returns a value other than undefined/false, or times out. */
  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    options?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<T>;
  /** Kills every process of the cluster (also hung ones) and removes the directory. */
  stop(): Promise<void>;
}

function writeKey(file: string, keypair: Keypair): void {
  fs.writeFileSync(file, keypairToJson(keypair), { mode: 0o600 });
}

/**
 * The part of a Firedancer config TOML the `fdctl`/`firedancer` shims read: the instance name
 * and the ledger, whose admin socket stands for the validator's shared memory.
 */
function firedancerConfigToml(name: string, ledgerDir: string): string {
  return `# simulated validator ${name}\nname = ${JSON.stringify(name)}\n\n[ledger]\n    path = ${JSON.stringify(ledgerDir)}\n`;
}

function checkOptions(options: StartClusterOptions): void {
  if (options.validators.length === 0) throw new SimOptionsError('validators', 'at least one validator is needed');
  const names = new Set<string>();
  options.validators.forEach((v, i) => {
    if (!/^[A-Za-z0-9_-]+$/.test(v.name) || v.name === 'cluster') {
      throw new SimOptionsError(
        `validators[${i}].name`,
        `'${v.name}' must be letters, digits, - or _ and not 'cluster'`,
      );
    }
    if (names.has(v.name)) throw new SimOptionsError(`validators[${i}].name`, `duplicate name '${v.name}'`);
    names.add(v.name);
    if (v.processName !== undefined && (v.processName.length === 0 || v.processName.length > 15)) {
      throw new SimOptionsError(
        `validators[${i}].processName`,
        'must be 1 to 15 characters (the kernel keeps 15 in /proc/PID/comm)',
      );
    }
  });
  const slotMs = options.slotMs ?? 400;
  if (!Number.isInteger(slotMs) || slotMs < 10) throw new SimOptionsError('slotMs', 'must be an integer >= 10');
  if (options.consensus !== undefined && options.consensus !== 'tower' && options.consensus !== 'alpenglow') {
    throw new SimOptionsError('consensus', `must be 'tower' or 'alpenglow', got '${String(options.consensus)}'`);
  }
  for (const key of ['alpenglowActivationSlot', 'migrationSlots', 'rewardCertLagSlots'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new SimOptionsError(key, 'must be an integer >= 0');
    }
  }
  options.validators.forEach((v, i) => {
    if (v.alpenglowGenesis !== undefined && v.alpenglowGenesis !== 'cluster' && v.alpenglowGenesis !== 'other') {
      throw new SimOptionsError(`validators[${i}].alpenglowGenesis`, "must be 'cluster' or 'other'");
    }
  });
}

/** The activation slot the options ask for, checked against the phase the cluster must start in. */
function activationSlotOf(options: StartClusterOptions, startSlot: number, migrationSlots: number): number | null {
  const given = options.alpenglowActivationSlot;
  if ((options.consensus ?? 'tower') === 'tower') {
    if (given !== undefined && given + migrationSlots <= startSlot) {
      throw new SimOptionsError(
        'alpenglowActivationSlot',
        `${given} + ${migrationSlots} migration slots is at or before the first slot ${startSlot}: use consensus 'alpenglow'`,
      );
    }
    return given ?? null;
  }
  if (given !== undefined && given + migrationSlots > startSlot) {
    throw new SimOptionsError(
      'alpenglowActivationSlot',
      `consensus 'alpenglow' starts switched, but ${given} + ${migrationSlots} migration slots is after the first slot ${startSlot}`,
    );
  }
  return given ?? Math.max(0, startSlot - migrationSlots);
}

/**
 * Starts a simulated cluster: the cluster process (RPC, gossip, vote accounts, judge) and one
 * validator process per entry, with real keypairs in `<dir>/keys`. Call `stop()` in a
 * `finally`/`afterAll`; processes are also killed when the calling process exits.
 */
export async function startCluster(options: StartClusterOptions): Promise<SimCluster> {
  checkOptions(options);
  const slotMs = options.slotMs ?? 400;
  const slotsPerEpoch = options.slotsPerEpoch ?? 8192;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'solana-sim-'));
  const keysDir = path.join(dir, 'keys');
  fs.mkdirSync(keysDir, { recursive: true });
  const staked = generateKeypair();
  const vote = generateKeypair();
  const stakedKeypairPath = path.join(keysDir, 'staked-identity.json');
  writeKey(stakedKeypairPath, staked);
  writeKey(path.join(keysDir, 'vote-account.json'), vote);
  const startSlot = (options.startEpoch ?? 100) * slotsPerEpoch;
  const migrationSlots = options.migrationSlots ?? DEFAULT_MIGRATION_SLOTS;
  const alpenglowActivationSlot = activationSlotOf(options, startSlot, migrationSlots);
  const version = options.version ?? (alpenglowActivationSlot === null ? '2.2.16' : '4.3.0');
  const config: ClusterConfig = {
    slotMs,
    startSlot,
    slotsPerEpoch,
    leaderIntervalSlots: options.leaderIntervalSlots ?? 2048,
    gossipDelayMs: options.gossipDelayMs ?? 0,
    doubleVoteWindowMs: options.doubleVoteWindowMs ?? 3 * slotMs,
    voting: [{ identity: staked.pubkey, votePubkey: vote.pubkey, stakeLamports: 150_000 * 1e9 }],
    peers: Array.from({ length: options.peers ?? 2 }, (_, i) => ({
      identity: generateKeypair().pubkey,
      votePubkey: generateKeypair().pubkey,
      stakeLamports: 2_000_000 * 1e9,
      ip: `198.51.100.${10 + i}`,
    })),
    rpcIdentity: generateKeypair().pubkey,
    version,
    featureSet: 3_294_202_862,
    shredVersion: 50_093,
    alpenglowActivationSlot,
    migrationSlots,
    rewardCertLagSlots: options.rewardCertLagSlots ?? DEFAULT_REWARD_CERT_LAG_SLOTS,
  };
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const children: ChildProcess[] = [];
  const validators: SimValidator[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...validators.map((v) => v.crash()), ...children.map((c) => killHard(c))]);
    if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { child, ready } = await spawnReady<{ rpcPort: number; linkPort: number }>('cluster', 'cluster.js', [], {
      env: {
        ...process.env,
        SOLANA_SIM_CLUSTER_CONFIG: JSON.stringify(config),
        SOLANA_SIM_RPC_PORT: String(options.rpcPort ?? 0),
      },
      logFile: path.join(dir, 'cluster.log'),
      timeoutMs: startTimeoutMs,
    });
    children.push(child);
    const rpcUrl = `http://127.0.0.1:${ready.rpcPort}`;
    const controlUrl = `${rpcUrl}/sim`;
    const control = async (method: string, params: unknown[]): Promise<unknown> => {
      try {
        return await callJsonRpc(controlUrl, method, params);
      } catch (err) {
        throw new SimControlError('cluster', `${method} failed: ${(err as Error).message}`, { cause: err });
      }
    };
    const launch = {
      clusterLinkPort: ready.linkPort,
      clusterRpcUrl: rpcUrl,
      version,
      featureSet: config.featureSet,
      startTimeoutMs,
      control,
    };
    options.validators.forEach((v, i) => {
      const homeDir = path.join(dir, v.name);
      const ledgerDir = path.join(homeDir, 'ledger');
      fs.mkdirSync(ledgerDir, { recursive: true });
      const unstaked = generateKeypair();
      const unstakedKeypairPath = path.join(homeDir, 'unstaked-identity.json');
      writeKey(unstakedKeypairPath, unstaked);
      const choice = v.identity ?? (i === 0 ? 'staked' : 'unstaked');
      const target = choice === 'staked' ? stakedKeypairPath : choice === 'unstaked' ? unstakedKeypairPath : choice;
      const identitySymlink = path.join(homeDir, 'identity.json');
      fs.symlinkSync(target, identitySymlink);
      const fdConfigPath = path.join(homeDir, 'config.toml');
      fs.writeFileSync(fdConfigPath, firedancerConfigToml(v.name, ledgerDir));
      validators.push(
        new SimValidator(
          {
            name: v.name,
            ip: v.ip ?? `127.0.0.${2 + i}`,
            processName: v.processName ?? 'agave-validator',
            homeDir,
            ledgerDir,
            identitySymlink,
            fdConfigPath,
            stakedKeypairPath,
            unstakedKeypairPath,
            unstakedPubkey: unstaked.pubkey,
            authorizedVoterPaths: (v.authorizedVoter ?? 'staked') === 'staked' ? [stakedKeypairPath] : [],
            alpenglowGenesis: v.alpenglowGenesis ?? 'cluster',
            requireVoteHistory: v.requireVoteHistory ?? true,
          },
          launch,
          v.rpcPort ?? 0,
        ),
      );
    });
    // Two cores are shared with other work: start validators a few at a time.
    for (let i = 0; i < validators.length; i += 4) await Promise.all(validators.slice(i, i + 4).map((v) => v.start()));
    const waitFor = async <T>(
      what: string,
      probe: () => Promise<T | undefined | false>,
      waitOptions: { timeoutMs?: number; intervalMs?: number } = {},
    ): Promise<T> => {
      const timeoutMs = waitOptions.timeoutMs ?? 10_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new SimTimeoutError(what, timeoutMs);
        await new Promise((r) => setTimeout(r, waitOptions.intervalMs ?? Math.max(10, slotMs / 2)));
      }
    };
    return {
      dir,
      keysDir,
      binDir: binDir(),
      env: {
        PATH: `${binDir()}${path.delimiter}${process.env['PATH'] ?? ''}`,
        SOLANA_SIM_RPC_URL: rpcUrl,
        // Where `firedancer` looks for running validators when it is given no --config.
        SOLANA_SIM_DIR: dir,
        // wait-for-restart-window polls every 5 s on a real cluster; scale it to the slot.
        SOLANA_SIM_POLL_MS: String(Math.max(50, slotMs)),
      },
      rpcUrl,
      controlUrl,
      stakedPubkey: staked.pubkey,
      stakedKeypairPath,
      votePubkey: vote.pubkey,
      validators,
      validator: (name) => {
        const found = validators.find((v) => v.name === name);
        if (!found) throw new SimOptionsError('validator', `no validator named '${name}'`);
        return found;
      },
      slot: async (commitment = 'processed') => (await callJsonRpc(rpcUrl, 'getSlot', [{ commitment }])) as number,
      status: async () => (await control('status', [])) as ClusterStatus,
      cut: async (a, b) => void (await control('cut', [a, b])),
      heal: async (a, b) => void (await control('heal', [a, b])),
      backendUrl: (name) => `${rpcUrl}/backend/${name}`,
      freezeBackendVotes: async (name, frozen) => void (await control('freezeBackendVotes', [name, frozen])),
      standstill: async (on) => void (await control('standstill', [on])),
      vatExclude: async (votePubkey, excluded) => void (await control('vatExclude', [votePubkey, excluded])),
      activateAlpenglow: async () => (await control('alpenglowActivate', [])) as number,
      judge: {
        violations: async () => (await control('violations', [])) as Violation[],
        gaps: async (identity = staked.pubkey) => (await control('gaps', [identity])) as VotingGaps,
        votes: async (identity) => (await control('votes', identity === undefined ? [] : [identity])) as VoteRecord[],
      },
      waitFor,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
