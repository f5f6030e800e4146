import { managerUsage, MANAGER_CLI_FLAGS, parseManagerArgs } from '../src/cli-args';

describe('parseManagerArgs', () => {
  it.each([
    ['no arguments', [], { command: 'run', flags: {} }],
    [
      'the Go tool form with a config',
      ['--config', 'manager-config.json'],
      { command: 'run', configPath: 'manager-config.json' },
    ],
    [
      'single-dash Go flags',
      ['-config=m.json', '-interval', '2s'],
      { configPath: 'm.json', flags: { interval: '2s' } },
    ],
    [
      'explicit endpoints',
      ['--active', 'http://a:8080', '--passive=http://b:8080'],
      { flags: { active: 'http://a:8080', passive: 'http://b:8080' } },
    ],
    ['numbers', ['--misses', '3', '--slot-threshold', '50'], { flags: { misses: '3', 'slot-threshold': '50' } }],
    ['--dry-run=false', ['--dry-run=false'], { flags: { 'dry-run': 'false' } }],
    ['--dry-run false', ['--dry-run', 'false'], { flags: { 'dry-run': 'false' } }],
    ['a bare --dry-run', ['--dry-run'], { flags: { 'dry-run': true } }],
    [
      '--log-file and --timeout',
      ['--log-file', '/var/log/m.log', '--timeout', '750ms'],
      { flags: { 'log-file': '/var/log/m.log', timeout: '750ms' } },
    ],
    [
      '--shutdown-agent with a config',
      ['--config', 'c.json', '--shutdown-agent'],
      { command: 'shutdown-agent', configPath: 'c.json', flags: {} },
    ],
    ['--generate-config', ['--generate-config'], { command: 'generate-config' }],
    ['-h', ['-h'], { command: 'help' }],
    ['--version', ['--version'], { command: 'version' }],
    ['the status subcommand', ['status', '--config', 'c.json', '--json'], { command: 'status', json: true }],
    [
      'the switchover subcommand',
      ['switchover', '--reason', 'kernel upgrade'],
      { command: 'switchover', reason: 'kernel upgrade' },
    ],
    [
      'a switchover naming the node to activate',
      ['switchover', '--reason', 'first activation', '--to', 'validator2'],
      { command: 'switchover', to: 'validator2' },
    ],
    ['the history subcommand', ['history', '--config', 'c.json'], { command: 'history', json: false, last: undefined }],
    ['the doctor subcommand', ['doctor', '--config', 'c.json', '--json'], { command: 'doctor', json: true }],
    [
      'a history of the last 3, as JSON',
      ['history', '--json', '--last', '3'],
      { command: 'history', json: true, last: 3 },
    ],
  ])('reads %s', (_name, argv, expected) => {
    expect(parseManagerArgs(argv)).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    ['an unknown flag', ['--intervall', '5s'], /unknown flag --intervall; did you mean --interval\?/],
    ['a flag without its value', ['--config'], /--config needs a value/],
    ['a non-boolean --help', ['--help=maybe'], /--help must be true or false/],
    [
      'a stray argument',
      ['promote'],
      /unexpected argument "promote"; subcommands are "status", "switchover", "history" and "doctor"/,
    ],
    ['a switchover without a reason', ['switchover'], /switchover needs --reason/],
    [
      'a switchover to an unknown node',
      ['switchover', '--reason', 'x', '--to', 'validator3'],
      /--to must be validator1 or validator2, got "validator3"/,
    ],
    ['--to outside a switchover', ['--to', 'validator1'], /--to is a flag of the switchover subcommand/],
    ['a history of no failovers', ['history', '--last', '0'], /--last must be a whole number of 1 or more, got "0"/],
    ['--last outside a history', ['status', '--last', '2'], /--last is a flag of the history subcommand/],
  ])('refuses %s with a usage error', (_name, argv, message) => {
    expect(parseManagerArgs(argv)).toEqual({ ok: false, error: expect.stringMatching(message) });
  });
});

describe('managerUsage', () => {
  it('documents every flag', () => {
    const text = managerUsage();
    for (const flag of Object.keys(MANAGER_CLI_FLAGS)) expect(text).toContain(`--${flag}`);
  });
});
