import fs from 'node:fs';
import path from 'node:path';
import { createVoteHistory, decodeVoteHistory, generateKeypair } from '@failover/core';
import type { SimCluster } from '../src';
import { startCluster } from '../src';
import { callJsonRpc } from '../src/internal/json-rpc';
import { recordAlpenglowVote, saveVoteHistory } from '../src/validator-vote-history';
import { sh } from './shell';

// Vote-history files under Alpenglow: written on every vote in agave's format, required by
// set-identity once the vote account has landed Alpenglow votes (agave 4.2), and the judge's
// verdict when a new holder votes without it.
const SLOT_MS = 50;
let cluster: SimCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<SimCluster> {
  cluster = await startCluster({
    consensus: 'alpenglow',
    validators: [{ name: 'active' }, { name: 'passive' }],
    slotMs: SLOT_MS,
  });
  const c = cluster;
  // set-identity requires the vote history once an Alpenglow vote of the account has landed;
  // vote accounts start at the first slot and only reward certificates move them on.
  const first = await c.slot();
  await c.waitFor('an Alpenglow vote landing', async () => {
    const accounts = (await callJsonRpc(c.rpcUrl, 'getVoteAccounts', [{ votePubkey: c.votePubkey }])) as {
      current: { lastVote: number }[];
    };
    return (accounts.current[0]?.lastVote ?? 0) > first;
  });
  return c;
}

async function votesBy(c: SimCluster, validator: string): Promise<number[]> {
  return (await c.judge.votes(c.stakedPubkey)).filter((v) => v.validator === validator).map((v) => v.slot);
}

describe('vote history under Alpenglow', () => {
  it('is written on every vote, in agave’s format, signed by the staked identity; the tower is not', async () => {
    const c = await start();
    const active = c.validator('active');
    const status = await c.waitFor('a few votes', async () => {
      const s = await active.status();
      return (s.lastVote ?? 0) > s.slot - 3 ? s : undefined;
    });
    const decoded = decodeVoteHistory(fs.readFileSync(active.voteHistoryPath(c.stakedPubkey)), c.stakedPubkey);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.signer).toBe(c.stakedPubkey);
    expect(decoded.newestSlot).toBeGreaterThanOrEqual((status.lastVote ?? 0) - 1);
    expect(decoded.voteHistory.votesCast.some((e) => e.votes.some((v) => v.kind === 'notarize'))).toBe(true);
    expect(fs.existsSync(active.towerPath(c.stakedPubkey))).toBe(false);
    expect(fs.existsSync(c.validator('passive').voteHistoryPath(c.stakedPubkey))).toBe(false);
  });

  it('makes set-identity refuse a staked identity without its vote history, with agave’s message', async () => {
    const c = await start();
    const passive = c.validator('passive');
    const refused = await sh(`agave-validator -l ${passive.ledgerDir} set-identity ${c.stakedKeypairPath}`, c.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `set identity request failed: Unable to load vote history file for identity ${c.stakedPubkey}: ` +
        `IO Error: No such file or directory (os error 2). The vote account ${c.votePubkey} has prior Alpenglow ` +
        `votes. Ensure the vote history file is present or (dangerous) use --do-not-require-vote-history if you ` +
        `know what you're doing\n`,
    );
    expect(await passive.identity()).toBe(passive.unstakedPubkey);

    // A file signed by another key is no vote history of this identity.
    const stranger = generateKeypair();
    saveVoteHistory(passive.ledgerDir, recordAlpenglowVote(createVoteHistory(stranger.pubkey), 10), stranger);
    fs.renameSync(passive.voteHistoryPath(stranger.pubkey), passive.voteHistoryPath(c.stakedPubkey));
    const forged = await sh(`agave-validator -l ${passive.ledgerDir} set-identity ${c.stakedKeypairPath}`, c.env);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('The signature on the saved vote history is invalid. The vote account');

    // Demoting to an unstaked identity needs no vote history.
    const active = c.validator('active');
    const demote = await sh(`agave-validator -l ${active.ledgerDir} set-identity ${active.unstakedKeypairPath}`, c.env);
    expect(demote.code).toBe(0);
    expect(await c.judge.violations()).toEqual([]);
  });

  it('makes a staked validator exit at start without its vote history', async () => {
    const c = await start();
    const active = c.validator('active');
    await active.crash();
    fs.rmSync(active.voteHistoryPath(c.stakedPubkey));
    // It may exit before or after it reported ready; either way it does not keep running.
    await active.start().catch((err: Error) => expect(err.message).toContain('Unable to load vote history file'));
    await c.waitFor('the validator exiting', async () => !active.isRunning());
    const log = fs.readFileSync(path.join(active.homeDir, 'validator.log'), 'utf8');
    expect(log).toContain(
      `Unable to load vote history file for identity ${c.stakedPubkey}: IO Error: No such file or directory (os error 2). ` +
        `The vote account ${c.votePubkey} has prior Alpenglow votes.`,
    );
  });

  it('lets a new holder with the copied vote history vote only past it: no double vote', async () => {
    const c = await start();
    const active = c.validator('active');
    const passive = c.validator('passive');
    // The passive replays behind, so without the history it would vote slots the active voted.
    await passive.fallBehind(20);
    const demote = await sh(`agave-validator -l ${active.ledgerDir} set-identity ${active.unstakedKeypairPath}`, c.env);
    expect(demote.code).toBe(0);
    fs.copyFileSync(active.voteHistoryPath(c.stakedPubkey), passive.voteHistoryPath(c.stakedPubkey));
    const lastByActive = Math.max(...(await votesBy(c, 'active')));
    const promote = await sh(`agave-validator -l ${passive.ledgerDir} set-identity ${c.stakedKeypairPath}`, c.env);
    expect(promote.code).toBe(0);
    await passive.fallBehind(0);
    await c.waitFor('the new holder voting', async () => (await votesBy(c, 'passive')).length >= 3);
    expect(Math.min(...(await votesBy(c, 'passive')))).toBeGreaterThan(lastByActive);
    expect(await c.judge.violations()).toEqual([]);
  });

  it('flags the double vote of a lagging new holder promoted with --do-not-require-vote-history', async () => {
    const c = await start();
    const active = c.validator('active');
    const passive = c.validator('passive');
    await passive.fallBehind(1_000_000);
    const heldAt = (await passive.status()).slot;
    await c.waitFor('the active voting 20 slots past the held passive', async () => {
      return Math.max(...(await votesBy(c, 'active'))) >= heldAt + 20;
    });
    await sh(`agave-validator -l ${active.ledgerDir} set-identity ${active.unstakedKeypairPath}`, c.env);
    const promote = await sh(
      `agave-validator -l ${passive.ledgerDir} set-identity --do-not-require-vote-history ${c.stakedKeypairPath}`,
      c.env,
    );
    expect(promote.code).toBe(0);
    // Let the passive replay one slot the active already voted.
    const activeSlots = new Set(await votesBy(c, 'active'));
    const target = [...activeSlots].filter((s) => s > heldAt).sort((a, b) => a - b)[0] ?? heldAt + 1;
    await passive.fallBehind((await c.slot()) - target);
    const violations = await c.waitFor('a double vote', async () => {
      const found = await c.judge.violations();
      return found.length > 0 ? found : undefined;
    });
    expect(violations).toEqual([
      expect.objectContaining({ kind: 'double-vote', reason: 'same-slot', validators: ['active', 'passive'] }),
    ]);
  });
});
