import { ManagerLog, parseManagerLogLine, toFailoverReport } from '../src/manager-log';

const completeLine = JSON.stringify({
  time: '2026-01-01T00:00:01.000Z',
  level: 'info',
  msg: 'Failover complete\nvalidator1 → validator2',
  component: 'notifier',
  event: 'failover-complete',
  at: 1767225601000,
  from: 'validator1',
  to: 'validator2',
  steps: [
    { step: 'demote validator1', ms: 610, attempts: 1, ok: true, compensating: false },
    { step: 'promote validator2 (via agent)', ms: 191, attempts: 1, ok: true, compensating: false },
    { bogus: true },
  ],
  totalMs: 898,
});

describe("reading the manager's JSON log", () => {
  it('parses a notified event with its fields and time', () => {
    const line = parseManagerLogLine(completeLine);
    expect(line).toMatchObject({
      level: 'info',
      event: 'failover-complete',
      time: Date.parse('2026-01-01T00:00:01.000Z'),
    });
    expect(line?.fields['totalMs']).toBe(898);
  });

  it.each([
    ['a text line', '2026-01-01T00:00:00.000Z INFO  monitoring'],
    ['a crash trace', '    at Object.<anonymous> (/x.js:1:1)'],
    ['broken JSON', '{"time": '],
    ['a JSON array', '[1, 2]'],
  ])('skips %s', (_name, text) => {
    expect(parseManagerLogLine(text)).toBeUndefined();
  });

  it('turns the end of a failover into a report, keeping only well-formed steps', () => {
    const report = toFailoverReport(parseManagerLogLine(completeLine)!);
    expect(report).toMatchObject({
      outcome: 'failover-complete',
      from: 'validator1',
      to: 'validator2',
      totalMs: 898,
      at: 1767225601000,
    });
    expect(report?.steps.map((s) => s.step)).toEqual(['demote validator1', 'promote validator2 (via agent)']);
  });

  it('does not take a failover that only started for a finished one', () => {
    const line = parseManagerLogLine(
      JSON.stringify({
        time: '2026-01-01T00:00:00.000Z',
        level: 'warn',
        msg: 'Failover started',
        event: 'failover-started',
      }),
    )!;
    expect(toFailoverReport(line)).toBeUndefined();
  });

  it('resolves a wait with a line written after the wait began, and tells subscribers', async () => {
    const log = new ManagerLog();
    const seen: string[] = [];
    const unsubscribe = log.subscribe((line) => seen.push(line.event ?? line.msg));
    const waiting = log.waitFor((line) => line.event === 'failover-complete', 5_000);
    log.push('not json');
    log.push(JSON.stringify({ time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'monitoring' }));
    log.push(completeLine);
    await expect(waiting).resolves.toMatchObject({ event: 'failover-complete' });
    unsubscribe();
    log.push(completeLine);
    expect(seen).toEqual(['monitoring', 'failover-complete']);
    expect(log.failovers()).toHaveLength(2);
    expect(log.events('failover-complete')).toHaveLength(2);
  });

  it('resolves a wait with undefined when no such line comes in time', async () => {
    jest.useFakeTimers();
    try {
      const log = new ManagerLog();
      const waiting = log.waitFor((line) => line.event === 'failover-complete', 1_000);
      jest.advanceTimersByTime(1_000);
      await expect(waiting).resolves.toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
