import type {
  FailoverEvent,
  JournalRecord,
  ManagerEffect,
  ManagerJournalState,
  ManagerMachineOptions,
  ManagerState,
  NodeId,
  StepResult,
} from '@failover/core';
import {
  EMPTY_JOURNAL,
  applyJournalRecords,
  createManagerState,
  describeAction,
  restoreManagerState,
  stepManager,
} from '@failover/core';
import type { ObservationInput } from './observations';
import { observe } from './observations';

/** Grace, cooldown and intervals short enough to write scenarios in seconds. */
export const FAST: ManagerMachineOptions = {
  dryRun: false,
  startupGracePeriodMs: 10_000,
  cooldownMs: 60_000,
  missesBeforeFailover: 3,
};

/** Feeds events to the manager machine the way the app does, and keeps every effect. */
export class ManagerDriver {
  state: ManagerState;
  readonly effects: ManagerEffect[] = [];
  now: number;

  /** What the journal held when this manager started. */
  private readonly startJournal: ManagerJournalState;

  constructor(
    options: ManagerMachineOptions = FAST,
    start = 0,
    restore?: { term: number; journal: ManagerJournalState },
  ) {
    this.now = start;
    this.startJournal = restore?.journal ?? EMPTY_JOURNAL;
    const fresh = createManagerState(options, start);
    if (restore === undefined) {
      this.state = fresh;
    } else {
      const restored = restoreManagerState(fresh, restore);
      this.state = restored.state;
      this.effects.push(...restored.effects);
    }
  }

  /** Every record this manager wrote, in order. */
  records(): JournalRecord[] {
    return this.effects.flatMap((e) => (e.kind === 'journal' ? [...e.records] : []));
  }

  /** The journal as this manager left it. */
  journal(): ManagerJournalState {
    return applyJournalRecords(this.startJournal, this.records());
  }

  /** A manager started `ms` after this one stopped, on its journal, in the next term. */
  restart(options: ManagerMachineOptions = FAST, ms = 5_000): ManagerDriver {
    return new ManagerDriver(options, this.now + ms, { term: this.state.term + 1, journal: this.journal() });
  }

  /** One heartbeat `ms` after the previous event. */
  tick(input: Omit<ObservationInput, 'at'> = {}, ms = 5_000): ManagerEffect[] {
    this.now += ms;
    return this.apply({ type: 'tick', observation: observe({ ...input, at: this.now }) });
  }

  /** Answers the running step `ms` after the previous event. */
  answer(result: StepResult, ms = 1_000): ManagerEffect[] {
    const step = this.runningStep();
    if (step === undefined) throw new Error('no step is running');
    this.now += ms;
    return this.apply({ type: 'step-result', token: step.token, result, at: this.now });
  }

  /** Answers steps with `ok` until the failover ends. */
  completeAll(): void {
    while (this.state.status === 'failing-over') this.answer({ ok: true });
  }

  switchover(to: NodeId | null = null): ManagerEffect[] {
    return this.apply({ type: 'switchover-requested', requestId: 'r1', reason: 'upgrade', to, at: this.now });
  }

  apply(event: Parameters<typeof stepManager>[1]): ManagerEffect[] {
    const out = stepManager(this.state, event);
    this.state = out.state;
    this.effects.push(...out.effects);
    return [...out.effects];
  }

  runningStep(): Extract<ManagerEffect, { kind: 'run-step' }> | undefined {
    if (this.state.status !== 'failing-over') return undefined;
    const token = this.state.failover.token;
    return this.effects.find(
      (e): e is Extract<ManagerEffect, { kind: 'run-step' }> => e.kind === 'run-step' && e.token === token,
    );
  }

  /** Labels of every step run so far, compensations prefixed with `undo:`. */
  stepsRun(): string[] {
    return this.effects.flatMap((e) =>
      e.kind === 'run-step' ? [`${e.compensating ? 'undo:' : ''}${describeAction(e.step.action)}`] : [],
    );
  }

  notified<T extends FailoverEvent['type']>(type: T): Extract<FailoverEvent, { type: T }>[] {
    return this.effects.flatMap((e) =>
      e.kind === 'notify' && e.event.type === type ? [e.event as Extract<FailoverEvent, { type: T }>] : [],
    );
  }

  failovers(): Extract<ManagerEffect, { kind: 'failover' }>[] {
    return this.effects.filter((e): e is Extract<ManagerEffect, { kind: 'failover' }> => e.kind === 'failover');
  }
}
