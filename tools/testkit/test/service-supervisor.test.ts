import { startSupervisedService, type SupervisedService } from '@failover/testkit';

jest.setTimeout(30_000);

let service: SupervisedService | undefined;
afterEach(async () => {
  service?.signal('SIGKILL');
  await service?.ended;
  service = undefined;
});

const report = { command: 'bash', args: ['-c', 'echo "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS"'] };

describe('startSupervisedService', () => {
  it('takes READY=1 and WATCHDOG=1 from systemd-notify and keeps a fed service running', async () => {
    service = await startSupervisedService({
      name: 'fed',
      exec: {
        command: 'bash',
        args: ['-c', 'systemd-notify READY=1; while :; do systemd-notify WATCHDOG=1; sleep 0.2; done'],
      },
      watchdogMs: 2_000,
    });
    await service.ready;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(service.notifications()).toContain('WATCHDOG=1');
    await expect(Promise.race([service.ended.then(() => 'ended'), Promise.resolve('running')])).resolves.toBe(
      'running',
    );
  });

  it('kills a service that stops feeding the watchdog and runs the stop-post command with SERVICE_RESULT=watchdog', async () => {
    service = await startSupervisedService({
      name: 'frozen',
      exec: {
        command: 'bash',
        args: ['-c', 'systemd-notify READY=1; while :; do systemd-notify WATCHDOG=1; sleep 0.2; done'],
      },
      stopPost: report,
      watchdogMs: 1_500,
    });
    await service.ready;
    const frozenAt = Date.now();
    service.signal('SIGSTOP');
    const run = await service.ended;
    expect(run).toMatchObject({ result: 'watchdog', exitCode: 'killed', exitStatus: 'KILL' });
    expect(run.endedAt - frozenAt).toBeLessThan(1_500 + 1_000);
    expect(run.stopPost?.output.trim()).toBe('watchdog killed KILL');
  });

  it('runs the stop-post command after a plain exit, with the exit status', async () => {
    service = await startSupervisedService({
      name: 'exits',
      exec: { command: 'bash', args: ['-c', 'systemd-notify READY=1; exit 3'] },
      stopPost: report,
      watchdogMs: 5_000,
    });
    const run = await service.ended;
    expect(run).toMatchObject({ result: 'exit-code', exitCode: 'exited', exitStatus: '3' });
    expect(run.stopPost?.output.trim()).toBe('exit-code exited 3');
  });

  it('kills a stop-post command that outlives the stop timeout', async () => {
    service = await startSupervisedService({
      name: 'slow-post',
      exec: { command: 'bash', args: ['-c', 'systemd-notify READY=1; exit 0'] },
      stopPost: { command: 'sleep', args: ['30'] },
      watchdogMs: 5_000,
      stopTimeoutMs: 500,
    });
    const run = await service.ended;
    expect(run.result).toBe('success');
    expect(run.stopPost).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });
});
