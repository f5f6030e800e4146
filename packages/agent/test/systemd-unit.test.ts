import { AgentConfigSchema, ManagerConfigSchema, parseDuration } from '@failover/protocol';
import { tempDir, type TempDir } from '@failover/testkit';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const packageDir = path.join(__dirname, '..');
const unitFile = path.join(packageDir, 'systemd', 'failover-agent.service');
const unit = readFileSync(unitFile, 'utf8');
const bin = path.join(packageDir, 'bin', 'failover-agent.js');

/** Every `Key=value` of the unit, last one wins as in systemd. */
function settings(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) found.set(match[1] as string, match[2] as string);
  }
  return found;
}

const seconds = (value: string | undefined): number => parseDuration(value ?? '') ?? NaN;
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

describe('failover-agent.service', () => {
  const keys = settings(unit);

  it('is a notify service with a watchdog that kills, restarts always, and runs the host guard after every stop', () => {
    expect(keys.get('Type')).toBe('notify');
    // The pings come from systemd-notify, a child of the agent.
    expect(keys.get('NotifyAccess')).toBe('all');
    expect(seconds(keys.get('WatchdogSec'))).toBeGreaterThan(0);
    expect(keys.get('WatchdogSignal')).toBe('SIGKILL');
    expect(keys.get('Restart')).toBe('always');
    expect(keys.get('ExecStart')).toMatch(/failover-agent --config (\S+)$/);
    const config = /--config (\S+)$/.exec(keys.get('ExecStart') ?? '')?.[1];
    expect(keys.get('ExecStopPost')).toBe(`/usr/local/bin/failover-agent guard --config ${config}`);
  });

  it("fits the manager's default guard_bound: the agent gone, then the guard within its stop timeout", () => {
    const bound = parseDuration(ManagerConfigSchema.properties.guard_bound.default as string) ?? NaN;
    const killAfter = parseDuration(AgentConfigSchema.properties.guard_kill_after.default as string) ?? NaN;
    const stop = seconds(keys.get('TimeoutStopSec'));
    // A hang is seen after WatchdogSec; a stop that hangs is killed after TimeoutStopSec.
    const gone = Math.max(seconds(keys.get('WatchdogSec')), stop);
    // The guard itself is killed after TimeoutStopSec (ExecStopPost shares it).
    expect(gone + stop).toBeLessThanOrEqual(bound);
    // Its start, its wait and the kill fit in that limit.
    expect(killAfter + 5_000).toBeLessThanOrEqual(stop);
  });

  it('is published with the package', () => {
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('systemd');
  });

  // systemd-analyze comes with systemd; a host without it (a container image, macOS) cannot check.
  (hasAnalyze ? it : it.skip)(
    'passes systemd-analyze verify without a warning (skipped where systemd-analyze is missing)',
    () => {
      dir = tempDir('agent-unit');
      // verify checks that the commands exist: point them at this package's bin.
      const copy = path.join(dir.path, 'failover-agent.service');
      writeFileSync(copy, unit.split('/usr/local/bin/failover-agent').join(bin));
      const result = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({
        status: 0,
        output: '',
      });
    },
  );

  (hasAnalyze ? it : it.skip)(
    'is checked for real: a bad value makes systemd-analyze verify speak (skipped where systemd-analyze is missing)',
    () => {
      dir = tempDir('agent-unit');
      const copy = path.join(dir.path, 'failover-agent.service');
      writeFileSync(
        copy,
        unit.split('/usr/local/bin/failover-agent').join(bin).replace('WatchdogSec=10s', 'WatchdogSec=ten'),
      );
      const result = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toMatch(
        /failover-agent\.service:\d+: Failed to parse sec value, ignoring: ten/,
      );
    },
  );
});
