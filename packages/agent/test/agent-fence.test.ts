import { SimulatedClock } from '@failover/core/testing';
import { StateFileError } from '@failover/protocol';
import { tempDir, type TempDir } from '@failover/testkit';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAgentFence, REPLAY_FILE, TERM_FILE } from '../src/agent-fence';
import { NODE_FILE, resolveNodeName } from '../src/node-name';
import { recordingLogger } from './support/recording-logger';

let dir: TempDir;
let clock: SimulatedClock;
beforeEach(() => {
  dir = tempDir('agent-fence');
  clock = new SimulatedClock(1_700_000_000_000);
});
afterEach(() => dir.remove());

const open = (logger = recordingLogger()) => openAgentFence({ stateDir: dir.path, clock, logger });
const A = 'manager-aaaaaaaaaaaaaaaa';
const B = 'manager-bbbbbbbbbbbbbbbb';
const nonce = (value: string) => ({ value, expiresAt: clock.now() + 30_000 });

describe('openAgentFence', () => {
  it('writes a raised term to term.json before it admits the request', async () => {
    const fence = await open();
    await expect(fence.admit({ claim: { term: 4, sender: A } })).resolves.toEqual({ admitted: true });
    expect(JSON.parse(readFileSync(path.join(dir.path, TERM_FILE), 'utf8'))).toEqual({
      term: 4,
      sender: A,
      obeyed_at: clock.now(),
    });
  });

  it('refuses a lower term, also once reopened from its state directory (a restart)', async () => {
    const first = await open();
    await first.admit({ claim: { term: 4, sender: A } });
    const refusal = {
      admitted: false,
      code: 'FAILOVER_STALE_TERM',
      details: { term: 3, sender: A, highest_term: 4, highest_term_sender: A },
    };
    await expect(first.admit({ claim: { term: 3, sender: A } })).resolves.toMatchObject(refusal);
    const restarted = await open();
    expect(restarted.highest()).toEqual({ term: 4, sender: A });
    await expect(restarted.admit({ claim: { term: 3, sender: A } })).resolves.toMatchObject(refusal);
    await expect(restarted.admit({ claim: { term: 4, sender: B } })).resolves.toMatchObject({
      admitted: false,
      code: 'FAILOVER_STALE_TERM',
    });
    await expect(restarted.admit({ claim: { term: 5, sender: B } })).resolves.toEqual({ admitted: true });
  });

  it('refuses a nonce it obeyed, also once reopened, until the signature could no longer be accepted', async () => {
    const first = await open();
    await expect(first.admit({ claim: { term: 1, sender: A }, nonce: nonce('n-1') })).resolves.toEqual({
      admitted: true,
    });
    const replayed = { admitted: false, code: 'FAILOVER_AUTH_REPLAYED' };
    await expect(first.admit({ claim: { term: 1, sender: A }, nonce: nonce('n-1') })).resolves.toMatchObject(replayed);
    const restarted = await open();
    await expect(restarted.admit({ claim: { term: 1, sender: A }, nonce: nonce('n-1') })).resolves.toMatchObject(
      replayed,
    );
    clock.advance(30_001);
    await expect(restarted.admit({ claim: { term: 1, sender: A }, nonce: nonce('n-2') })).resolves.toEqual({
      admitted: true,
    });
    const kept = JSON.parse(readFileSync(path.join(dir.path, REPLAY_FILE), 'utf8')) as { nonces: { nonce: string }[] };
    expect(kept.nonces.map((n) => n.nonce)).toEqual(['n-2']);
  });

  it('does not keep the nonce of a refused request', async () => {
    const fence = await open();
    await fence.admit({ claim: { term: 4, sender: A } });
    await fence.admit({ claim: { term: 3, sender: A }, nonce: nonce('n-stale') });
    await expect(fence.admit({ claim: { term: 4, sender: A }, nonce: nonce('n-stale') })).resolves.toEqual({
      admitted: true,
    });
  });

  it('refuses new requests when full of live nonces instead of forgetting one', async () => {
    const fence = await openAgentFence({ stateDir: dir.path, clock, logger: recordingLogger(), maxNonces: 2 });
    const claim = { term: 1, sender: A };
    await fence.admit({ claim, nonce: nonce('n-1') });
    await fence.admit({ claim, nonce: nonce('n-2') });
    await expect(fence.admit({ claim, nonce: nonce('n-3') })).resolves.toMatchObject({
      admitted: false,
      code: 'FAILOVER_AUTH_REPLAYED',
    });
  });

  it('judges concurrent requests one at a time, in order', async () => {
    const fence = await open();
    const verdicts = await Promise.all([
      fence.admit({ claim: { term: 2, sender: A } }),
      fence.admit({ claim: { term: 3, sender: B } }),
      fence.admit({ claim: { term: 2, sender: A } }),
    ]);
    expect(verdicts.map((v) => v.admitted)).toEqual([true, true, false]);
    expect(fence.highest()).toEqual({ term: 3, sender: B });
  });

  it('refuses to open on a corrupt term.json rather than start from no term', async () => {
    writeFileSync(path.join(dir.path, TERM_FILE), '{"term": ');
    await expect(open()).rejects.toBeInstanceOf(StateFileError);
  });

  it('lists the senders heard within the last minute, and warns when a second one appears', async () => {
    const logger = recordingLogger();
    const fence = await open(logger);
    fence.note({ term: 4, sender: A });
    clock.advance(10_000);
    fence.note({ term: 5, sender: B });
    expect(fence.recentSenders().map((s) => [s.sender, s.term])).toEqual([
      [A, 4],
      [B, 5],
    ]);
    expect(logger.text()).toContain('requests from 2 senders within 60 s; only the highest term is obeyed');
    clock.advance(55_000);
    expect(fence.recentSenders().map((s) => s.sender)).toEqual([B]);
  });
});

describe('resolveNodeName', () => {
  it('takes node_name when configured, and writes nothing', async () => {
    await expect(resolveNodeName({ configured: 'fra-1', stateDir: dir.path })).resolves.toEqual({
      name: 'fra-1',
      source: 'config',
    });
    expect(() => readFileSync(path.join(dir.path, NODE_FILE))).toThrow();
  });

  it('generates a name once from the host name and keeps it across restarts', async () => {
    const first = await resolveNodeName({ configured: undefined, stateDir: dir.path, hostname: 'fra-1.example.com' });
    expect(first.source).toBe('generated');
    expect(first.name).toMatch(/^fra-1\.example\.com-[0-9a-f]{8}$/);
    await expect(resolveNodeName({ configured: undefined, stateDir: dir.path, hostname: 'other' })).resolves.toEqual({
      name: first.name,
      source: 'state',
    });
  });

  it('gives two hosts of one host name two names', async () => {
    const other = tempDir('agent-fence-other');
    try {
      const a = await resolveNodeName({ configured: undefined, stateDir: dir.path, hostname: 'localhost' });
      const b = await resolveNodeName({ configured: undefined, stateDir: other.path, hostname: 'localhost' });
      expect(a.name).not.toBe(b.name);
    } finally {
      other.remove();
    }
  });

  it('makes a usable name of any host name', async () => {
    const named = await resolveNodeName({ configured: undefined, stateDir: dir.path, hostname: '--my host (1)' });
    expect(named.name).toMatch(/^my-host--1--[0-9a-f]{8}$/);
  });
});
