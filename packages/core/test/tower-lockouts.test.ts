import fc from 'fast-check';
import {
  MAX_LOCKOUT_HISTORY,
  TowerVoteError,
  createTower,
  lastLockedOutSlot,
  recordVote,
  towerLastVotedSlot,
} from '@failover/core';
import type { Tower } from '@failover/core';
import { alice } from './tower-fixtures';

const T0 = 1_700_000_000;

function voteAll(slots: readonly number[], tower: Tower = createTower(alice.pubkey)): Tower {
  return slots.reduce((current, slot) => recordVote(current, slot, T0 + slot), tower);
}

const pairs = (tower: Tower): Array<[number, number]> =>
  tower.voteState.votes.map((v) => [v.slot, v.confirmationCount]);

describe('recordVote', () => {
  it.each<{ name: string; slots: number[]; votes: Array<[number, number]>; root: number }>([
    { name: 'a first vote lands with one confirmation', slots: [5], votes: [[5, 1]], root: 0 },
    {
      name: 'consecutive votes stack confirmations',
      slots: [1, 2, 3],
      votes: [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
      root: 0,
    },
    { name: 'a vote past every lockout pops them all', slots: [1, 2, 10], votes: [[10, 1]], root: 0 },
    {
      name: 'a vote inside the top lockout keeps the stack',
      slots: [1, 2, 4],
      votes: [
        [1, 3],
        [2, 2],
        [4, 1],
      ],
      root: 0,
    },
    {
      name: 'a vote past only the top lockout pops the top',
      slots: [1, 2, 5],
      votes: [
        [1, 2],
        [5, 1],
      ],
      root: 0,
    },
  ])('$name', ({ slots, votes, root }) => {
    const tower = voteAll(slots);
    expect(pairs(tower)).toEqual(votes);
    expect(tower.voteState.rootSlot).toBe(root);
    expect(towerLastVotedSlot(tower)).toBe(slots.at(-1));
  });

  it('roots the oldest vote once 31 are stacked and credits the root', () => {
    const slots = Array.from({ length: MAX_LOCKOUT_HISTORY + 1 }, (_, i) => i + 1);
    const tower = voteAll(slots);
    expect(tower.voteState.votes).toHaveLength(MAX_LOCKOUT_HISTORY);
    expect(tower.voteState.rootSlot).toBe(1);
    expect(tower.voteState.votes[0]).toEqual({ slot: 2, confirmationCount: 31 });
    expect(tower.voteState.epochCredits).toEqual([{ epoch: 0, credits: 1, prevCredits: 0 }]);
  });

  it('records the vote as a TowerSync of the new lockouts with its timestamp', () => {
    const tower = voteAll([1, 2]);
    expect(tower.lastVote).toMatchObject({
      kind: 'towerSync',
      lockouts: tower.voteState.votes,
      root: 0,
      timestamp: T0 + 2,
    });
    expect(tower.lastTimestamp).toEqual({ slot: 2, timestamp: T0 + 2 });
  });

  it('does not move the last timestamp backwards in time', () => {
    const tower = recordVote(voteAll([1]), 2, T0 - 10);
    expect(tower.lastTimestamp).toEqual({ slot: 1, timestamp: T0 + 1 });
    expect(tower.lastVote).toMatchObject({ timestamp: null });
  });

  it.each([
    { name: 'the last voted slot again', slot: 7, message: 'not above the last voted slot 7' },
    { name: 'an older slot', slot: 3, message: 'not above the last voted slot 7' },
    { name: 'a negative slot', slot: -1, message: 'slot must be a non-negative safe integer' },
    { name: 'a fractional slot', slot: 8.5, message: 'slot must be a non-negative safe integer' },
  ])('refuses $name', ({ slot, message }) => {
    const tower = voteAll([7]);
    expect(() => recordVote(tower, slot, T0)).toThrow(TowerVoteError);
    expect(() => recordVote(tower, slot, T0)).toThrow(message);
  });

  it('leaves the tower it was given unchanged', () => {
    const tower = voteAll([1, 2, 3]);
    const snapshot = structuredClone(tower);
    recordVote(tower, 100, T0);
    expect(tower).toEqual(snapshot);
  });

  it('keeps the lockout invariants for any increasing sequence of votes', () => {
    const gaps = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 120 });
    fc.assert(
      fc.property(gaps, (steps) => {
        let tower = createTower(alice.pubkey);
        let slot = 0;
        let previousRoot = tower.voteState.rootSlot ?? 0;
        for (const step of steps) {
          slot += step;
          tower = recordVote(tower, slot, T0 + slot);
          const votes = tower.voteState.votes;
          const root = tower.voteState.rootSlot ?? 0;
          expect(votes.length).toBeGreaterThan(0);
          expect(votes.length).toBeLessThanOrEqual(MAX_LOCKOUT_HISTORY);
          expect(votes.at(-1)).toEqual({ slot, confirmationCount: 1 });
          expect(root).toBeGreaterThanOrEqual(previousRoot);
          expect(votes[0]!.slot).toBeGreaterThan(root);
          for (let i = 1; i < votes.length; i += 1) {
            expect(votes[i]!.slot).toBeGreaterThan(votes[i - 1]!.slot);
            expect(votes[i]!.confirmationCount).toBeLessThanOrEqual(votes[i - 1]!.confirmationCount);
            // Every vote still on the stack is locked out at the newest slot.
            expect(lastLockedOutSlot(votes[i - 1]!)).toBeGreaterThanOrEqual(slot);
          }
          expect(towerLastVotedSlot(tower)).toBe(slot);
          previousRoot = root;
        }
      }),
    );
  });
});
