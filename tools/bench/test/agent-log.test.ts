import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demotionSince, promotionSince, readAgentLog } from '../src/agent-log';

// Lines as failover-agent writes them with log_format json (shortened), from a crash failover.
const line = (time: string, msg: string, fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ time: `2026-01-01T00:00:${time}Z`, level: 'info', msg, ...fields });
const command = (time: string, name: string, ms: number, exitCode: number): string =>
  line(time, `${name} ${exitCode === 0 ? 'succeeded' : 'failed'}`, {
    command: name,
    exit_code: exitCode,
    duration_ms: ms,
    timed_out: false,
  });

const oldActive = [
  line('01.000', 'incoming request'),
  line('10.254', 'deactivating: become-passive requested'),
  command('10.273', 'passive_identity_symlink_command', 19, 0),
  command('10.604', 'identity_remove_command', 329, 1),
  command('10.825', 'identity_remove_command', 221, 1),
  command('11.070', 'identity_remove_command', 245, 1),
  command('11.473', 'validator_restart_command', 402, 0),
  line('11.520', 'now passive'),
  line('11.521', 'role change took', { ms: 1266 }),
].join('\n');

const newActive = [
  'not json: a stack trace line',
  line('11.608', 'activating: become-active requested'),
  line('11.614', 'restored /ledger/tower-1_9-X.bin from vm 127.0.0.2 (last voted slot 819213)'),
  command('11.972', 'identity_change_command', 358, 0),
  command('11.980', 'active_identity_symlink_command', 7, 0),
  line('11.982', 'role change took', { ms: 374 }),
].join('\n');

// The same promotion on Alpenglow: the vote history is installed after the tower, before set-identity.
const newActiveAlpenglow = [
  line('11.608', 'activating: become-active requested'),
  line('11.614', 'restored /ledger/tower-1_9-X.bin from vm 127.0.0.2 (last voted slot 819213)'),
  line('11.621', 'restored /ledger/vote_history-X.bin from vm 127.0.0.2 (newest slot 819260)'),
  command('11.979', 'identity_change_command', 358, 0),
  line('11.982', 'role change took', { ms: 374 }),
].join('\n');

describe('the agent log reader', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-agent-log-'));
    writeFileSync(path.join(dir, 'old.log'), oldActive);
    writeFileSync(path.join(dir, 'new.log'), newActive);
    writeFileSync(path.join(dir, 'new-alpenglow.log'), newActiveAlpenglow);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const since = Date.parse('2026-01-01T00:00:10.000Z');

  it('sums every failed identity removal and the restart fallback of a demotion', () => {
    const demotion = demotionSince(readAgentLog(path.join(dir, 'old.log')), since);
    expect(demotion).toEqual({
      startedAt: Date.parse('2026-01-01T00:00:10.254Z'),
      removeIdentityMs: 795,
      removeAttempts: 3,
      restartMs: 402,
      roleChangeMs: 1266,
    });
  });

  it('splits a promotion into tower restore and set-identity, skipping lines that are not JSON', () => {
    const promotion = promotionSince(readAgentLog(path.join(dir, 'new.log')), since);
    expect(promotion).toEqual({
      startedAt: Date.parse('2026-01-01T00:00:11.608Z'),
      towerRestoreMs: 6,
      setIdentityMs: 358,
      setIdentityEndedAt: Date.parse('2026-01-01T00:00:11.972Z'),
      roleChangeMs: 374,
    });
  });

  it('counts the restore of an Alpenglow promotion up to the vote history, the last file installed before set-identity', () => {
    const promotion = promotionSince(readAgentLog(path.join(dir, 'new-alpenglow.log')), since);
    expect(promotion?.towerRestoreMs).toBe(13);
  });

  it('finds nothing that began before the given time', () => {
    const later = Date.parse('2026-01-01T00:00:12.000Z');
    expect(demotionSince(readAgentLog(path.join(dir, 'old.log')), later)).toBeUndefined();
    expect(promotionSince(readAgentLog(path.join(dir, 'new.log')), later)).toBeUndefined();
  });
});
