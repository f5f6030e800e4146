/**
 * The agent's two role changes as step lists the agent app executes one by one (see
 * `step-sequence` for how failures are handled). Each step maps to one configured command or
 * one local check; the app resolves templates, honours dry-run and reports each result.
 */
import type { PlanStep } from './step-sequence';

/** One thing the agent app does during a role change. */
export type AgentAction =
  /** `passive_identity_symlink_command`: a restart now comes up unstaked (S3). */
  | { readonly kind: 'passive-symlink' }
  /** `identity_remove_command`: `set-identity` to the unstaked keypair. */
  | { readonly kind: 'remove-identity' }
  /** `validator_restart_command`: the validator restarts on the symlink, i.e. unstaked. */
  | { readonly kind: 'restart-validator' }
  /** Local `getIdentity` no longer answers with the staked identity. */
  | { readonly kind: 'confirm-unstaked' }
  /** Back the tower up once more, now that it can no longer change. */
  | { readonly kind: 'final-tower-backup' }
  /** Delete the local tower file so a later promotion cannot start from it. */
  | { readonly kind: 'remove-tower-file' }
  /** Fetch the tower, verify sha256, pubkey and signature, refuse an older one, write it atomically. */
  | { readonly kind: 'restore-tower' }
  /** `identity_change_command`: `set-identity --require-tower` to the staked keypair. */
  | { readonly kind: 'set-identity' }
  /** `active_identity_symlink_command`: a restart now comes up staked. */
  | { readonly kind: 'active-symlink' }
  /** Local `getIdentity` answers with the staked identity. */
  | { readonly kind: 'confirm-identity' };

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
export const DEFAULT_AGENT_STEP_TIMEOUTS: AgentStepTimeouts = { commandMs: 30_000, restartMs: 120_000, towerMs: 30_000, checkMs: 5_000 };

/**
 * `become_passive`: passive symlink → remove identity (retried; on failure restart the
 * validator, which comes back unstaked through the symlink) → confirm → final tower backup
 * → remove tower file. The backup comes *after* the identity is gone, so it holds the last
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
      why: 'Stop voting with the staked identity (S1).',
      fallback: {
        action: { kind: 'restart-validator' },
        attempts: 1,
        timeoutMs: t.restartMs,
        onFailure: 'stop',
        why: 'set-identity did not answer; a restart comes up on the unstaked symlink target.',
      },
    },
    {
      action: { kind: 'confirm-unstaked' },
      attempts: 5,
      timeoutMs: t.checkMs,
      onFailure: 'stop',
      why: 'Claim passive only when the validator itself says so.',
    },
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
      why: 'A stale tower left behind must never be the base of a later promotion here.',
    },
  ];
}

/**
 * `become_active`: restore tower → set-identity → active symlink → confirm `getIdentity`.
 * A failure undoes what may have happened, latest first: symlink back to passive, then
 * identity removed (set-identity may have switched before it failed). With `skipIdentity`
 * (secure mode) only the tower is restored; the manager pushes the identity over SSH.
 */
export function becomeActiveSteps(skipIdentity: boolean, timeouts: Partial<AgentStepTimeouts> = {}): PlanStep<AgentAction>[] {
  const t = { ...DEFAULT_AGENT_STEP_TIMEOUTS, ...timeouts };
  const restore: PlanStep<AgentAction> = {
    action: { kind: 'restore-tower' },
    attempts: 2,
    timeoutMs: t.towerMs,
    onFailure: 'stop',
    why: 'set-identity --require-tower needs the newest tower on disk (S2).',
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
      undo: [{ action: { kind: 'remove-identity' }, attempts: 3, timeoutMs: t.commandMs, onFailure: 'stop', why: 'Give the staked identity up again.' }],
      undoIfFailed: true,
    },
    {
      action: { kind: 'active-symlink' },
      attempts: 2,
      timeoutMs: t.commandMs,
      onFailure: 'stop',
      why: 'A restart must keep the staked identity only while this node is the holder (S3).',
      undo: [{ action: { kind: 'passive-symlink' }, attempts: 3, timeoutMs: t.commandMs, onFailure: 'stop', why: 'Point the symlink back at the unstaked keypair.' }],
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
