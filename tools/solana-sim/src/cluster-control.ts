import type { ConsensusPhase } from './alpenglow';
import { speaksAlpenglow } from './alpenglow';
import type { ClusterState } from './cluster-state';
import {
  CLUSTER_PARTY,
  cutKey,
  distributeSlot,
  finalizedSlot,
  genesisSlot,
  phaseOf,
  setStandstill,
} from './cluster-state';
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
  readonly consensus: {
    readonly phase: ConsensusPhase;
    /** Slot the Alpenglow feature activated at, or null. */
    readonly activationSlot: number | null;
    /** Slot of the switch to Alpenglow (activation + migration slots), or null. */
    readonly genesisSlot: number | null;
    readonly finalizedSlot: number;
    readonly standstill: boolean;
    /** Vote pubkeys excluded by VAT. */
    readonly vatExcluded: readonly string[];
  };
}

function stringParam(params: unknown[], index: number, what: string): string {
  const value = params[index];
  if (typeof value !== 'string' || value === '') throw invalidParams(`${what} must be a non-empty string`);
  return value;
}

function onParam(params: unknown[], index: number, what: string): boolean {
  const value = params[index];
  if (typeof value !== 'boolean') throw invalidParams(`${what} must be true or false`);
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
 * landing, network cuts, a standstill, a VAT exclusion), Alpenglow's activation and the judge's
 * verdicts.
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
    case 'standstill':
      setStandstill(state, onParam(params, 0, 'standstill'));
      distributeSlot(state);
      return true;
    case 'vatExclude': {
      const votePubkey = stringParam(params, 0, 'vote account');
      const known = [...state.accounts.values()].some((a) => a.votePubkey === votePubkey);
      if (!known) throw invalidParams(`no vote account ${votePubkey} in this cluster`);
      if (onParam(params, 1, 'excluded')) state.consensus.vatExcluded.add(votePubkey);
      else state.consensus.vatExcluded.delete(votePubkey);
      return true;
    }
    case 'alpenglowActivate':
      return activateAlpenglow(state);
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

/** Creates the Alpenglow feature account, activated at the current slot; answers that slot. */
function activateAlpenglow(state: ClusterState): number {
  if (state.consensus.activationSlot !== null) {
    throw invalidParams(`the Alpenglow feature is already activated at slot ${state.consensus.activationSlot}`);
  }
  if (!speaksAlpenglow(state.config.version)) {
    throw invalidParams(
      `the cluster reports agave ${state.config.version}, which predates Alpenglow; start it with version 4.3.0 or later`,
    );
  }
  state.consensus.activationSlot = state.slot();
  distributeSlot(state);
  return state.consensus.activationSlot;
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
    consensus: {
      phase: phaseOf(state),
      activationSlot: state.consensus.activationSlot,
      genesisSlot: genesisSlot(state),
      finalizedSlot: finalizedSlot(state),
      standstill: state.consensus.standstill !== null,
      vatExcluded: [...state.consensus.vatExcluded],
    },
  };
}
