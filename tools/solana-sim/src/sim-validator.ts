import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { towerFileName, voteHistoryFileName } from '@failover/core';
import { SimControlError } from './errors';
import { callJsonRpc } from './internal/json-rpc';
import { requestOverSocket } from './internal/lines';
import { isAlive, killHard, spawnReady } from './internal/processes';

/** A validator's state as its admin socket reports it. */
export interface ValidatorStatus {
  readonly identity: string;
  readonly voting: boolean;
  readonly slot: number;
  readonly clusterSlot: number;
  readonly lastVote: number | null;
  /** Firedancer's key switch lock is held: a switch is under way or was abandoned part way. */
  readonly keySwitchLocked: boolean;
}

/** Where one simulated validator lives and how it is started. */
export interface ValidatorLayout {
  readonly name: string;
  readonly ip: string;
  readonly processName: string;
  readonly homeDir: string;
  readonly ledgerDir: string;
  readonly identitySymlink: string;
  /** A Firedancer config TOML naming this validator, for `fdctl`/`firedancer --config`. */
  readonly fdConfigPath: string;
  readonly stakedKeypairPath: string;
  readonly unstakedKeypairPath: string;
  readonly unstakedPubkey: string;
  readonly authorizedVoterPaths: readonly string[];
  /** The Alpenglow genesis it migrates on ('cluster', or 'other' for a node on another chain). */
  readonly alpenglowGenesis: string;
  /** False: started with --do-not-require-vote-history. */
  readonly requireVoteHistory: boolean;
}

/** How a validator reaches the cluster, and what it reports as its software. */
export interface ValidatorLaunch {
  readonly clusterLinkPort: number;
  readonly clusterRpcUrl: string;
  readonly version: string;
  readonly featureSet: number;
  readonly startTimeoutMs: number;
  /** Sends a control call to the cluster (lag, votes cut). */
  readonly control: (method: string, params: unknown[]) => Promise<unknown>;
}

/**
 * Handle on one simulated validator process: where it lives, and the faults a test can cause.
 * The process is a real OS process named `processName`, so `pgrep -x` and signals work on it.
 */
export class SimValidator implements ValidatorLayout {
  readonly name: string;
  readonly ip: string;
  readonly processName: string;
  readonly homeDir: string;
  readonly ledgerDir: string;
  readonly identitySymlink: string;
  readonly fdConfigPath: string;
  readonly stakedKeypairPath: string;
  readonly unstakedKeypairPath: string;
  readonly unstakedPubkey: string;
  readonly authorizedVoterPaths: readonly string[];
  readonly alpenglowGenesis: string;
  readonly requireVoteHistory: boolean;
  private child: ChildProcess | undefined;
  private port = 0;

  constructor(
    layout: ValidatorLayout,
    private readonly launch: ValidatorLaunch,
    rpcPort: number,
  ) {
    this.name = layout.name;
    this.ip = layout.ip;
    this.processName = layout.processName;
    this.homeDir = layout.homeDir;
    this.ledgerDir = layout.ledgerDir;
    this.identitySymlink = layout.identitySymlink;
    this.fdConfigPath = layout.fdConfigPath;
    this.stakedKeypairPath = layout.stakedKeypairPath;
    this.unstakedKeypairPath = layout.unstakedKeypairPath;
    this.unstakedPubkey = layout.unstakedPubkey;
    this.authorizedVoterPaths = layout.authorizedVoterPaths;
    this.alpenglowGenesis = layout.alpenglowGenesis;
    this.requireVoteHistory = layout.requireVoteHistory;
    this.port = rpcPort;
  }

  /** Local JSON-RPC URL (stays the same across restarts). */
  get rpcUrl(): string {
    return `http://${this.ip}:${this.port}`;
  }

  /** Local RPC port. */
  get rpcPort(): number {
    return this.port;
  }

  /** Process id while running, else undefined. */
  get pid(): number | undefined {
    return isAlive(this.child) ? this.child?.pid : undefined;
  }

  /** The admin socket the shims talk to. */
  get adminSocketPath(): string {
    return path.join(this.ledgerDir, 'admin.rpc');
  }

  /** Path of the tower file of `pubkey` in this validator's ledger. */
  towerPath(pubkey: string): string {
    return path.join(this.ledgerDir, towerFileName(pubkey));
  }

