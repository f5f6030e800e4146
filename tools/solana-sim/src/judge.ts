/**
 * The judge: every vote cast with a watched identity, and the two safety verdicts the whole
 * project is measured against (DESIGN §2, S1 and S2). Pure bookkeeping: callers pass the wall
 * time of each vote, so the rules can be tested without a cluster.
 */

/** One vote as the cluster received it. */
export interface VoteRecord {
  readonly identity: string;
  readonly slot: number;
  /** The cluster's tip when the vote arrived (equals `slot` for a caught-up voter). */
  readonly tipSlot: number;
  /** Name of the validator (machine) that cast it. */
  readonly validator: string;
  /** Wall time the cluster received it, in ms since the epoch. */
  readonly timeMs: number;
  /** False when the vote was cast but dropped on the way (votes cut, network cut). */
  readonly landed: boolean;
  /**
   * The consensus the vote was cast under; @default 'tower'. An Alpenglow vote has no lockout:
   * the only double vote is a second machine voting the same slot.
   */
  readonly consensus?: 'tower' | 'alpenglow';
}

/**
 * A safety violation. Consecutive offences of one kind by the same pair of validators are
 * merged into one entry (`count`, `firstSlot`, `lastSlot`) so a long overlap is one finding.
 */
export type Violation =
  | {
      readonly kind: 'double-vote';
      /**
       * `same-slot`: both machines voted on one slot (the one rule for Alpenglow votes);
       * `overlapping-time`: one machine kept voting (consecutive tower votes less than the window
       * apart) across a vote of the other.
       */
      readonly reason: 'same-slot' | 'overlapping-time';
      readonly identity: string;
      readonly validators: readonly [string, string];
      readonly firstSlot: number;
      readonly lastSlot: number;
      readonly firstTimeMs: number;
      readonly count: number;
    }
  | {
      readonly kind: 'lockout-violation';
      readonly identity: string;
      /** The validator that voted at or below the previous holder's last vote. */
      readonly validator: string;
      readonly previousValidator: string;
      readonly previousLastVote: number;
      readonly firstSlot: number;
      readonly lastSlot: number;
      readonly firstTimeMs: number;
      readonly count: number;
    };

/** A stretch without landed votes for one identity. */
export interface VotingGap {
  /** Slot of the last vote before the gap. */
  readonly fromSlot: number;
  /** Slot of the next landed vote, or null while the gap is still open. */
  readonly toSlot: number | null;
  /**
   * Cluster slots that passed with no vote landing (tip to tip, so a new holder that catches
   * up on old slots still shows the time nobody voted); 0 when votes came every slot.
   */
  readonly slots: number;
  readonly ms: number;
  readonly fromValidator: string;
  readonly toValidator: string | null;
}

/** Voting gaps of one identity; `handovers` are the gaps across a change of machine. */
export interface VotingGaps {
  readonly identity: string;
  readonly votes: number;
  readonly gaps: readonly VotingGap[];
  readonly largest: VotingGap | null;
  readonly handovers: readonly VotingGap[];
}

/** Options of {@link createJudge}. */
export interface JudgeOptions {
  /**
   * Continuity bound: a machine whose consecutive votes are less than this many ms apart was
   * voting throughout, so a vote of another machine between them means both held the identity
   * at once (a double vote even on different slots). A clean handover — the old holder's last
   * vote, then the new holder's first, however close — is not one: the old holder never votes
   * again. A few slots' time is right; one slot would miss a voter that skipped a slot.
   */
  readonly windowMs: number;
}

/** The judge's interface. */
export interface Judge {
  record(vote: VoteRecord): void;
  violations(): Violation[];
  /** Gaps of `identity`; `now` closes an open gap at the current slot and time. */
  gaps(identity: string, now?: { slot: number; timeMs: number }): VotingGaps;
  votes(identity?: string): VoteRecord[];
}

