import {
  createAgentState,
  stepAgent,
  stepName,
  type AgentAction,
  type AgentEffect,
  type AgentEvent,
  type AgentMachineConfig,
  type AgentResponse,
  type AgentState,
  type Clock,
  type Logger,
  type ObservedIdentity,
  type PeerAnswer,
  type PlanStep,
  type RequestContext,
  type Role,
  type StepResult,
  type TimerHandle,
  type TowerStale,
} from '@failover/core';
import type { CarriedFiles } from './tower-keeper';

/** A step's outcome; `towerStale` when `restore-tower` refused a tower below `min_tower_slot`. */
export type StepOutcome = StepResult & { readonly towerStale?: TowerStale };

/**
 * Runs one step of a role change; a failure is a value. `carried` is what the request that
 * started the change brought for its restore.
 */
export type StepExecutor = (
  step: PlanStep<AgentAction>,
  attempt: number,
  carried?: CarriedFiles,
) => Promise<StepOutcome>;

/** Asks the peer agent whether it is active. */
export type PeerAsker = () => Promise<{ readonly answer: PeerAnswer; readonly detail: string | null }>;

/** Reads what identity the validator runs; `unknown` when it does not say. */
export type IdentityChecker = () => Promise<{ readonly identity: ObservedIdentity; readonly detail: string | null }>;

/** Asks whether the peer agent answers, and the slot the cluster RPC answers `getSlot` with (null: none). */
export type ReachabilityProbe = () => Promise<{ readonly peer: boolean; readonly clusterSlot: number | null }>;

/** Options of {@link createRoleRunner}. */
export interface RoleRunnerOptions {
  readonly initialRole: 'active' | 'passive';
  readonly clock: Clock;
  readonly machine: Partial<AgentMachineConfig>;
  readonly executeStep: StepExecutor;
  readonly askPeer: PeerAsker;
  readonly checkIdentity: IdentityChecker;
  readonly probeReachability: ReachabilityProbe;
  readonly logger: Logger;
  /** How often the watchdog looks at the manager's silence. @default 1_000 */
  readonly watchdogIntervalMs?: number;
  /** Called after each watchdog tick: the loop's proof of progress, fed to systemd's watchdog. */
  readonly onTick?: () => void;
}

/** The agent's role, driven by the core machine; this only executes what the machine decides. */
export interface RoleRunner {
  role(): Role;
  /**
   * Submits a `/failover` request; resolves with the machine's answer (at once when busy).
   * `carried` goes to the restore of the promotion this request starts, and to no other.
   */
  request(
    action: 'become_active' | 'become_passive',
    skipIdentity: boolean,
    minTowerSlot?: number,
    minVoteHistorySlot?: number,
    context?: RequestContext,
    carried?: CarriedFiles,
  ): Promise<AgentResponse>;
  /** What a guard did lately (stray staked identity, isolation), for `/status`; null when nothing. */
  alert(): string | null;
  /** Records an authenticated manager request. */
  heartbeat(): void;
  /** The tower store refused a backup as fenced: another machine was given the identity. */
  towerFenced(detail: string): void;
  /** When the last manager heartbeat arrived (ms), null when never. */
  lastHeartbeatAt(): number | null;
  /** Starts the watchdog. */
  start(): void;
  /** Stops the watchdog and resolves once no role change is running. */
  stop(): Promise<void>;
}

/**
 * Creates the runner. Events are folded one at a time (JavaScript runs them to completion),
 * so two requests can never both start a role change: the second meets `activating` or
 * `deactivating` and the machine answers busy.
 */
