import type { Logger } from '@failover/core';
import { createManagerHookRunner, type ManagerHookRun } from '../src/manager-hooks';

const SECRET = 'shared-secret-of-the-pair';

/** A logger that keeps each line as `level message fields`, to read back what an operator would see. */
function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
    };
  return { log: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}

const failover: ManagerHookRun = {
  plan: { kind: 'switchover', from: 'validator1', to: 'validator2' },
  reason: 'kernel upgrade\nline two',
  run: 12,
  term: 4,
};

function runner(hooks: Parameters<typeof createManagerHookRunner>[0]['hooks'], log: Logger) {
  return createManagerHookRunner({
    hooks,
    nodes: (node) => (node === 'validator1' ? { name: 'fra-1', ip: '10.0.0.1' } : { name: 'ams-2', ip: '10.0.0.2' }),
    identity: 'StakedIdentity1111111111111111111111111111',
    secrets: [SECRET],
    log,
    env: { PATH: process.env.PATH },
  });
}

describe("the manager's hooks", () => {
  it('describes the failover in the environment, as one printable line per value', async () => {
    const { log, lines } = recordingLog();
    const hooks = runner({ pre_failover: { command: 'env | grep ^FAILOVER_ | sort', timeoutMs: 5_000 } }, log);
    await expect(hooks.run('pre_failover', failover)).resolves.toEqual({ ok: true });
    const printed = lines.find((line) => line.startsWith('info pre_failover succeeded'));
    expect(JSON.parse(printed!.slice(printed!.indexOf('{'))).stdout.split('\n')).toEqual([
      'FAILOVER_FROM=validator1',
      'FAILOVER_FROM_IP=10.0.0.1',
      'FAILOVER_FROM_NAME=fra-1',
      'FAILOVER_HOOK=pre_failover',
      'FAILOVER_IDENTITY=StakedIdentity1111111111111111111111111111',
      'FAILOVER_PLAN=switchover',
      'FAILOVER_REASON=kernel upgrade line two',
      'FAILOVER_RUN=12',
      'FAILOVER_TERM=4',
      'FAILOVER_TO=validator2',
      'FAILOVER_TO_IP=10.0.0.2',
      'FAILOVER_TO_NAME=ams-2',
    ]);
  });

  it('fails with the exit code and what the hook said, the secret taken out of the step detail and the log', async () => {
    const { log, lines } = recordingLog();
    const hooks = runner(
      { post_failover: { command: `echo "token ${SECRET} refused" >&2; exit 3`, timeoutMs: 5_000 } },
      log,
    );
    const result = await hooks.run('post_failover', failover);
    expect(result).toEqual({ ok: false, detail: 'post_failover exited with 3: token [redacted] refused' });
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.some((line) => line.startsWith('error post_failover failed'))).toBe(true);
  });

  it('kills a hook that outlives its limit', async () => {
    const { log } = recordingLog();
    const hooks = runner({ pre_failover: { command: 'sleep 30 & sleep 30', timeoutMs: 200 } }, log);
    const started = Date.now();
    await expect(hooks.run('pre_failover', failover)).resolves.toEqual({
      ok: false,
      detail: 'pre_failover timed out after 200 ms',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('skips, with a warning, a hook a resumed plan carries that is no longer configured', async () => {
    const { log, lines } = recordingLog();
    await expect(runner({}, log).run('post_failover', failover)).resolves.toEqual({ ok: true });
    expect(lines).toEqual([expect.stringMatching(/^warn post_failover is in the plan but no longer configured/)]);
  });
});
