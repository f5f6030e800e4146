import type { ClusterState } from './cluster-state';
import { CLUSTER_PARTY, cutKey, distributeSlot } from './cluster-state';
import { invalidParams, methodNotFound } from './internal/json-rpc';

/** A snapshot of the cluster for tests, the CLI and the benchmark. */
export interface ClusterStatus {
  readonly slot: number;
  readonly ticks: { readonly count: number; readonly maxLateMs: number; readonly meanLateMs: number };
  readonly validators: readonly {
    readonly name: string;
    readonly ip: string;
    readonly identity: string;
    readonly replayedSlot: number;
    readonly behind: number;
    readonly votesCut: boolean;
  }[];
  readonly cuts: readonly string[];
}

function stringParam(params: unknown[], index: number, what: string): string {
  const value = params[index];
  if (typeof value !== 'string' || value === '') throw invalidParams(`${what} must be a non-empty string`);
  return value;
}

function parties(params: unknown[]): [string, string] {
  const a = stringParam(params, 0, 'party a');
  const b = stringParam(params, 1, 'party b');
  // The simulator carries only the traffic between validators and the cluster (turbine,
  // votes); a cut between two validators would change nothing it models.
  if ((a === CLUSTER_PARTY) === (b === CLUSTER_PARTY)) {
    throw invalidParams(`cut/heal needs one validator and '${CLUSTER_PARTY}', got '${a}' and '${b}'`);
  }
  return [a, b];
}

/**
 * The simulator's own JSON-RPC methods on `/sim`: faults carried by the cluster (lag, votes not
 * landing, network cuts) and the judge's verdicts.
 */
export function handleControl(state: ClusterState, method: string, params: unknown[]): unknown {
  switch (method) {
    case 'status':
      return status(state);
    case 'violations':
      return state.judge.violations();
    case 'gaps':
      return state.judge.gaps(stringParam(params, 0, 'identity'), { slot: state.slot(), timeMs: state.now() });
    case 'votes':
      return state.judge.votes(typeof params[0] === 'string' ? params[0] : undefined);
    case 'cut':
    case 'heal': {
      const [a, b] = parties(params);
      if (method === 'cut') state.cuts.add(cutKey(a, b));
      else state.cuts.delete(cutKey(a, b));
      distributeSlot(state);
      return true;
    }
    case 'fallBehind': {
      const name = stringParam(params, 0, 'validator');
      const slots = params[1];
      if (typeof slots !== 'number' || !Number.isInteger(slots) || slots < 0)
        throw invalidParams('slots must be an integer >= 0');
      state.behind.set(name, slots);
      distributeSlot(state);
      return true;
    }
    case 'freezeBackendVotes': {
      const name = stringParam(params, 0, 'backend');
      const frozenVotes =
        params[1] === true
          ? new Map(
              [...state.accounts.values()].map((a) => [a.nodePubkey, { lastVote: a.lastVote, rootSlot: a.rootSlot }]),
            )
          : null;
      state.backends.set(name, { frozenVotes });
      return true;
    }
    case 'cutVotes': {
      const name = stringParam(params, 0, 'validator');
      if (params[1] === true) state.votesCut.add(name);
      else state.votesCut.delete(name);
      return true;
    }
    default:
      throw methodNotFound();
  }
}

function status(state: ClusterState): ClusterStatus {
  const tip = state.slot();
  return {
    slot: tip,
    ticks: {
      count: state.ticks.count,
      maxLateMs: state.ticks.maxLateMs,
      meanLateMs: state.ticks.count === 0 ? 0 : state.ticks.totalLateMs / state.ticks.count,
    },
    validators: [...state.linked.entries()].map(([name, linked]) => ({
      name,
      ip: linked.node.ip,
      identity: linked.node.identity,
      replayedSlot: linked.sentSlot,
      behind: state.behind.get(name) ?? 0,
      votesCut: state.votesCut.has(name),
    })),
    cuts: [...state.cuts],
  };
}
