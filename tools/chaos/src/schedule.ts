/**
 * The fault catalogue and the schedule of one trial, drawn from its seed. Pure: the same seed
 * and options give the same schedule, which is printed before the trial runs so a failure can
 * be read and replayed. Targets are roles (`active`, `passive`), resolved to a machine when
 * the fault is injected, because which machine is active depends on the faults before it.
 */
import { FENCING_KINDS, describeScenario, planFencing, type FencingKind, type FencingScenario } from './fencing-plans';
import {
  ALPENGLOW_KINDS,
  describeAlpenglow,
  planAlpenglow,
  type AlpenglowKind,
  type AlpenglowScenario,
} from './alpenglow-plans';
import { GUARD_KINDS, describeGuard, planGuard, type GuardKind, type GuardScenario } from './guard-plans';
import { createRng } from './prng';

/** Which node a fault hits, by its role at the moment of injection. */
export type Role = 'active' | 'passive';

/** One fault the campaign can inject; each is undone by the heal that follows it. */
export type Fault =
  | { readonly kind: 'validator-kill'; readonly target: Role }
  | { readonly kind: 'validator-stop'; readonly target: Role }
  | { readonly kind: 'validator-restart'; readonly target: Role }
  | { readonly kind: 'agent-kill'; readonly target: Role }
  | { readonly kind: 'agent-stop'; readonly target: Role }
  | { readonly kind: 'manager-kill' }
  | { readonly kind: 'manager-stop' }
  | { readonly kind: 'cut-manager-active' }
  | { readonly kind: 'isolate-active' }
  | { readonly kind: 'cut-agent-etcd'; readonly target: Role }
  | { readonly kind: 'etcd-member-loss' }
  | { readonly kind: 'etcd-quorum-loss' }
  | { readonly kind: 'set-identity-slow'; readonly target: Role; readonly delayMs: number }
  | { readonly kind: 'set-identity-fail'; readonly target: Role }
  | { readonly kind: 'rpc-unhealthy'; readonly target: Role }
  | { readonly kind: 'telegram-down' };

/** The name of a fault class. */
export type FaultKind = Fault['kind'];

/** Every fault class, in the order the schedule draws from. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'validator-kill',
  'validator-stop',
  'validator-restart',
  'agent-kill',
  'agent-stop',
  'manager-kill',
  'manager-stop',
  'cut-manager-active',
  'isolate-active',
  'cut-agent-etcd',
  'etcd-member-loss',
  'etcd-quorum-loss',
  'set-identity-slow',
  'set-identity-fail',
  'rpc-unhealthy',
  'telegram-down',
];

/**
 * Every class a run can draw from: the faults above, injected at random times, and the
 * scripted classes — the fencing classes (`fencing-plans.ts`), those of issue 11
 * (`guard-plans.ts`) and the Alpenglow ones (`alpenglow-plans.ts`) — each a trial of its own. A new class is a name in one of the lists and
 * its case where that list is handled.
 */
export type ChaosClass = FaultKind | FencingKind | GuardKind | AlpenglowKind;

/** Every class, faults first. */
export const CHAOS_CLASSES: readonly ChaosClass[] = [
  ...FAULT_KINDS,
  ...FENCING_KINDS,
  ...GUARD_KINDS,
  ...ALPENGLOW_KINDS,
];

/** A scripted class's script and parameters. */
export type Scenario = FencingScenario | GuardScenario | AlpenglowScenario;

/** Whether `kind` is a scripted fencing class. */
export function isFencingKind(kind: string): kind is FencingKind {
  return (FENCING_KINDS as readonly string[]).includes(kind);
}

/** Whether `kind` is a scripted class of issue 11. */
export function isGuardKind(kind: string): kind is GuardKind {
  return (GUARD_KINDS as readonly string[]).includes(kind);
}

/** Whether `kind` is a scripted Alpenglow class. */
export function isAlpenglowKind(kind: string): kind is AlpenglowKind {
  return (ALPENGLOW_KINDS as readonly string[]).includes(kind);
}

/** Whether `scenario` is a script of the Alpenglow classes. */
export function isAlpenglowScenario(scenario: Scenario): scenario is AlpenglowScenario {
  return isAlpenglowKind(scenario.kind);
}

/** Whether `scenario` is a script of issue 11's classes. */
export function isGuardScenario(scenario: Scenario): scenario is GuardScenario {
  return isGuardKind(scenario.kind);
}

/** Faults that happen at one instant and need no heal. */
const INSTANT: ReadonlySet<FaultKind> = new Set(['validator-restart']);

