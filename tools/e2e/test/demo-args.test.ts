import { demoUsage, parseDemoArgs, type DemoArgs, type DemoOptions } from '../src/demo-args';

describe('the demo command line', () => {
  const defaults: DemoOptions = {
    towerStore: 'directory',
    slotMs: 400,
    keep: false,
    alpenglow: false,
    client: 'agave',
  };

  it.each<[string, string[], DemoArgs]>([
    ['runs on embedded defaults with no argument', [], { kind: 'run', options: defaults }],
    ['keeps towers in etcd with --etcd', ['--etcd'], { kind: 'run', options: { ...defaults, towerStore: 'etcd' } }],
    [
      'takes the slot length as a separate value',
      ['--slot-ms', '50'],
      { kind: 'run', options: { ...defaults, slotMs: 50 } },
    ],
    [
      'takes the slot length after =',
      ['--slot-ms=120', '--keep'],
      { kind: 'run', options: { ...defaults, slotMs: 120, keep: true } },
    ],
    [
      'switches the cluster to Alpenglow with --alpenglow',
      ['--alpenglow'],
      { kind: 'run', options: { ...defaults, alpenglow: true } },
    ],
    [
      'runs a Firedancer pair with --client firedancer',
      ['--client', 'firedancer'],
      { kind: 'run', options: { ...defaults, client: 'firedancer' } },
    ],
    [
      'runs a Frankendancer pair on Alpenglow with --client=frankendancer --alpenglow',
      ['--client=frankendancer', '--alpenglow'],
      { kind: 'run', options: { ...defaults, client: 'frankendancer', alpenglow: true } },
    ],
    ['prints help with -h even after other flags', ['--etcd', '-h'], { kind: 'help' }],
    ['prints help with --help', ['--help'], { kind: 'help' }],
  ])('%s', (_name, argv, expected) => {
    expect(parseDemoArgs(argv)).toEqual(expected);
  });

  it.each<[string, string[], RegExp]>([
    ['refuses an unknown flag, naming it', ['--fast'], /unknown argument '--fast'/],
    ['refuses --slot-ms without a value', ['--slot-ms'], /--slot-ms needs a value/],
    ['refuses a slot length the simulator cannot keep up with', ['--slot-ms', '5'], /at least 20/],
    ['refuses a slot length that is not a whole number', ['--slot-ms', '1e3'], /whole number/],
    [
      'refuses --client without a value, listing the clients',
      ['--client'],
      /--client needs a value: agave, frankendancer, firedancer/,
    ],
    [
      'refuses a client it has no profile for, naming it',
      ['--client', 'jito'],
      /--client jito: must be one of agave, frankendancer, firedancer/,
    ],
  ])('%s', (_name, argv, message) => {
    const parsed = parseDemoArgs(argv);
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' && parsed.message).toMatch(message);
  });

  it('documents every flag it accepts', () => {
    for (const flag of ['--etcd', '--alpenglow', '--client', '--slot-ms', '--keep', '--help'])
      expect(demoUsage()).toContain(flag);
  });
});