  /** Path of the Alpenglow vote-history file of `pubkey` in this validator's ledger. */
  voteHistoryPath(pubkey: string): string {
    return path.join(this.ledgerDir, voteHistoryFileName(pubkey));
  }

  /** Whether the process is running (a hung process counts as running). */
  isRunning(): boolean {
    return isAlive(this.child);
  }

  /** Starts the process; its identity is whatever the symlink names now. */
  async start(): Promise<void> {
    if (this.isRunning()) return;
    const args = [
      '--name',
      this.name,
      '--identity',
      this.identitySymlink,
      '--ledger',
      this.ledgerDir,
      '--rpc-bind-address',
      this.ip,
      '--rpc-port',
      String(this.port),
      '--cluster-link',
      String(this.launch.clusterLinkPort),
      '--cluster-rpc',
      this.launch.clusterRpcUrl,
      '--process-name',
      this.processName,
      '--version-string',
      this.launch.version,
      '--feature-set',
      String(this.launch.featureSet),
      '--alpenglow-genesis',
      this.alpenglowGenesis,
      '--require-vote-history',
      String(this.requireVoteHistory),
      ...this.authorizedVoterPaths.flatMap((p) => ['--authorized-voter', p]),
    ];
    const { child, ready } = await spawnReady<{ rpcPort: number }>(`validator ${this.name}`, 'validator.js', args, {
      logFile: path.join(this.homeDir, 'validator.log'),
      timeoutMs: this.launch.startTimeoutMs,
    });
    this.child = child;
    this.port = ready.rpcPort;
  }

  /** kill -9: the process dies at once, wherever it was. */
  async crash(): Promise<void> {
    if (this.child) await killHard(this.child);
  }

  /** Crash (if running) and start again, on the identity the symlink names. */
  async restart(): Promise<void> {
    await this.crash();
    await this.start();
  }

  /** SIGSTOP: the process is frozen (no RPC answers, no votes) but still exists. */
  hang(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after {@link hang}. */
  resume(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.child || !this.isRunning()) throw new SimControlError(this.name, `cannot send ${signal}: not running`);
    this.child.kill(signal);
  }

  /** The validator replays `slots` behind the tip from now on (0 to catch up). */
  async fallBehind(slots: number): Promise<void> {
    await this.launch.control('fallBehind', [this.name, slots]);
  }

  /** Votes are cast (and judged) but do not land on the cluster. */
  async cutVotes(cut: boolean): Promise<void> {
    await this.launch.control('cutVotes', [this.name, cut]);
  }

  /** getHealth answers "Node is unhealthy". */
  async setRpcUnhealthy(unhealthy: boolean): Promise<void> {
    await this.admin('simFault', [{ unhealthy }]);
  }

  /** set-identity answers only after `ms`. */
  async setIdentityDelay(ms: number): Promise<void> {
    await this.admin('simFault', [{ identityDelayMs: ms }]);
  }

  /** set-identity fails without changing anything. */
  async failSetIdentity(fail: boolean): Promise<void> {
    await this.admin('simFault', [{ failSetIdentity: fail }]);
  }

  /**
   * Leaves Firedancer's key switch locked, as an `fdctl set-identity` killed part way does:
   * every later switch fails until one passes `--force`.
   */
  async abandonKeySwitch(): Promise<void> {
    await this.admin('simFault', [{ keySwitchLocked: true }]);
  }

  /** Identity, voting state, slots, as the process reports them. */
  async status(): Promise<ValidatorStatus> {
    return (await this.admin('simStatus', [])) as ValidatorStatus;
  }

  /** The identity the validator runs as (its local getIdentity). */
  async identity(): Promise<string> {
    const result = (await callJsonRpc(this.rpcUrl, 'getIdentity')) as { identity: string };
    return result.identity;
  }

  private async admin(method: string, params: unknown[]): Promise<unknown> {
    let reply: { result?: unknown; error?: { message: string } };
    try {
      reply = (await requestOverSocket(
        this.adminSocketPath,
        { jsonrpc: '2.0', id: 1, method, params },
        5000,
      )) as typeof reply;
    } catch (err) {
      throw new SimControlError(this.name, `admin ${method} failed: ${(err as Error).message}`, { cause: err });
    }
    if (reply.error) throw new SimControlError(this.name, `admin ${method}: ${reply.error.message}`);
    return reply.result;
  }
}
