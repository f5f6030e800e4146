import { parseArgs } from '../src/args';
import { FENCING_KINDS } from '../src/fencing-plans';
import { ALPENGLOW_KINDS } from '../src/alpenglow-plans';
import { GUARD_KINDS } from '../src/guard-plans';
import { replayArgs } from '../src/report';
import { DEFAULT_WINDOW_MS, FAULT_KINDS } from '../src/schedule';
import { settingsFor } from '../src/settings';

describe('the chaos command line', () => {
  it('runs 20 trials from base seed 1 on 100 ms slots over every fault class by default', () => {
    expect(parseArgs([])).toEqual({
      kind: 'run',
      args: {
        trials: 20,
        baseSeed: 1,
        seed: undefined,
        slotMs: 100,
        json: undefined,
        keepLogs: '/tmp/failover-chaos',
        kinds: FAULT_KINDS,
        windowMs: DEFAULT_WINDOW_MS,
        requestTimeoutMs: undefined,
      },
    });
  });

  it('takes a seed to replay, a JSON file and a narrowed list of fault classes', () => {
    const parsed = parseArgs([
      '--seed',
      '3186062026',
      '--json',
      'out.json',
      '--faults',
      'isolate-active,telegram-down',
      '--window-ms',
      '24000',
    ]);
    expect(parsed).toMatchObject({
      kind: 'run',
      args: { seed: 3186062026, json: 'out.json', kinds: ['isolate-active', 'telegram-down'], windowMs: 24000 },
    });
  });

  it("takes fencing classes by name, and 'fencing' for all of them", () => {
    expect(parseArgs(['--faults', 'manager-frozen,validator-kill'])).toMatchObject({
      kind: 'run',
      args: { kinds: ['manager-frozen', 'validator-kill'] },
    });
    expect(parseArgs(['--faults', 'fencing'])).toMatchObject({ kind: 'run', args: { kinds: [...FENCING_KINDS] } });
  });

  it("takes the classes of issue 11 by name, and 'guard' for all of them", () => {
    expect(parseArgs(['--faults', 'zombie,rpc-disagree'])).toMatchObject({
      kind: 'run',
      args: { kinds: ['zombie', 'rpc-disagree'] },
    });
    expect(parseArgs(['--faults', 'guard'])).toMatchObject({ kind: 'run', args: { kinds: [...GUARD_KINDS] } });
  });

  it("takes the Alpenglow classes by name, and 'alpenglow' for all of them", () => {
    expect(parseArgs(['--faults', 'standstill,lost-vote-history'])).toMatchObject({
      kind: 'run',
      args: { kinds: ['standstill', 'lost-vote-history'] },
    });
    expect(parseArgs(['--faults', 'alpenglow'])).toMatchObject({ kind: 'run', args: { kinds: [...ALPENGLOW_KINDS] } });
    expect(ALPENGLOW_KINDS).toEqual(['standstill', 'vat-exclusion', 'migration-window', 'lost-vote-history']);
  });

  it.each([
    [['--trials', '0'], /--trials needs an integer in 1\.\.1000000, got '0'/],
    [['--seed', '-3'], /--seed needs an integer in 0\.\.4294967295, got '-3'/],
    [['--slot-ms'], /--slot-ms needs an integer in 20\.\.400, got nothing/],
    [['--faults', 'meteor-strike'], /unknown fault class 'meteor-strike'/],
    [['--json', '--trials'], /--json needs a path/],
    [['--fast'], /unknown argument '--fast'/],
  ])('refuses %j, naming the argument', (argv, message) => {
    const parsed = parseArgs(argv);
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' ? parsed.message : '').toMatch(message);
  });
});

describe('the replay line of a failed trial', () => {
  it('is the seed alone when the run used the defaults', () => {
    expect(replayArgs({ settings: settingsFor(100), kinds: FAULT_KINDS, windowMs: DEFAULT_WINDOW_MS }, 42)).toEqual([
      '--seed',
      '42',
      '--slot-ms',
      '100',
    ]);
  });

  it('carries whatever else fixed the schedule and the settings', () => {
    const report = {
      settings: settingsFor(50, { requestTimeoutMs: 500 }),
      kinds: ['isolate-active' as const],
      windowMs: 24000,
    };
    expect(replayArgs(report, 7)).toEqual([
      '--seed',
      '7',
      '--slot-ms',
      '50',
      '--faults',
      'isolate-active',
      '--window-ms',
      '24000',
      '--request-timeout-ms',
      '500',
    ]);
  });
});
