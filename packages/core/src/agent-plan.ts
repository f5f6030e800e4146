/**
 * The agent's two role changes as step lists the agent app executes one by one (see
 * `step-sequence` for how failures are handled). Each step maps to one configured command or
 * one local check; the app resolves templates, honours dry-run and reports each result.
 */
import type { HookAction } from './agent-hooks';
import type { PlanStep } from './step-sequence';

/** One thing the agent app does during a role change. */
export type AgentAction =
  /** `passive_identity_symlink_command`: a restart now comes up unstaked (S3). */
  | { readonly kind: 'passive-symlink' }
  /** `identity_remove_command`: `set-identity` to the unstaked keypair. */
  | { readonly kind: 'remove-identity' }
  /** `validator_restart_command`: the validator restarts on the symlink, i.e. unstaked. */
  | { readonly kind: 'restart-validator' }
  /**
   * The validator no longer runs the staked identity: its own answer says so, or it is not
   * running and the identity symlink names an unstaked keypair (see {@link judgeUnstaked}).
   */
  | { readonly kind: 'confirm-unstaked' }
  /** Back the tower up once more, now that it can no longer change. */
  | { readonly kind: 'final-tower-backup' }
  /**
   * Take the local tower file (and vote history) away from where a later promotion reads it.
   * Deleted once the final backup holds its votes; with `keepAside`, renamed beside it with the
   * reason and the time in its name instead: the step-down of a node that is not the holder,
   * whose file may hold the only copy of votes the store lacks.
   */
  | { readonly kind: 'remove-tower-file'; readonly keepAside?: TowerSetAsideReason }
  /**
   * Fetch the tower, verify sha256, pubkey and signature, refuse an older one, write it
   * atomically. With `minTowerSlot`, refuse before writing anything unless the tower to be
   * restored (backup, or the newer tower already on disk) voted at that slot or later (S2).
   * The Alpenglow vote history, when one was backed up or is on disk, is restored and verified
   * the same way, against `minVoteHistorySlot` when given.
   */
  | { readonly kind: 'restore-tower'; readonly minTowerSlot?: number; readonly minVoteHistorySlot?: number }
  /** `identity_change_command`: `set-identity --require-tower` to the staked keypair. */
  | { readonly kind: 'set-identity' }
  /** `active_identity_symlink_command`: a restart now comes up staked. */
  | { readonly kind: 'active-symlink' }
  /** Local `getIdentity` answers with the staked identity. */
  | { readonly kind: 'confirm-identity' }
  /** One of the operator's hooks (`pre_promote`, `post_demote`, …); see `agent-hooks`. */
  | HookAction;

/** A step's name in answers and logs: the hook's own name (`pre_promote`) for a hook. */
export function stepName(action: AgentAction): string {
  return action.kind === 'hook' ? action.hook : action.kind;
}

/** Why a step-down keeps the tower aside: a fenced backup, or a staked validator found behind a passive agent (S3). */
export type TowerSetAsideReason = (typeof TOWER_SET_ASIDE_REASONS)[number];

/** Every {@link TowerSetAsideReason}, as they appear in the names of the files kept aside. */
export const TOWER_SET_ASIDE_REASONS = ['fenced', 'stray-identity'] as const;

/** Per-step time limits of the agent's role changes. */
export interface AgentStepTimeouts {
  /** A single shell command (symlink, set-identity). @default 30000 */
  readonly commandMs: number;
  /** The validator restart command, which returns once the service manager accepted it. @default 120000 */
  readonly restartMs: number;
  /** A tower backup or restore against the tower store. @default 30000 */
  readonly towerMs: number;
  /** One local `getIdentity` check. @default 5000 */
  readonly checkMs: number;
}

/** The defaults of {@link AgentStepTimeouts}. */
export const DEFAULT_AGENT_STEP_TIMEOUTS: AgentStepTimeouts = {
  commandMs: 30_000,
  restartMs: 120_000,
  towerMs: 30_000,
  checkMs: 5_000,
};

/**
 * `become_passive`: passive symlink → remove identity (retried; on failure restart the
 * validator, which comes back unstaked through the symlink) → confirm → final tower backup
 * → remove tower file (kept by the agent while a failed final backup is retried, chaos F4). The backup comes *after* the identity is gone, so it holds the last
 * vote. Nothing is undone on failure: a half-demoted node keeps claiming active, which is
 * the answer that can never produce a second voter.
 */
