/**
 * An agent of the stack run the way `failover-agent.service` runs it: under the test kit's
 * stand-in for systemd, with its watchdog and `failover-agent guard` as `ExecStopPost=`. It has
 * the surface of {@link ManagedProcess} the harness and the fault campaign use, so a fault that
 * kills or freezes the agent meets the host guard as on a real host. `kill()` and `stop()`
 * resolve once the guard has run, as systemd's stop job does; `start()` is the unit's restart.
 */
import { startSupervisedService, type ServiceRun, type SupervisedService } from '@failover/testkit';
import { appendFileSync } from 'node:fs';
import type { ProcessExit } from './managed-process';

/** Options of {@link GuardedProcess}. */
export interface GuardedProcessOptions {
  readonly name: string;
  /** The agent's bin, run with this Node.js. */
  readonly script: string;
  /** Its config file, for both the agent and the guard. */
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
  /** `WatchdogSec=`. */
  readonly watchdogMs: number;
  /** `TimeoutStopSec=`: the guard's time limit. */
  readonly stopTimeoutMs: number;
}

/** One agent under its unit; see the file comment. */
export class GuardedProcess {
  private service: SupervisedService | undefined;
  private starting: Promise<SupervisedService | undefined> | undefined;
  private run: ServiceRun | undefined;
  private running = false;

  constructor(private readonly options: GuardedProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get logPath(): string {
    return this.options.logPath;
  }

  /** PID of the agent while it runs (a frozen one counts as running). */
  get pid(): number | undefined {
    return this.running ? this.service?.pid : undefined;
  }

  /** How the agent's last run ended; undefined while it runs. */
  get lastExit(): ProcessExit | undefined {
    if (this.running || this.run === undefined) return undefined;
    return this.run.exitCode === 'exited'
      ? { code: Number(this.run.exitStatus), signal: null }
      : { code: null, signal: `SIG${this.run.exitStatus}` as NodeJS.Signals };
  }

  /** How the last run ended and what its guard did. */
  get lastRun(): ServiceRun | undefined {
    return this.running ? undefined : this.run;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Starts the agent under its unit; does nothing while it runs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.run = undefined;
    const { script, configPath } = this.options;
    const starting = startSupervisedService({
      name: this.options.name.replace(/\W+/g, '-'),
      exec: { command: process.execPath, args: [script, '--config', configPath] },
      stopPost: { command: process.execPath, args: [script, 'guard', '--config', configPath] },
      env: this.options.env,
      watchdogMs: this.options.watchdogMs,
      stopTimeoutMs: this.options.stopTimeoutMs,
      logPath: this.options.logPath,
    });
    this.starting = starting.then(
      (service) => {
        this.service = service;
        void service.ended.then((run) => {
          this.run = run;
          this.running = false;
        });
        return service;
      },
      (error: unknown) => {
        // As a unit that fails to start: the harness sees an agent that never answers.
        appendFileSync(this.options.logPath, `${this.options.name} did not start: ${String(error)}\n`);
        this.running = false;
        return undefined;
      },
    );
  }

  /** Resolves when the current run and its guard have ended (at once when nothing runs). */
  async waitForExit(): Promise<ProcessExit | undefined> {
    if (!this.running) return this.lastExit;
    await (
      await this.starting
    )?.ended;
    return this.lastExit;
  }

  /** Sends a signal to the agent: SIGKILL for a crash, SIGSTOP/SIGCONT for a hang. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.service?.signal(signal);
  }

  /** kill -9, and waits until the agent is gone and its guard has run. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const service = await this.starting;
    service?.signal('SIGKILL');
    await service?.ended;
  }

  /** As `systemctl stop`: SIGTERM, SIGKILL after the stop timeout, then the guard. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await (await this.starting)?.stop();
  }
}