/** A fault at a time of the trial's fault window. */
export interface ScheduledFault {
  readonly fault: Fault;
  /** ms after the fault window opens. */
  readonly atMs: number;
  /** ms after the window opens when it is healed; null for an instant fault. */
  readonly healAtMs: number | null;
}

/** A trial's schedule. */
export interface Schedule {
  readonly seed: number;
  readonly faults: readonly ScheduledFault[];
  /** Everything still faulted is healed at this ms of the window. */
  readonly windowMs: number;
  /** A scripted class's script, instead of faults. */
  readonly scenario?: Scenario;
}

/** Length of a trial's fault window unless given. */
export const DEFAULT_WINDOW_MS = 12_000;

/** Options of {@link planSchedule}. */
export interface ScheduleOptions {
  /** Length of the fault window; @default {@link DEFAULT_WINDOW_MS} */
  readonly windowMs?: number;
  /** Classes to draw from; @default {@link FAULT_KINDS} */
  readonly kinds?: readonly ChaosClass[];
  /** Most faults per trial (at least one); @default 3 */
  readonly maxFaults?: number;
}

/**
 * Draws a trial's schedule from its seed: 1 to `maxFaults` faults, in time order. With
 * scripted classes among `kinds`, the seed first picks one class of `kinds`: a scripted class
 * is the trial's script, alone; a fault class draws the faults as without scripted classes. A
 * list of fault classes only draws exactly as before scripted classes existed, so their seeds
 * replay.
 */
export function planSchedule(seed: number, options: ScheduleOptions = {}): Schedule {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const all = options.kinds ?? FAULT_KINDS;
  if (all.length === 0) throw new RangeError('the campaign needs at least one fault class');
  const kinds = all.filter((k): k is FaultKind => !isFencingKind(k) && !isGuardKind(k) && !isAlpenglowKind(k));
  if (kinds.length < all.length) {
    const rng = createRng(seed);
    const picked = rng.pick(all);
    if (isFencingKind(picked)) return { seed, faults: [], windowMs, scenario: planFencing(picked, rng) };
    if (isGuardKind(picked)) return { seed, faults: [], windowMs, scenario: planGuard(picked, rng) };
    if (isAlpenglowKind(picked)) return { seed, faults: [], windowMs, scenario: planAlpenglow(picked, rng) };
  }
  const rng = createRng(seed);
  const count = rng.int(1, Math.max(1, options.maxFaults ?? 3));
  const faults: ScheduledFault[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = rng.pick(kinds);
    const target: Role = rng.chance(0.7) ? 'active' : 'passive';
    const fault = makeFault(kind, target, rng.int(1, 8) * 500);
    // Faults start in the first half of the window and last 1-8 s, so most overlap and the
    // system has time to react to each before the final heal.
    const atMs = rng.int(0, Math.floor(windowMs / 2 / 100)) * 100;
    const lastsMs = rng.int(10, 80) * 100;
    faults.push({ fault, atMs, healAtMs: INSTANT.has(kind) ? null : Math.min(windowMs, atMs + lastsMs) });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { seed, faults, windowMs };
}

function makeFault(kind: FaultKind, target: Role, delayMs: number): Fault {
  switch (kind) {
    case 'manager-kill':
    case 'manager-stop':
    case 'cut-manager-active':
    case 'isolate-active':
    case 'etcd-member-loss':
    case 'etcd-quorum-loss':
    case 'telegram-down':
      return { kind };
    case 'set-identity-slow':
      return { kind, target, delayMs };
    default:
      return { kind, target };
  }
}

/** A fault as one short phrase, e.g. `validator-kill(active)`, `set-identity-slow(passive,2000ms)`. */
export function describeFault(fault: Fault): string {
  if (fault.kind === 'set-identity-slow') return `${fault.kind}(${fault.target},${fault.delayMs}ms)`;
  return 'target' in fault ? `${fault.kind}(${fault.target})` : fault.kind;
}

/** The schedule as lines, e.g. `+1200ms validator-kill(active) healed +5400ms`. */
export function describeSchedule(schedule: Schedule): string[] {
  const scenario = schedule.scenario;
  if (scenario !== undefined)
    return [
      isGuardScenario(scenario)
        ? describeGuard(scenario)
        : isAlpenglowScenario(scenario)
          ? describeAlpenglow(scenario)
          : describeScenario(scenario),
    ];
  return schedule.faults.map(
    (s) => `+${s.atMs}ms ${describeFault(s.fault)}${s.healAtMs === null ? ' (instant)' : ` healed +${s.healAtMs}ms`}`,
  );
}
