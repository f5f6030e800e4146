import { PassThrough } from 'node:stream';
import { createManagerState } from '@failover/core';
import type { ControlStatus } from '@failover/protocol';
import { toControlStatus } from '../src/status-view';
import { statusLine, watchStatus } from '../src/status-watch';

const ENDPOINTS = { validator1: 'http://10.0.0.1:8080', validator2: 'http://10.0.0.2:8080' };
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

function statusAt(paused: boolean): ControlStatus {
  const state = createManagerState({}, 0);
  return toControlStatus(
    {
      state: {
        ...state,
        active: 'validator1',
        pause: paused ? { reason: 'kernel upgrade', at: AT, term: 2, until: null } : null,
      },
      observation: null,
    },
    ENDPOINTS,
    false,
    AT,
  );
}

/** Watches a manager whose answers are `answers`, in order, and is stopped when it asks once more. */
async function watch(
  answers: readonly (ControlStatus | Error)[],
  mode: { tty: boolean; json: boolean },
): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let calls = 0;
  await watchStatus({
    ...mode,
    out,
    intervalMs: 5,
    stop: stopped,
    now: () => AT,
    fetch: async () => {
      const answer = answers[calls];
      calls += 1;
      if (answer === undefined) {
        stop();
        throw new Error('stopped');
      }
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  return text;
}

describe('status --watch', () => {
  it('piped, prints one line per refresh, a failed refresh among them, and goes on', async () => {
    const text = await watch([statusAt(false), new Error('cannot reach the manager'), statusAt(true)], {
      tty: false,
      json: false,
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^2026-01-02T03:04:05\.000Z {2}state=monitoring {2}active=validator1 {2}validator1=/);
    expect(lines[1]).toBe('2026-01-02T03:04:05.000Z  error: cannot reach the manager');
    expect(lines[2]).toContain('PAUSED: kernel upgrade');
  });

  it('with --json, prints one JSON object per line and refresh', async () => {
    const text = await watch([statusAt(false), statusAt(true)], { tty: false, json: true });
    const objects = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { at: string; status: ControlStatus });
    expect(objects).toHaveLength(2);
    expect(objects[0]).toMatchObject({ at: '2026-01-02T03:04:05.000Z', status: { state: 'monitoring', paused: null } });
    expect(objects[1]).toMatchObject({ status: { paused: { reason: 'kernel upgrade' } } });
  });

  it('on a terminal, redraws the table in place', async () => {
    const text = await watch([statusAt(true)], { tty: true, json: false });
    expect(text.startsWith('\u001b[H\u001b[2J2026-01-02T03:04:05.000Z  (every 0.005 s, Ctrl-C to stop)\n\nNODE')).toBe(
      true,
    );
  });

  it('says in its line that the manager is paused', () => {
    expect(statusLine(statusAt(true))).toContain(
      'PAUSED: kernel upgrade (since 2026-01-02T03:04:05.000Z, until resumed)',
    );
  });
});