export function becomePassiveSteps(timeouts: Partial<AgentStepTimeouts> = {}): PlanStep<AgentAction>[] {
  const t = { ...DEFAULT_AGENT_STEP_TIMEOUTS, ...timeouts };
  return [
    {
      action: { kind: 'passive-symlink' },
      attempts: 2,
      timeoutMs: t.commandMs,
      onFailure: 'stop',
      why: 'Without it a restart after promotion elsewhere would bring the staked identity back here (S3); stay active rather than half-demote.',
    },
    {
      action: { kind: 'remove-identity' },
      attempts: 3,
      timeoutMs: t.commandMs,
      onFailure: 'stop',
      why:
        'Stop voting with the staked identity (S1). Not run while the validator process is not running (set-identity needs its admin socket): ' +
        'a validator not running after the passive symlink step can only start on the keypair the symlink names. When that is an unstaked one, the step passes ' +
        'and the validator is restarted in the background once the demotion is confirmed, so the promotion elsewhere never waits for it to boot; ' +
        'when the symlink cannot be read, the attempts fail at once and the restart fallback runs.',
      fallback: {
        action: { kind: 'restart-validator' },
        attempts: 1,
        timeoutMs: t.restartMs,
        onFailure: 'stop',
        why: 'set-identity did not answer or the validator is not running; a restart comes up on the unstaked symlink target.',
      },
    },
    confirmUnstakedStep(t),
    {
      action: { kind: 'final-tower-backup' },
      attempts: 2,
      timeoutMs: t.towerMs,
      onFailure: 'continue',
      why: "Carry the last vote to the next holder (S2); the manager's final-tower-backup step refuses to promote without it.",
    },
    {
      action: { kind: 'remove-tower-file' },
      attempts: 2,
      timeoutMs: t.commandMs,
      onFailure: 'continue',
      why:
        'A stale tower left behind must never be the base of a later promotion here. Kept when the final backup failed: it then holds the only copy of the last votes (S2); ' +
        'the agent retries the backup while passive and removes the file once it lands.',
    },
  ];
}

/**
 * `become_active`: restore tower → set-identity → active symlink → confirm `getIdentity`.
 * A failure undoes what may have happened, latest first: symlink back to passive, then
 * identity removed (set-identity may have switched before it failed). With `skipIdentity`
 * (secure mode) only the tower is restored; the manager pushes the identity over SSH.
 */
export function becomeActiveSteps(
  skipIdentity: boolean,
  timeouts: Partial<AgentStepTimeouts> = {},
  minTowerSlot?: number,
  minVoteHistorySlot?: number,
): PlanStep<AgentAction>[] {
  const t = { ...DEFAULT_AGENT_STEP_TIMEOUTS, ...timeouts };
  const restore: PlanStep<AgentAction> = {
    action: {
      kind: 'restore-tower',
      ...(minTowerSlot === undefined ? {} : { minTowerSlot }),
      ...(minVoteHistorySlot === undefined ? {} : { minVoteHistorySlot }),
    },
    attempts: 2,
    timeoutMs: t.towerMs,
    onFailure: 'stop',
    why: "set-identity --require-tower needs the newest tower on disk (S2). A tower that ends below the request's min_tower_slot (the vote account's last vote) is refused before anything changes: it lacks lockouts the identity already voted under.",
  };
  if (skipIdentity) return [restore];
  return [
    restore,
    {
      action: { kind: 'set-identity' },
      attempts: 2,
      timeoutMs: t.commandMs,
      onFailure: 'stop',
      why: 'Start voting with the staked identity.',
      undo: [
        {
          action: { kind: 'remove-identity' },
          attempts: 3,
          timeoutMs: t.commandMs,
          onFailure: 'stop',
          why: 'Give the staked identity up again.',
        },
      ],
      undoIfFailed: true,
    },
    {
      action: { kind: 'active-symlink' },
      attempts: 2,
      timeoutMs: t.commandMs,
      onFailure: 'stop',
      why: 'A restart must keep the staked identity only while this node is the holder (S3).',
      undo: [
        {
          action: { kind: 'passive-symlink' },
          attempts: 3,
          timeoutMs: t.commandMs,
          onFailure: 'stop',
          why: 'Point the symlink back at the unstaked keypair.',
        },
      ],
      undoIfFailed: true,
    },
    {
      action: { kind: 'confirm-identity' },
      attempts: 5,
      timeoutMs: t.checkMs,
      onFailure: 'stop',
      why: 'Claim active only when the validator itself answers with the staked identity.',
    },
  ];
}

function confirmUnstakedStep(t: AgentStepTimeouts): PlanStep<AgentAction> {
  return {
    action: { kind: 'confirm-unstaked' },
    attempts: 5,
    timeoutMs: t.checkMs,
    onFailure: 'stop',
    why:
      'Claim passive only when the validator itself says so, or when it is not running and the identity symlink names an unstaked keypair: ' +
      'a crashed or restarting validator cannot answer getIdentity, but it can only come back on what the symlink names, ' +
      'and the passive-identity guard demotes it should it come back staked anyway.',
  };
}