interface IdentityBook {
  readonly votes: VoteRecord[];
  readonly slotVoters: Map<number, Set<string>>;
  readonly lastByValidator: Map<string, VoteRecord>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Creates an empty judge. */
export function createJudge(options: JudgeOptions): Judge {
  const books = new Map<string, IdentityBook>();
  const found: Mutable<Violation>[] = [];
  const byKey = new Map<string, Mutable<Violation>>();

  const flag = (key: string, fresh: Violation, slot: number): void => {
    const existing = byKey.get(key);
    if (existing) {
      existing.count += 1;
      existing.lastSlot = Math.max(existing.lastSlot, slot);
      return;
    }
    const entry = { ...fresh } as Mutable<Violation>;
    byKey.set(key, entry);
    found.push(entry);
  };

  const bookOf = (identity: string): IdentityBook => {
    let book = books.get(identity);
    if (!book) {
      book = { votes: [], slotVoters: new Map(), lastByValidator: new Map() };
      books.set(identity, book);
    }
    return book;
  };

  const record = (vote: VoteRecord): void => {
    const book = bookOf(vote.identity);
    // Alpenglow votes per slot with no lockouts: equivocation is two votes for one slot; a new
    // holder voting slots the old one skipped, above or below its last vote, is not one.
    const isTower = (vote.consensus ?? 'tower') === 'tower';
    const sameSlot = book.slotVoters.get(vote.slot) ?? new Set<string>();
    const previous = book.lastByValidator.get(vote.validator);
    let highestOther: VoteRecord | undefined;
    for (const [other, last] of book.lastByValidator) {
      if (other === vote.validator) continue;
      if (!highestOther || last.slot > highestOther.slot) highestOther = last;
      const reason = sameSlot.has(other)
        ? 'same-slot'
        : isTower &&
            previous !== undefined &&
            last.timeMs >= previous.timeMs &&
            vote.timeMs - previous.timeMs < options.windowMs
          ? 'overlapping-time'
          : undefined;
      if (reason) {
        const pair = [other, vote.validator].sort() as [string, string];
        flag(
          `double|${vote.identity}|${reason}|${pair.join('|')}`,
          {
            kind: 'double-vote',
            reason,
            identity: vote.identity,
            validators: pair,
            firstSlot: vote.slot,
            lastSlot: vote.slot,
            firstTimeMs: vote.timeMs,
            count: 1,
          },
          vote.slot,
        );
      }
    }
    // agave refuses to vote at or below its tower's last vote; a new holder without that tower
    // can, and that is the lockout violation S2 exists to prevent.
    if (isTower && highestOther && vote.slot <= highestOther.slot) {
      flag(
        `lockout|${vote.identity}|${highestOther.validator}|${vote.validator}`,
        {
          kind: 'lockout-violation',
          identity: vote.identity,
          validator: vote.validator,
          previousValidator: highestOther.validator,
          previousLastVote: highestOther.slot,
          firstSlot: vote.slot,
          lastSlot: vote.slot,
          firstTimeMs: vote.timeMs,
          count: 1,
        },
        vote.slot,
      );
    }
    sameSlot.add(vote.validator);
    book.slotVoters.set(vote.slot, sameSlot);
    book.lastByValidator.set(vote.validator, vote);
    book.votes.push(vote);
  };

  const gaps = (identity: string, now?: { slot: number; timeMs: number }): VotingGaps => {
    const landed = (books.get(identity)?.votes ?? []).filter((v) => v.landed);
    const list: VotingGap[] = [];
    for (let i = 1; i < landed.length; i += 1) {
      const before = landed[i - 1] as VoteRecord;
      const after = landed[i] as VoteRecord;
      const slots = Math.max(0, after.tipSlot - before.tipSlot - 1);
      if (slots === 0 && after.validator === before.validator) continue;
      list.push({
        fromSlot: before.slot,
        toSlot: after.slot,
        slots,
        ms: after.timeMs - before.timeMs,
        fromValidator: before.validator,
        toValidator: after.validator,
      });
    }
    const last = landed[landed.length - 1];
    if (last && now && now.slot - last.tipSlot > 1) {
      list.push({
        fromSlot: last.slot,
        toSlot: null,
        slots: now.slot - last.tipSlot - 1,
        ms: now.timeMs - last.timeMs,
        fromValidator: last.validator,
        toValidator: null,
      });
    }
    const largest = list.reduce<VotingGap | null>((a, g) => (a === null || g.slots > a.slots ? g : a), null);
    return {
      identity,
      votes: landed.length,
      gaps: list,
      largest,
      handovers: list.filter((g) => g.toValidator !== null && g.toValidator !== g.fromValidator),
    };
  };

  return {
    record,
    violations: () => found.map((v) => ({ ...v })),
    gaps,
    votes: (identity) =>
      identity === undefined ? [...books.values()].flatMap((b) => b.votes) : [...(books.get(identity)?.votes ?? [])],
  };
}