export function createRoleRunner(options: RoleRunnerOptions): RoleRunner {
  const { clock, logger } = options;
  const intervalMs = options.watchdogIntervalMs ?? 1_000;
  let state: AgentState = createAgentState(options.initialRole, clock.now(), options.machine);
  let nextRequestId = 0;
  const waiting = new Map<string, (response: AgentResponse) => void>();
  let watchdog: TimerHandle | undefined;
  let running = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => undefined;
  // What the request that started the change under way brought for its restore.
  let changeCarried: CarriedFiles | undefined;

  const dispatch = (event: AgentEvent): void => {
    const wasChanging = isChanging(state);
    const step = stepAgent(state, event);
    state = step.state;
    if (!wasChanging && isChanging(state)) idle = new Promise((resolve) => (markIdle = resolve));
    if (wasChanging && !isChanging(state)) {
      changeCarried = undefined;
      markIdle();
    }
    for (const effect of step.effects) execute(effect);
  };

  const execute = (effect: AgentEffect): void => {
    switch (effect.kind) {
      case 'log':
        logger[effect.level]({ ...effect.fields }, effect.message);
        return;
      case 'respond':
        waiting.get(effect.requestId)?.(effect.response);
        waiting.delete(effect.requestId);
        return;
      case 'run-step':
        void runStep(effect.token, effect.step, effect.attempt);
        return;
      case 'ask-peer':
        void options.askPeer().then(
          ({ answer, detail }) =>
            dispatch({ type: 'peer-answer', token: effect.token, answer, detail, at: clock.now() }),
          (error: unknown) =>
            dispatch({
              type: 'peer-answer',
              token: effect.token,
              answer: 'unreachable',
              detail: String(error),
              at: clock.now(),
            }),
        );
        return;
      case 'check-identity':
        void options.checkIdentity().then(
          ({ identity, detail }) =>
            dispatch({ type: 'identity-observed', token: effect.token, identity, detail, at: clock.now() }),
          (error: unknown) =>
            dispatch({
              type: 'identity-observed',
              token: effect.token,
              identity: 'unknown',
              detail: String(error),
              at: clock.now(),
            }),
        );
        return;
      case 'probe-reachability':
        void options.probeReachability().then(
          ({ peer, clusterSlot }) =>
            dispatch({ type: 'reachability', token: effect.token, peer, clusterSlot, at: clock.now() }),
          () =>
            dispatch({ type: 'reachability', token: effect.token, peer: false, clusterSlot: null, at: clock.now() }),
        );
        return;
    }
  };

  // The step that ran last, settled or not. A step that outlived its time limit is reported
  // failed at once (the machine moves on), but the next step starts only once it has ended:
  // a retried set-identity must never run beside the one that hung. Every executor call has
  // its own deadline (commands are killed, RPC and etcd calls time out), so this wait is short.
  let lastExecution: Promise<void> = Promise.resolve();

  const runStep = async (token: number, step: PlanStep<AgentAction>, attempt: number): Promise<void> => {
    const previous = lastExecution;
    let finished: () => void = () => undefined;
    lastExecution = new Promise((resolve) => (finished = resolve));
    await previous;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<StepOutcome>((resolve) => {
      timer = clock.setTimeout(
        () => resolve({ ok: false, detail: `${stepName(step.action)} timed out after ${step.timeoutMs} ms` }),
        step.timeoutMs,
      );
    });
    const execution = options.executeStep(step, attempt, changeCarried).catch((error: unknown): StepOutcome => ({
      ok: false,
      detail: `${stepName(step.action)} threw: ${(error as Error).message}`,
    }));
    void execution.finally(finished);
    const result = await Promise.race([execution, timedOut]);
    if (timer !== undefined) clock.clearTimeout(timer);
    const { towerStale, ...plain } = result;
    dispatch({
      type: 'step-result',
      token,
      result: plain as StepResult,
      ...(towerStale ? { towerStale } : {}),
      at: clock.now(),
    });
  };

  const tick = (): void => {
    if (!running) return;
    dispatch({ type: 'watchdog-tick', at: clock.now() });
    options.onTick?.();
    watchdog = clock.setTimeout(tick, intervalMs);
  };

  return {
    role: () => state.status,
    request(action, skipIdentity, minTowerSlot, minVoteHistorySlot, context, carried) {
      const requestId = String(++nextRequestId);
      const answered = new Promise<AgentResponse>((resolve) => waiting.set(requestId, resolve));
      const at = clock.now();
      const told = context === undefined ? {} : { context };
      // Set before the event, since the change's first step may start within it; put back when
      // the request started nothing (busy, or the role it asks for is already held).
      const before = { carried: changeCarried, changing: isChanging(state) };
      changeCarried = carried;
      dispatch(
        action === 'become_active'
          ? {
              type: 'become-active',
              requestId,
              skipIdentity,
              ...(minTowerSlot === undefined ? {} : { minTowerSlot }),
              ...(minVoteHistorySlot === undefined ? {} : { minVoteHistorySlot }),
              ...told,
              at,
            }
          : { type: 'become-passive', requestId, ...told, at },
      );
      if (before.changing || !isChanging(state)) changeCarried = before.carried;
      return answered;
    },
    alert: () =>
      state.alert === null ? null : `${state.alert.message} (at ${new Date(state.alert.at).toISOString()})`,
    heartbeat: () => dispatch({ type: 'manager-heartbeat', at: clock.now() }),
    towerFenced: (detail) => dispatch({ type: 'tower-fenced', detail, at: clock.now() }),
    lastHeartbeatAt: () => state.lastHeartbeatAt,
    start() {
      if (running) return;
      running = true;
      // The first tick at once: a passive start checks the validator's identity right away (S3).
      tick();
    },
    async stop() {
      running = false;
      if (watchdog !== undefined) clock.clearTimeout(watchdog);
      await idle;
      await lastExecution;
    },
  };
}

/**
 * Whether the validator may vote with the staked identity: a confirmed active, or an
 * unconfirmed one after a failed promotion. Both back their tower up while they may vote.
 */
export function holdsIdentity(role: Role): boolean {
  return role === 'active' || role === 'unconfirmed';
}

function isChanging(state: AgentState): boolean {
  return state.status === 'activating' || state.status === 'deactivating';
}
