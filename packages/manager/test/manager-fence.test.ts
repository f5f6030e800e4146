import type { FailoverEvent } from '@failover/core';
import { createManagerFence, type FenceReport } from '../src/manager-fence';

const SELF = 'manager-aaaaaaaaaaaaaaaa';
const OTHER = 'manager-bbbbbbbbbbbbbbbb';

function fence(term = 5) {
  let now = 1_700_000_000_000;
  const events: FailoverEvent[] = [];
  const made = createManagerFence({ term, sender: SELF, now: () => now, notify: (e) => events.push(e) });
  return { fence: made, events, advance: (ms: number) => (now += ms) };
}

const report = (change: Partial<FenceReport> = {}): FenceReport => ({
  nodeName: 'fra-1',
  highest: undefined,
  senders: [],
  ...change,
});

describe('createManagerFence', () => {
  it('stamps its term and sender, and may command while nothing says otherwise', () => {
    const { fence: f } = fence();
    expect(f.claim()).toEqual({ term: 5, sender: SELF });
    f.heard('validator1', report({ highest: { term: 5, sender: SELF }, senders: [{ term: 5, sender: SELF }] }));
    f.heard('validator2', report({ nodeName: 'fra-2', highest: { term: 4, sender: OTHER } }));
    expect(f.blocked('validator1')).toBeNull();
    expect(f.view()).toEqual({ term: 5, sender: SELF, deposed: null });
  });

  it('stands down for good once an agent refuses its term, and says so once', () => {
    const { fence: f, events } = fence();
    f.refused('validator2', { term: 6, sender: OTHER });
    f.refused('validator1', { term: 7, sender: OTHER });
    expect(f.deposed()).toEqual({ node: 'validator2', highest: { term: 6, sender: OTHER } });
    expect(f.blocked('validator1')).toContain('validator2 obeys term 6 of manager-bbbbbbbbbbbbbbbb');
    expect(f.view().deposed).toContain('its term 5 is below term 6');
    expect(events).toEqual([
      expect.objectContaining({ type: 'deposed', node: 'validator2', term: 5, highestTerm: 6, highestSender: OTHER }),
    ]);
  });

  it.each([
    ['a higher term', { term: 6, sender: OTHER }, true],
    ['its own term from another sender', { term: 5, sender: OTHER }, true],
    ['its own term', { term: 5, sender: SELF }, false],
    ['a lower term', { term: 4, sender: OTHER }, false],
  ])('stands down when an agent reports it obeys %s: %s', (_case, highest, deposed) => {
    const { fence: f } = fence();
    f.heard('validator1', report({ highest }));
    expect(f.deposed() !== null).toBe(deposed);
  });

  it('commands neither agent while both answer to one node name, and notifies it once', () => {
    const { fence: f, events } = fence();
    f.heard('validator1', report({ nodeName: 'fra-1' }));
    f.heard('validator2', report({ nodeName: 'fra-1' }));
    f.heard('validator2', report({ nodeName: 'fra-1' }));
    expect(f.blocked('validator1')).toContain('both agents answer to fra-1');
    expect(f.blocked('validator2')).toContain('both agents answer to fra-1');
    expect(events).toEqual([expect.objectContaining({ type: 'node-name-conflict', name: 'fra-1' })]);
  });

  it('notifies a second manager once while agents keep listing it, and again when it comes back', () => {
    const { fence: f, events, advance } = fence();
    const both = report({
      senders: [
        { term: 5, sender: SELF },
        { term: 3, sender: OTHER },
      ],
    });
    f.heard('validator1', both);
    f.heard('validator2', { ...both, nodeName: 'fra-2' });
    advance(30_000);
    f.heard('validator1', both);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'other-manager',
        node: 'validator1',
        self: SELF,
        senders: [{ sender: OTHER, term: 3 }],
      }),
    ]);
    advance(61_000);
    f.heard('validator1', report({ senders: [{ term: 5, sender: SELF }] }));
    f.heard('validator1', both);
    expect(events.filter((e) => e.type === 'other-manager')).toHaveLength(2);
    expect(f.deposed()).toBeNull();
  });
});