/**
 * Demotion of a validator that is not the holder: found running the staked identity while
 * this node is a settled passive (S3: a restart on a stale symlink, or set-identity run by
 * hand), or active while the tower store shows another holder (a fenced backup). Like
 * `becomePassiveSteps`, but the tower is not backed up: this node is not the holder, and its
 * tower must never replace the holder's backup. Its tower file is renamed aside so a later
 * promotion here cannot start from it; not deleted, since nothing else may hold its votes: a
 * fenced backup may have been refused by an older tower another writer put into the store.
 */
export function demoteStrayIdentitySteps(
  reason: TowerSetAsideReason,
  timeouts: Partial<AgentStepTimeouts> = {},
): PlanStep<AgentAction>[] {
  const [symlink, remove, confirm] = becomePassiveSteps(timeouts);
  const t = { ...DEFAULT_AGENT_STEP_TIMEOUTS, ...timeouts };
  const keepAside: PlanStep<AgentAction> = {
    action: { kind: 'remove-tower-file', keepAside: reason },
    attempts: 2,
    timeoutMs: t.commandMs,
    onFailure: 'continue',
    why:
      'A tower left in place must never be the base of a later promotion here, and it must not be lost either: it may hold votes no backup has (S2). ' +
      'Renamed beside it, named by the reason and the time, for an operator to put back.',
  };
  return [symlink, remove, confirm, keepAside].filter((step): step is PlanStep<AgentAction> => step !== undefined);
}

/** Overall time limits of the agent's role changes, beside each step's own limit. */
export interface RoleChangeDeadlines {
  /** `become_passive`: past it the change stops where it is and the node stays active. */
  readonly becomePassiveMs: number;
  /**
   * `become_active`: past it no further forward step starts and what was done is undone;
   * the undo has its own step limits (at most 6 command limits).
   */
  readonly becomeActiveMs: number;
}

/**
 * The deadlines derived from the step limits, `command_timeout` above all. `become_passive`
 * gets 4 command limits, the restart and 2 tower limits: room for a hung set-identity's 3
 * attempts, the restart fallback and the final backup. `become_active` gets 3 command limits
 * and 2 tower limits for its forward steps; its undo may add 6 command limits. At the
 * defaults (60s commands) that is 7m and 4m (10m with the undo), inside the manager's default
 * demote (11m) and promote (12m) step limits: the manager never gives up on an agent that is
 * still changing its role.
 */
export function roleChangeDeadlines(timeouts: Partial<AgentStepTimeouts> = {}): RoleChangeDeadlines {
  const t = { ...DEFAULT_AGENT_STEP_TIMEOUTS, ...timeouts };
  return {
    becomePassiveMs: 4 * t.commandMs + t.restartMs + 2 * t.towerMs,
    becomeActiveMs: 3 * t.commandMs + 2 * t.towerMs,
  };
}

/** What the agent knows about the validator when it confirms a demotion. */
export interface UnstakedEvidence {
  /** The validator's own answer (`getIdentity` or `identity_check_command`). */
  readonly identity: { readonly ok: true; readonly pubkey: string } | { readonly ok: false; readonly error: string };
  /** Whether the validator process runs; null when the probe failed. */
  readonly processRunning: boolean | null;
  /** Pubkey of the keypair the identity symlink points at; null when not configured or unreadable. */
  readonly symlinkPubkey: string | null;
}

/** The verdict of {@link judgeUnstaked}. */
export type UnstakedVerdict =
  | { readonly confirmed: true; readonly how: 'validator-answer' | 'down-on-unstaked-symlink' }
  | { readonly confirmed: false; readonly detail: string };

/**
 * Whether a demotion is confirmed. The validator's own answer decides when it gives one. A
 * validator that is not running cannot vote, and when it starts it loads whatever the identity
 * symlink names; when that keypair is not the staked one (compared by pubkey: a path can lie),
 * the demotion holds. A process that runs but does not answer proves nothing.
 */
export function judgeUnstaked(evidence: UnstakedEvidence, stakedIdentity: string): UnstakedVerdict {
  const { identity } = evidence;
  if (identity.ok) {
    return identity.pubkey === stakedIdentity
      ? { confirmed: false, detail: `the validator still runs the staked identity ${stakedIdentity}` }
      : { confirmed: true, how: 'validator-answer' };
  }
  if (
    evidence.processRunning === false &&
    evidence.symlinkPubkey !== null &&
    evidence.symlinkPubkey !== stakedIdentity
  ) {
    return { confirmed: true, how: 'down-on-unstaked-symlink' };
  }
  const why =
    evidence.processRunning === true
      ? 'its process runs'
      : evidence.processRunning === null
        ? 'its process state is unknown'
        : evidence.symlinkPubkey === null
          ? 'it is not running, but the identity symlink (identity_symlink_path) is not configured or not readable'
          : 'it is not running, but the identity symlink names the staked keypair';
  return { confirmed: false, detail: `cannot read the validator's identity (${identity.error}); ${why}` };
}
