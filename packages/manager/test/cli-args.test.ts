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
    ['a status that watches', ['status', '--watch', '--json'], { command: 'status', watch: true, json: true }],
    ['a pause until resumed', ['pause', '--reason', 'kernel upgrade'], { command: 'pause', forMs: undefined }],
    [
      'a pause for 90 minutes',
      ['pause', '--reason', 'disk swap', '--for', '90m'],
      { command: 'pause', reason: 'disk swap', forMs: 5_400_000 },
    ],
    ['a resume', ['resume'], { command: 'resume', reason: undefined }],
    ['a resume with a reason', ['resume', '--reason', 'done'], { command: 'resume', reason: 'done' }],
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
      /unexpected argument "promote"; subcommands are "status", "switchover", "pause", "resume", "history" and "doctor"/,
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
    ['a pause without a reason', ['pause', '--for', '1h'], /pause needs --reason TEXT/],
    ['a pause with a blank reason', ['pause', '--reason', ' '], /pause needs --reason TEXT/],
    [
      'a pause for no time',
      ['pause', '--reason', 'x', '--for', '0'],
      /--for must be a duration from 1s to 30 days .*got "0"/,
    ],
    [
      'a pause for an hour spelled out',
      ['pause', '--reason', 'x', '--for', 'an hour'],
      /--for must be a duration .*got "an hour"/,
    ],
    [
      'a pause longer than 30 days',
      ['pause', '--reason', 'x', '--for', '800h'],
      /--for must be a duration from 1s to 30 days/,
    ],
    ['--watch outside status', ['history', '--watch'], /--watch is a flag of the status subcommand/],
    ['--for outside a pause', ['resume', '--for', '1h'], /--for is a flag of the pause subcommand/],
    ['a resume with an empty reason', ['resume', '--reason='], /resume --reason must not be empty/],
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
