import type { AlpenglowGenesis, Clock, TimerHandle } from '@failover/core';
import type { LocalRpc, RpcResult, SolanaRpc } from '@failover/protocol';
import type { ProcessSnapshot, ValidatorProbe } from './process-probe';

/** One probe of the validator: its process and its local RPC, read together. */
export interface ValidatorSample {
  /** When the probe started (ms). */
  readonly startedAt: number;
  /** When its last answer arrived (ms). */
  readonly finishedAt: number;
  readonly process:
    { readonly ok: true; readonly snapshot: ProcessSnapshot } | { readonly ok: false; readonly error: string };
  readonly health: RpcResult<true>;
  readonly slot: RpcResult<number>;
  readonly identity: RpcResult<string>;
  /** `getAgGenesisCert`: the validator's Alpenglow genesis; absent when not asked. */
  readonly genesis?: RpcResult<AlpenglowGenesis | null>;
}

/** What `/status` reads: the latest finished sample, its age, and whether the next one is overdue. */
export interface SampleView {
  /** The latest finished sample; null before the first one finished. */
  readonly sample: ValidatorSample | null;
  /** Milliseconds since the latest sample finished; null when none has. */
  readonly ageMs: number | null;
  /** Why the RPC readings must not be trusted now (a probe overdue); null when they are fresh. */
  readonly overdue: string | null;
}

/** Probes the validator in the background so `/status` never waits on it. */
export interface ValidatorSampler {
  /** The latest sample; never waits. */
  view(): SampleView;
  /** Starts the loop; resolves once the first sample finished (each of its calls has the deadline). */
  start(): Promise<void>;
  /**
   * Takes a sample now, beside the loop, for a change the caller knows of (a role change
   * done); resolves when it finished or after `maxWaitMs`, whichever comes first.
   */
  refresh(maxWaitMs: number): Promise<void>;
  /**
   * Takes a sample now, beside the loop, and resolves with it once each of its calls answered
   * or reached the deadline. It becomes the latest unless one started later already did.
   */
  sample(): Promise<ValidatorSample>;
  /** Stops the loop and waits for a sample in flight. */
  stop(): Promise<void>;
}

/** Options of {@link createValidatorSampler}. */
export interface ValidatorSamplerOptions {
  readonly probe: ValidatorProbe;
  /** The validator's local RPC; its calls end at the client's own deadline, and a sample still waiting past `deadlineMs` reads as overdue. */
  readonly localRpc: LocalRpc;
  readonly clock: Clock;
  /**
   * Asks the validator's `getAgGenesisCert` in each sample, for the manager's Alpenglow
   * eligibility rule. @default not asked
   */
  readonly genesisRpc?: Pick<SolanaRpc, 'getAgGenesisCert'>;
  /** From the start of one sample to the start of the next. @default 400 */
  readonly intervalMs?: number;
  /** A sample's answers are due within this; later, its readings count as failed. @default 1000 */
  readonly deadlineMs?: number;
  /** Hears each sample that becomes the latest (the process watch). @default nobody */
  readonly onSample?: (sample: ValidatorSample) => void;
}

/**
 * Samples the validator's process and local RPC every `intervalMs`, each sample held to
 * `deadlineMs`. A frozen validator (SIGSTOP, a hung RPC thread) accepts connections and never
 * answers; waiting on it inside `/status` made the agent itself look unreachable to a manager
 * with a shorter `request_timeout`, and the manager then promoted past a node it could have
 * demoted (chaos finding F2). `/status` answers from the latest sample instead, in
 * milliseconds, with its age; a sample overdue by more than the deadline makes the RPC
 * unhealthy.
 */
export function createValidatorSampler(options: ValidatorSamplerOptions): ValidatorSampler {
  const { clock, localRpc } = options;
  const intervalMs = options.intervalMs ?? 400;
  const deadlineMs = options.deadlineMs ?? 1_000;
  let latest: ValidatorSample | null = null;
  let inFlight: Promise<unknown> | undefined;
  // The samples in flight, the loop's and any taken beside it, each its own entry: two begun in
  // the same millisecond are two, and the one that answers does not take the other's off.
  const inFlightStarts = new Set<{ readonly startedAt: number }>();
  let timer: TimerHandle | undefined;
  let running = false;

  const sampleOnce = async (): Promise<ValidatorSample> => {
    const startedAt = clock.now();
    const pending = { startedAt };
    inFlightStarts.add(pending);
    const [health, slot, identity, genesis] = await Promise.all([
      localRpc.getHealth(),
      localRpc.getSlot(),
      localRpc.getIdentity(),
      options.genesisRpc?.getAgGenesisCert(),
    ]);
    // The process is read after its RPC answered: a validator killed during the sample then
    // shows as down, the cause, rather than as running with an unreachable RPC.
    const process = await options.probe.probe().then(
      (snapshot) => ({ ok: true as const, snapshot }),
      (error: unknown) => ({ ok: false as const, error: `process probe failed: ${(error as Error).message}` }),
    );
    inFlightStarts.delete(pending);
    const sample: ValidatorSample = {
      startedAt,
      finishedAt: clock.now(),
      process,
      health,
      slot,
      identity,
      ...(genesis === undefined ? {} : { genesis }),
    };
    // A loop sample begun before a refresh may finish after it; it must not replace the newer view.
    if (latest === null || startedAt >= latest.startedAt) {
      latest = sample;
      options.onSample?.(sample);
    }
    return sample;
  };

  const loop = (): void => {
    if (!running) return;
    const startedAt = clock.now();
    inFlight = sampleOnce().finally(() => {
      inFlight = undefined;
      if (running) timer = clock.setTimeout(loop, Math.max(0, intervalMs - (clock.now() - startedAt)));
    });
  };

  return {
    view(): SampleView {
      const now = clock.now();
      if (latest === null) return { sample: null, ageMs: null, overdue: 'no probe of the validator has finished yet' };
      const ageMs = now - latest.finishedAt;
      const waitingMs = inFlightStarts.size === 0 ? 0 : now - Math.min(...[...inFlightStarts].map((p) => p.startedAt));
      const overdue =
        waitingMs > deadlineMs || ageMs > intervalMs + deadlineMs
          ? `local RPC did not answer within ${Math.max(waitingMs, ageMs - intervalMs)} ms`
          : null;
      return { sample: latest, ageMs, overdue };
    },
    async start(): Promise<void> {
      if (running) return;
      running = true;
      loop();
      await inFlight;
    },
    async refresh(maxWaitMs: number): Promise<void> {
      if (!running) return;
      let timeout: TimerHandle | undefined;
      await Promise.race([
        sampleOnce(),
        new Promise<void>((resolve) => (timeout = clock.setTimeout(resolve, maxWaitMs))),
      ]);
      if (timeout !== undefined) clock.clearTimeout(timeout);
    },
    sample: sampleOnce,
    async stop(): Promise<void> {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
