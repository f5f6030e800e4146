import path from 'node:path';
import { run } from '../src/run';

const root = path.resolve(__dirname, '../../..');
const demo = path.join(root, 'tools/e2e/src/demo.ts');

// The whole demo as `npm run demo` runs it (after the build): real agent and manager processes
// from their bins, a simulated cluster, kill -9 of the active validator. The verdict comes from
// the simulator's judge, which records every vote; nothing here is mocked.
jest.setTimeout(120_000);

const VERDICT =
  /^verdict: (PASS|FAIL): (\d+) double votes, (\d+) lockout violations, voting gap (\d+) slots \((\d+) ms\) v1 → v2$/m;

describe('npm run demo', () => {
  it.each([
    ['the embedded directory tower store', []],
    ['towers in a real etcd', ['--etcd']],
    ['a cluster that switches to Alpenglow before the crash', ['--alpenglow']],
  ])(
    'fails over a crashed active validator with no double vote, no lockout violation and a finite gap, with %s',
    async (_name, extra) => {
      const result = await run('node', ['--import', 'tsx', demo, '--slot-ms', '50', ...extra], {
        cwd: root,
        timeoutMs: 100_000,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      const verdict = VERDICT.exec(result.stdout);
      expect({ code: result.code, verdict: verdict?.[0] ?? output }).toEqual({
        code: 0,
        verdict: expect.stringMatching(/^verdict: PASS/),
      });
      const [, , doubleVotes, lockoutViolations, gapSlots, gapMs] = verdict!;
      expect(Number(doubleVotes)).toBe(0);
      expect(Number(lockoutViolations)).toBe(0);
      expect(Number.isFinite(Number(gapSlots))).toBe(true);
      expect(Number(gapMs)).toBeGreaterThan(0);
      // Detection (the agent sees the exit at once) plus the failover's steps, on a loaded 2-core machine.
      expect(Number(gapMs)).toBeLessThan(15_000);
      // The crash is seen for what it is: the agent finds its own validator's process gone.
      expect(result.stdout).toMatch(
        /manager: Failover started; validator1 → validator2; Reason: validator1 unhealthy .*validator process exited \(seen by its agent at /,
      );
      expect(result.stdout).toMatch(
        /failover validator1 → validator2 complete in \d+ ms:\n(.*\n)*.*✓ demote validator1 +\d+ ms/,
      );
      // Not a terminal here: plain lines only, as CI logs need.
      expect(result.stdout).not.toContain('\x1b[');
    },
  );

  it('explains a bad argument and exits 2 before starting anything', async () => {
    const result = await run('node', ['--import', 'tsx', demo, '--slot-ms', 'fast'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--slot-ms fast: must be a whole number of ms/);
    expect(result.stdout).toBe('');
  });
});
