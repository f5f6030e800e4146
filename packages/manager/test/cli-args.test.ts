import { envOverrides, parseArgs, usage, FLAGS } from '../src/cli-args';
import { UsageError } from '../src/errors';

describe('parseArgs', () => {
  it.each([
    ['no arguments', [], { command: 'run', overrides: {} }],
    ['the Go tool form with a config', ['--config', 'manager-config.json'], { command: 'run', configPath: 'manager-config.json' }],
    ['single-dash Go flags', ['-config=m.json', '-interval', '2s'], { configPath: 'm.json', overrides: { heartbeat_interval: '2s' } }],
    [
      'explicit endpoints',
      ['--active', 'http://a:8080', '--passive=http://b:8080'],
      { overrides: { active_validator: 'http://a:8080', passive_validator: 'http://b:8080' } },
    ],
    ['numbers', ['--misses', '3', '--slot-threshold', '50'], { overrides: { misses_before_failover: 3, slot_diff_threshold: 50 } }],
    ['--dry-run=false', ['--dry-run=false'], { overrides: { dry_run: false } }],
    ['--dry-run false', ['--dry-run', 'false'], { overrides: { dry_run: false } }],
    ['a bare --dry-run', ['--dry-run'], { overrides: { dry_run: true } }],
    ['--log-file and --timeout', ['--log-file', '/var/log/m.log', '--timeout', '750ms'], { overrides: { log_file: '/var/log/m.log', request_timeout: '750ms' } }],
    ['--shutdown-agent with a config', ['--config', 'c.json', '--shutdown-agent'], { command: 'shutdown-agent', configPath: 'c.json' }],
    ['--generate-config', ['--generate-config'], { command: 'generate-config' }],
    ['-h', ['-h'], { command: 'help' }],
    ['--version', ['--version'], { command: 'version' }],
    ['the status subcommand', ['status', '--config', 'c.json', '--json'], { command: 'status', json: true }],
    ['the switchover subcommand', ['switchover', '--reason', 'kernel upgrade'], { command: 'switchover', reason: 'kernel upgrade' }],
  ])('reads %s', (_name, argv, expected) => {
    expect(parseArgs(argv)).toMatchObject(expected);
  });

  it.each([
    ['an unknown flag', ['--intervall', '5s'], /unknown flag --intervall; did you mean --interval\?/],
    ['a flag without its value', ['--config'], /--config needs a value/],
    ['a non-numeric miss count', ['--misses', 'five'], /--misses must be a whole number/],
    ['a non-boolean dry run', ['--dry-run=maybe'], /--dry-run must be true or false/],
    ['a stray argument', ['promote'], /unexpected argument "promote"/],
    ['a switchover without a reason', ['switchover'], /switchover needs --reason/],
  ])('refuses %s with a usage error', (_name, argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('envOverrides', () => {
  it('maps the Go tool environment variables onto config keys', () => {
    expect(
      envOverrides({ DRY_RUN: 'false', ACTIVE_VALIDATOR: 'http://a:1', PASSIVE_VALIDATOR: 'http://b:1', MANAGER_LOG_FILE: '/tmp/m.log', HOME: '/root' }),
    ).toEqual({ dry_run: false, active_validator: 'http://a:1', passive_validator: 'http://b:1', log_file: '/tmp/m.log' });
  });

  it('ignores unset and empty variables', () => {
    expect(envOverrides({ DRY_RUN: '' })).toEqual({});
  });

  it('refuses a DRY_RUN that is not a boolean, naming the variable', () => {
    expect(() => envOverrides({ DRY_RUN: 'sometimes' })).toThrow(/DRY_RUN must be true or false/);
  });
});

describe('usage', () => {
  it('documents every flag', () => {
    const text = usage();
    for (const flag of Object.keys(FLAGS)) expect(text).toContain(`--${flag}`);
  });
});
