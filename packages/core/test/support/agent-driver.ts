import type {
  AgentEffect,
  AgentEvent,
  AgentMachineConfig,
  AgentResponse,
  AgentState,
  ObservedIdentity,
  PeerAnswer,
  StepResult,
} from '@failover/core';
import { createAgentState, stepAgent, stepName } from '@failover/core';

/** What the driver answers to the machine's probes, as the app would. */
export interface DriverWorld {
  /** What an identity check reads. */
  identity: ObservedIdentity;
  /** Whether the peer agent answers a reachability probe. */
  peerReachable: boolean;
  /** Whether the cluster RPC answers a reachability probe, with a slot that advances 1 per 400 ms. */
  clusterReachable: boolean;
  /** The cluster RPC answers, but always with this slot (a stalled node's own RPC); null: it advances. */
  clusterStalledAt: number | null;
}

/**
 * Feeds events to the agent machine the way the app does and keeps every effect. Identity
 * checks and reachability probes are answered at once from `world` (the app answers them
 * asynchronously; their ordering against other events is tested separately).
 */
export class AgentDriver {
  state: AgentState;
  readonly effects: AgentEffect[] = [];
  now = 0;
  readonly world: DriverWorld = {
    identity: 'unstaked',
    peerReachable: false,
    clusterReachable: true,
    clusterStalledAt: null,
  };

  constructor(role: 'active' | 'passive', config: Partial<AgentMachineConfig> = {}) {
    this.state = createAgentState(role, 0, {
      managerTimeoutMs: 30_000,
      startupGraceMs: 60_000,
      peerCheckIntervalMs: 10_000,
      ...config,
    });
  }

  apply(event: AgentEvent): AgentEffect[] {
    const out = stepAgent(this.state, event);
    this.state = out.state;
    this.effects.push(...out.effects);
    const effects = [...out.effects];
    for (const effect of out.effects) {
      if (effect.kind === 'check-identity') {
        effects.push(
          ...this.apply({
            type: 'identity-observed',
            token: effect.token,
            identity: this.world.identity,
            detail: null,
            at: event.at,
          }),
        );
      }
      if (effect.kind === 'probe-reachability') {
        effects.push(
          ...this.apply({
            type: 'reachability',
            token: effect.token,
            peer: this.world.peerReachable,
            clusterSlot: !this.world.clusterReachable
              ? null
              : (this.world.clusterStalledAt ?? 1_000 + Math.floor(event.at / 400)),
            at: event.at,
          }),
        );
      }
    }
    return effects;
  }

  request(
    type: 'become-active' | 'become-passive',
    requestId = 'r1',
    skipIdentity = false,
    minTowerSlot?: number,
  ): AgentEffect[] {
    if (type === 'become-passive') return this.apply({ type, requestId, at: this.now });
    return this.apply({
      type,
      requestId,
      skipIdentity,
      ...(minTowerSlot === undefined ? {} : { minTowerSlot }),
      at: this.now,
    });
  }

  answer(result: StepResult): AgentEffect[] {
    if (this.state.status !== 'activating' && this.state.status !== 'deactivating')
      throw new Error('no role change running');
    this.now += 100;
    return this.apply({ type: 'step-result', token: this.state.transition.token, result, at: this.now });
  }

  /** Answers each step in turn from a script keyed by step name (default ok) until the change ends. */
  runAll(script: Record<string, StepResult[]> = {}): void {
    while (this.state.status === 'activating' || this.state.status === 'deactivating') {
      const name = stepName(this.state.transition.run.current.action);
      this.answer(script[name]?.shift() ?? { ok: true });
    }
  }

  tick(at: number): AgentEffect[] {
    this.now = at;
    return this.apply({ type: 'watchdog-tick', at });
  }

  at(ms: number): this {
    this.now = ms;
    return this;
  }

  steps(): string[] {
    return this.effects.flatMap((e) =>
      e.kind === 'run-step' ? [`${e.compensating ? 'undo:' : ''}${stepName(e.step.action)}`] : [],
    );
  }

  responses(): AgentResponse[] {
    return this.effects.flatMap((e) => (e.kind === 'respond' ? [e.response] : []));
  }

  logs(level: string): string[] {
    return this.effects.flatMap((e) => (e.kind === 'log' && e.level === level ? [e.message] : []));
  }

  peerQuestions(): number {
    return this.effects.filter((e) => e.kind === 'ask-peer').length;
  }

  peer(answer: PeerAnswer): AgentEffect[] {
    const token = this.state.peerQuestion;
    if (token === null) throw new Error('no peer question pending');
    return this.apply({ type: 'peer-answer', token, answer, detail: null, at: this.now });
  }
}

/** A failed step result. */
export const fail = (detail = 'exit 1'): StepResult => ({ ok: false, detail });
