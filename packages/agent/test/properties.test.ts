import type { StepResult } from '@failover/core';
import { SimulatedClock, silentLogger } from '@failover/core/testing';
import fc from 'fast-check';
import { resolvePlaceholders } from '../src/command-runner';
import { redactSecrets } from '@failover/protocol';
import { createRoleRunner } from '../src/role-runner';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('invariants', () => {
  it('never runs two role-change steps at once, whatever requests arrive in whatever order', async () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant('request' as const),
        action: fc.constantFrom('become_active' as const, 'become_passive' as const),
        skip: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('finish' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
      fc.constant({ kind: 'heartbeat' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('active' as const, 'passive' as const),
        fc.array(event, { maxLength: 40 }),
        async (initialRole, events) => {
          const clock = new SimulatedClock(0);
          const pending: Array<(r: StepResult) => void> = [];
          let running = 0;
          let maxRunning = 0;
          const runner = createRoleRunner({
            initialRole,
            clock,
            machine: { managerTimeoutMs: 30_000, startupGraceMs: 30_000, peerCheckIntervalMs: 10_000 },
            executeStep: () =>
              new Promise<StepResult>((resolve) => {
                running++;
                maxRunning = Math.max(maxRunning, running);
                pending.push((r) => {
                  running--;
                  resolve(r);
                });
              }),
            askPeer: async () => ({ answer: 'active', detail: null }),
            checkIdentity: async () => ({ identity: 'unknown', detail: null }),
            probeReachability: async () => ({ peer: true, clusterSlot: null }),
            logger: silentLogger,
            watchdogIntervalMs: 1_000,
          });
          runner.start();
          const answers: Array<Promise<unknown>> = [];
          for (const e of events) {
            if (e.kind === 'request') answers.push(runner.request(e.action, e.skip));
            else if (e.kind === 'finish') pending.shift()?.(e.ok ? { ok: true } : { ok: false, detail: 'failed' });
            else if (e.kind === 'tick') clock.advance(e.ms);
            else runner.heartbeat();
            await flush();
          }
          // Drain: finish every step so every request is answered.
          for (let i = 0; i < 200 && pending.length > 0; i++) {
            pending.shift()?.({ ok: true });
            await flush();
          }
          expect(maxRunning).toBeLessThanOrEqual(1);
          await runner.stop();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never lets a configured secret or a keypair through redaction', () => {
    const hexSecret = fc.stringMatching(/^[0-9a-f]{16,64}$/);
    fc.assert(
      fc.property(
        hexSecret,
        fc.string(),
        fc.string(),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 64, maxLength: 64 }),
        (secret, before, after, bytes) => {
          const keypair = JSON.stringify(bytes);
          const out = redactSecrets(`${before}${secret}${after} ${keypair} ${secret}`, [secret]);
          expect(out).not.toContain(secret);
          expect(out).not.toContain(keypair);
        },
      ),
    );
  });

  it('changes nothing in a template outside the known placeholders', () => {
    fc.assert(
      fc.property(fc.string(), (template) => {
        fc.pre(!template.includes('{validator_identity}') && !template.includes('{ledger}'));
        expect(resolvePlaceholders(template, { validator_identity: 'X', ledger: '/l' })).toBe(template);
      }),
    );
  });
});
