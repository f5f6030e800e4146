import fc from 'fast-check';
import { judgeTerm, noteSender, recentSenders, type TermClaim } from '@failover/core';

const a = (term: number): TermClaim => ({ term, sender: 'manager-aaaa' });
const b = (term: number): TermClaim => ({ term, sender: 'manager-bbbb' });

describe('judgeTerm', () => {
  it.each<[string, TermClaim | null, TermClaim, ReturnType<typeof judgeTerm>]>([
    ['obeys the first term it sees, and records it', null, a(1), { obey: true, raises: true }],
    ['obeys a higher term, and records it', a(3), a(4), { obey: true, raises: true }],
    ['obeys a higher term of another sender (a new leader)', a(3), b(4), { obey: true, raises: true }],
    ['obeys the same term of the same sender without a new record', a(3), a(3), { obey: true, raises: false }],
    ['refuses a lower term (an earlier run)', a(3), a(2), { obey: false, highest: a(3) }],
    ['refuses a lower term of another sender', a(3), b(2), { obey: false, highest: a(3) }],
    ['refuses the same term from a second sender', a(3), b(3), { obey: false, highest: a(3) }],
  ])('%s', (_case, highest, claim, verdict) => {
    expect(judgeTerm(highest, claim)).toEqual(verdict);
  });

  const claims = fc.array(
    fc.record({ term: fc.integer({ min: 1, max: 20 }), sender: fc.constantFrom('manager-a', 'manager-b') }),
    { maxLength: 60 },
  );

  it('never obeys a term below one it obeyed before, and the record never goes down', () => {
    fc.assert(
      fc.property(claims, (sequence) => {
        let highest: TermClaim | null = null;
        const obeyed: TermClaim[] = [];
        for (const claim of sequence) {
          const verdict = judgeTerm(highest, claim);
          if (!verdict.obey) continue;
          for (const earlier of obeyed) expect(claim.term).toBeGreaterThanOrEqual(earlier.term);
          if (verdict.raises) {
            if (highest !== null) expect(claim.term).toBeGreaterThan(highest.term);
            highest = claim;
          }
          obeyed.push(claim);
        }
      }),
    );
  });

  it('never obeys two senders at one term', () => {
    fc.assert(
      fc.property(claims, (sequence) => {
        let highest: TermClaim | null = null;
        const senderOf = new Map<number, string>();
        for (const claim of sequence) {
          const verdict = judgeTerm(highest, claim);
          if (!verdict.obey) continue;
          expect(senderOf.get(claim.term) ?? claim.sender).toBe(claim.sender);
          senderOf.set(claim.term, claim.sender);
          if (verdict.raises) highest = claim;
        }
      }),
    );
  });
});

describe('noteSender', () => {
  it('keeps one entry per sender, with its latest term and time', () => {
    const seen = noteSender(noteSender([], a(1), 1_000, 60_000), a(2), 2_000, 60_000);
    expect(seen).toEqual([{ sender: 'manager-aaaa', term: 2, lastSeenAt: 2_000 }]);
  });

  it('lists two senders heard within the window', () => {
    const seen = noteSender(noteSender([], a(3), 1_000, 60_000), b(4), 30_000, 60_000);
    expect(seen.map((s) => s.sender)).toEqual(['manager-aaaa', 'manager-bbbb']);
  });

  it('forgets a sender not heard from within the window', () => {
    const seen = noteSender(noteSender([], a(3), 1_000, 60_000), b(4), 70_000, 60_000);
    expect(seen.map((s) => s.sender)).toEqual(['manager-bbbb']);
    expect(recentSenders(seen, 140_000, 60_000)).toEqual([]);
  });
});
