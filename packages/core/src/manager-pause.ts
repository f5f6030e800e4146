/**
 * Maintenance mode: an operator pauses the manager (`failover-manager pause`), and until it is
 * resumed, or the pause given a duration expires, nothing automatic is started — no failover, no
 * recovery. Heartbeats, alerts and status go on. The pause is journaled before it is answered, so
 * it survives a restart and a change of leader (`manager-restore` reads it back).
 *
 * Two things still run while paused, both in `manager-machine`: the fence of a node that claims
 * the identity next to the recorded holder, since two voters is the one thing worse than an
 * untimely action (S1 outranks the pause); and a plan a previous run left half done, since the
 * pair may be between its steps with nobody voting (L2).
 */
import type { BlockCause } from './events';
import type { JournaledPause } from './manager-journal';
import { journal, notify } from './manager-outcomes';
import type {
  ManagerEffect,
  ManagerEvent,
  ManagerState,
  ManagerStep,
  PauseAnswer,
  PauseRefusal,
} from './manager-state';

/** The hold a wanted failover or recovery gets while `pause` is in force. */
export function pausedCause(pause: JournaledPause): BlockCause {
  return { kind: 'paused', reason: pause.reason, until: pause.until };
}

/**
 * Pauses automatic failover, or replaces the pause in force (a new reason, a new end). Refused
 * while the journal cannot be written: a pause that a restart would forget is not promised.
 */
export function requestPause(
  state: ManagerState,
  event: Extract<ManagerEvent, { type: 'pause-requested' }>,
): ManagerStep {
  if (state.journalFailure !== null)
    return refuse(state, event.requestId, { kind: 'journal-unwritable', detail: state.journalFailure });
  const pause: JournaledPause = {
    reason: event.reason,
    at: event.at,
    term: state.term,
    until: event.forMs === null ? null : event.at + event.forMs,
  };
  // A hold already reported under the pause keeps its key; it now names this pause.
  const hold = state.hold?.kind === 'paused' ? pausedCause(pause) : state.hold;
  const answer: PauseAnswer = { accepted: true, pause, ended: state.pause };
  return {
    state: { ...state, pause, pauseBefore: state.pause, hold },
    effects: [
      journal([{ kind: 'paused', at: event.at, term: state.term, reason: pause.reason, until: pause.until }]),
      {
        kind: 'log',
        level: 'warn',
        message: `paused: no automatic failover or recovery ${pause.until === null ? 'until resumed' : `until ${new Date(pause.until).toISOString()}`}`,
        fields: { reason: pause.reason, requestId: event.requestId },
      },
      notify({ type: 'paused', at: event.at, reason: pause.reason, until: pause.until }),
      { kind: 'pause-answer', requestId: event.requestId, answer },
    ],
  };
}

/** Ends the pause at an operator's request; refused when nothing is paused or the journal is unwritable. */
export function requestResume(
  state: ManagerState,
  event: Extract<ManagerEvent, { type: 'resume-requested' }>,
): ManagerStep {
  if (state.journalFailure !== null)
    return refuse(state, event.requestId, { kind: 'journal-unwritable', detail: state.journalFailure });
  const { pause } = state;
  if (pause === null) return refuse(state, event.requestId, { kind: 'not-paused' });
  const ended = endPause(state, pause, 'operator', event.reason, event.at);
  const answer: PauseAnswer = { accepted: true, pause: null, ended: pause };
  return {
    state: ended.state,
    effects: [...ended.effects, { kind: 'pause-answer', requestId: event.requestId, answer }],
  };
}

/** The pause given a duration ends at the first heartbeat at or after its end; null while it holds. */
export function expirePause(state: ManagerState, at: number): ManagerStep | null {
  const { pause } = state;
  if (pause === null || pause.until === null || at < pause.until) return null;
  return endPause(state, pause, 'expired', null, at);
}

/**
 * Arms automatic failover again. A hold reported under the pause is cleared without an
 * `unblocked` message: the `resumed` one says it, and the next heartbeat decides afresh.
 */
function endPause(
  state: ManagerState,
  pause: JournaledPause,
  reason: 'operator' | 'expired',
  text: string | null,
  at: number,
): ManagerStep {
  const hold = state.hold?.kind === 'paused' ? null : state.hold;
  return {
    state: { ...state, pause: null, pauseBefore: pause, hold },
    effects: [
      journal([{ kind: 'resumed', at, term: state.term, reason }]),
      {
        kind: 'log',
        level: 'info',
        message:
          reason === 'expired'
            ? 'the pause expired; automatic failover armed again'
            : 'resumed; automatic failover armed again',
        fields: { pausedAt: pause.at, pauseReason: pause.reason, ...(text === null ? {} : { reason: text }) },
      },
      notify({ type: 'resumed', at, reason, text, pausedAt: pause.at }),
    ],
  };
}

function refuse(state: ManagerState, requestId: string, refusal: PauseRefusal): ManagerStep {
  const effects: ManagerEffect[] = [
    { kind: 'log', level: 'warn', message: `pause or resume refused: ${refusal.kind}`, fields: { requestId, refusal } },
    { kind: 'pause-answer', requestId, answer: { accepted: false, refusal } },
  ];
  return { state, effects };
}
