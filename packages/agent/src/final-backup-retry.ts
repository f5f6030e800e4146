import type { Clock, Logger, Role, TimerHandle } from '@failover/core';
import type { TowerKeeper } from './tower-keeper';

/** Options of {@link createFinalBackupRetry}. */
export interface FinalBackupRetryOptions {
  readonly keeper: TowerKeeper;
  /** The agent's role now; retries run only while it is a settled passive. */
  readonly role: () => Role;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pause before the first retry; doubled after each failure. @default 1000 */
  readonly firstDelayMs?: number;
  /** Longest pause between two retries. @default 5000 */
  readonly maxDelayMs?: number;
}

/** The background retry of a demotion's failed final tower backup. */
export interface FinalBackupRetry {
  /** Starts retrying (again) after the final backup of a demotion failed with `reason`. */
  begin(reason: string): void;
  /** Stops retrying without removing anything: the tower file is about to be dealt with otherwise. */
  cancel(): void;
  /** Why a final backup is still pending, for `/status`; null when none is. */
  pending(): string | null;
  /** Stops retrying and waits for an attempt in flight. */
  stop(): Promise<void>;
}

/**
 * F4 (docs/chaos.md): a demotion whose final tower backup failed (etcd without quorum) keeps
 * its tower file, because that file then holds the only copy of the last votes, and the next
 * holder must not start from an older tower (S2). Once passive, the agent backs it up again,
 * one attempt at a time, until the store takes it (then the file is removed, as the demotion
 * would have), the store refuses it as fenced (another holder wrote since: its tower is newer,
 * and this file is kept and left alone), or the role changes (a promotion restores the newest
 * tower, which prefers this file when it is newer than the backup). The tower of a passive node
 * on disk is harmless: its validator runs the unstaked identity and never writes this file.
 * Each outcome is logged once; the failures in between are only counted.
 */
export function createFinalBackupRetry(options: FinalBackupRetryOptions): FinalBackupRetry {
  const { keeper, clock, logger } = options;
  const firstDelayMs = options.firstDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  let pending: { reason: string; failures: number; delayMs: number; generation: number } | null = null;
  let generation = 0;
  let timer: TimerHandle | undefined;
  let attempt: Promise<void> = Promise.resolve();

  const schedule = (delayMs: number): void => {
    const scheduled = generation;
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (pending === null || pending.generation !== scheduled) return;
      attempt = retry(scheduled);
    }, delayMs);
  };

  const finish = (level: 'info' | 'warn', message: string): void => {
    const failures = pending?.failures ?? 0;
    pending = null;
    logger[level]({ retries: failures }, message);
  };

  const retry = async (scheduled: number): Promise<void> => {
    const role = options.role();
    const current = pending;
    if (current === null || current.generation !== scheduled) return;
    if (role === 'deactivating') {
      // The demotion that failed its backup is still finishing; passive comes next.
      schedule(current.delayMs);
      return;
    }
    if (role !== 'passive') {
      finish('warn', `final tower backup no longer retried: the role is now ${role}; the tower file is kept`);
      return;
    }
    current.failures += 1;
    const report = await keeper.finalBackup(true);
    if (pending !== current || current.generation !== generation) return;
    switch (report.status) {
      case 'stored':
      case 'unchanged':
      case 'dry-run':
        return land();
      case 'no-tower':
        finish('warn', 'final tower backup no longer retried: the tower file is gone');
        return;
      case 'in-flight':
        schedule(current.delayMs);
        return;
      case 'failed':
        if (report.reason === 'fenced') {
          finish(
            'warn',
            `final tower backup refused as fenced: another holder wrote the tower since; stopped retrying, the tower file is kept (${report.error})`,
          );
          return;
        }
        current.reason = report.error;
        current.delayMs = Math.min(current.delayMs * 2, maxDelayMs);
        logger.debug({ retries: current.failures }, `final tower backup retry failed: ${report.error}`);
        schedule(current.delayMs);
        return;
    }
  };

  const land = async (): Promise<void> => {
    // Checked right before the removal: a promotion that began meanwhile needs this file.
    const role = options.role();
    if (role !== 'passive') {
      finish('warn', `final tower backup landed, but the role is now ${role}; the tower file is kept`);
      return;
    }
    const removed = await keeper.removeTowerFile();
    finish(
      removed.ok ? 'info' : 'warn',
      removed.ok
        ? 'final tower backup landed; tower file removed'
        : `final tower backup landed; ${removed.error ?? 'cannot remove the tower file'}`,
    );
  };

  return {
    begin(reason) {
      generation += 1;
      if (timer !== undefined) clock.clearTimeout(timer);
      pending = { reason, failures: 0, delayMs: firstDelayMs, generation };
      logger.warn(
        {},
        `final tower backup failed (${reason}); the tower file is kept and the backup is retried while passive`,
      );
      schedule(firstDelayMs);
    },
    cancel() {
      generation += 1;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      pending = null;
    },
    pending: () => (pending === null ? null : `final tower backup pending: ${pending.reason}`),
    async stop() {
      this.cancel();
      await attempt;
    },
  };
}
