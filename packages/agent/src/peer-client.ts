import type { Clock, PeerAnswer } from '@failover/core';
import { createAgentClient, type Secret } from '@failover/protocol';
import type { PeerAsker } from './role-runner';

/** Options of {@link createPeerAsker}. */
export interface PeerAskerOptions {
  /** `peer_endpoint`: the other agent's base URL. */
  readonly endpoint: string;
  /** The shared secret; undefined with `insecure_no_auth`. */
  readonly secret: Secret | undefined;
  /** Who asks, as the Go tool sent it (its listen address). */
  readonly self: string;
  /** @default 3_000 */
  readonly timeoutMs?: number;
  /** For signatures and wire timestamps. */
  readonly clock: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Asks the peer agent's `/peer-status` whether it is active, through the protocol's signed
 * client. Anything but a valid answer is `unreachable`: the watchdog then stays active, since
 * stepping down on a guess could leave nobody voting.
 */
export function createPeerAsker(options: PeerAskerOptions): PeerAsker {
  const client = createAgentClient({
    baseUrl: options.endpoint,
    secret: options.secret,
    timeoutMs: options.timeoutMs ?? 3_000,
    clock: options.clock,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  return async () => {
    const result = await client.peerStatus({ fromValidator: options.self });
    if (!result.ok) return { answer: 'unreachable', detail: `${result.error.kind}: ${result.error.message}` };
    const answer: PeerAnswer = result.value.is_active ? 'active' : 'passive';
    return { answer, detail: null };
  };
}

/** The watchdog's answer when no `peer_endpoint` is configured. */
export const noPeer: PeerAsker = () =>
  Promise.resolve({ answer: 'unreachable', detail: 'no peer_endpoint configured' });
