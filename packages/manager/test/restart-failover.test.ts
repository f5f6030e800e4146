import { PassThrough } from 'node:stream';
import { runManagerCli } from '../src/cli';
import { fetchControlStatus, requestSwitchover, type ControlTarget } from '../src/control-client';
import { startRig, type ManagerProcess, type Rig } from './support/failover-rig';

// Real agents, simulator, etcd and fake Bot API, and the manager run twice as a process of its
// own: minutes of budget on a 2-core machine.
jest.setTimeout(180_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** `failover-manager history --config FILE …`, in-process: what it prints and its exit code. */
async function history(r: Rig, ...args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await runManagerCli(['history', '--config', r.managerConfigPath, ...args], {
    stdout,
    stderr,
    env: {},
    stopSignal: new Promise<string>(() => undefined),
  });
  return { code, out };
}

/** Starts the manager and waits until it sees validator1 voting as the active. */
async function startWatching(r: Rig): Promise<{ manager: ManagerProcess; control: ControlTarget }> {
  const [v1] = r.cluster.validators;
  await r.cluster.waitFor('v1 to vote', async () => (await v1!.status()).voting || undefined, { timeoutMs: 15_000 });
  const manager = r.spawnManager();
  const control = await r.control();
  await r.cluster.waitFor(
    `the manager to see v1 active\n${manager.output()}`,
    async () => (await fetchControlStatus(control).catch(() => undefined))?.active === 'validator1' || undefined,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return { manager, control };
}

/** Asks for a switchover to validator2 and reads its answer until the manager goes away. */
function switchover(control: ControlTarget): Promise<void> {
  return (async () => {
    for await (const _line of requestSwitchover(control, { reason: 'restart test', to: 'validator2' }));
  })().catch(() => undefined);
}

/** SIGKILL: no handler runs, nothing is flushed or closed. */
async function kill(manager: ManagerProcess): Promise<void> {
  manager.process.kill('SIGKILL');
  await manager.exited;
  expect(manager.process.signalCode).toBe('SIGKILL');
}

/**
 * `history --json` once the journal holds the end of the last failover: the manager writes the
 * end after the notification has gone out.
 */
async function endedHistory(r: Rig, ...args: string[]): Promise<unknown> {
  return r.cluster.waitFor(
    'the journal to hold the end of the failover',
    async () => {
      const document = JSON.parse((await history(r, '--json', ...args)).out) as { runs: { end: unknown }[] };
      return document.runs[document.runs.length - 1]?.end != null ? document : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
}

async function expectFinishedOnValidator2(r: Rig): Promise<void> {
  const [, v2] = r.cluster.validators;
  await r.cluster.waitFor(
    'a failover complete message',
    async () => r.telegram.messages.find((m) => m.text.includes('Failover complete')),
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  await r.cluster.waitFor('v2 to vote', async () => (await v2!.status()).voting || undefined, { timeoutMs: 15_000 });
  expect(await v2!.identity()).toBe(r.cluster.stakedPubkey);
  expect(await r.cluster.judge.violations()).toEqual([]);
  expect(
    r.telegram.messages.filter((m) => m.text.includes('Failover taken up again after a manager restart')),
  ).toHaveLength(1);
}

describe('a manager killed in the middle of a failover and started again', () => {
  it('finishes a promotion it was killed during, and its history shows the holder and the restart', async () => {
    rig = await startRig();
    const r = rig;
    const [, v2] = r.cluster.validators;
    const { manager, control } = await startWatching(r);
    // validator2 takes its time to switch, so the kill lands while its agent promotes it.
    await v2!.setIdentityDelay(3_000);
    const answer = switchover(control);
    await r.cluster.waitFor(
      'the promotion to start',
      async () => /step promote validator2/.test(manager.output()) || undefined,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await kill(manager);
    await answer;

    r.spawnManager();
    await expectFinishedOnValidator2(r);

    expect((await history(r, '--json')).code).toBe(0);
    expect(await endedHistory(r)).toMatchObject({
      holder: { node: 'validator2', term: 2 },
      runs: [
        {
          id: 1,
          term: 1,
          plan: { kind: 'switchover', from: 'validator1', to: 'validator2' },
          reason: { kind: 'switchover', text: 'restart test' },
          resumes: [{ term: 2 }],
          end: { outcome: 'completed', term: 2 },
        },
      ],
    });
    const table = await history(r);
    expect(table.code).toBe(0);
    expect(table.out).toContain('holder: validator2 (given in term 2');
    expect(table.out).toMatch(/run 1 {2}switchover validator1 → validator2 .* completed in /);
    expect(table.out).toContain('term 1, taken up in term 2');
    expect(table.out).toMatch(/↺ promote validator2 \(via agent\) +interrupted {2}term 1/);
    expect(table.out).toMatch(/✓ promote validator2 \(via agent\) +[\d.]+ m?s {2}term 2/);
  });

  it('promotes after a kill between the demotion and the promotion, with nobody voting meanwhile', async () => {
    rig = await startRig({ proxyPassive: true });
    const r = rig;
    const [v1, v2] = r.cluster.validators;
    const { manager, control } = await startWatching(r);
    const answer = switchover(control);
    // The promotion never reaches validator2: its link is cut once the demotion starts.
    await r.cluster.waitFor(
      'the demotion to start',
      async () => /step demote validator1/.test(manager.output()) || undefined,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await r.passiveProxy!.cut('blackhole');
    await r.cluster.waitFor(
      'the promotion to be sent',
      async () => /step promote validator2/.test(manager.output()) || undefined,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await kill(manager);
    await answer;
    // What the dead manager sent into the cut is dropped, never delivered late.
    await r.passiveProxy!.cut('reset');
    await r.passiveProxy!.heal();
    expect((await v1!.status()).identity).not.toBe(r.cluster.stakedPubkey);
    expect((await v2!.status()).identity).not.toBe(r.cluster.stakedPubkey);

    const again = r.spawnManager();
    await expectFinishedOnValidator2(r);
    expect(again.output()).toMatch(/resuming switchover validator1 → validator2 \(run 1\) at promote validator2/);
    const json = (await endedHistory(r, '--last', '1')) as {
      runs: { steps: { action: { kind: string; node: string }; term: number; finished: { ok: boolean } | null }[] }[];
    };
    expect(
      json.runs[0]?.steps.map((s) => [`${s.action.kind} ${s.action.node}`, s.term, s.finished?.ok ?? null]),
    ).toEqual([
      ['check-promote validator2', 1, true],
      ['demote validator1', 1, true],
      ['verify-demotion validator1', 1, true],
      ['final-tower-backup validator1', 1, true],
      ['promote validator2', 1, null],
      ['promote validator2', 2, true],
      ['verify-voting validator2', 2, true],
    ]);
  });
});
