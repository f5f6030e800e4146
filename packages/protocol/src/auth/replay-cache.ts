/**
 * Remembers the nonces of accepted requests for as long as their timestamps are accepted,
 * so that a captured request cannot be sent again. Bounded in size; when full of live
 * nonces it refuses new ones (fails closed) rather than forgetting one that could then
 * be replayed. Only requests with a valid signature reach it, so only a holder of the
 * secret could fill it; at the manager's rate (two requests per heartbeat) a 30 s window
 * holds a few dozen nonces.
 */

/** Options of {@link createReplayCache}. */
export interface ReplayCacheOptions {
  /**
   * Most nonces held at once.
   * @default 10000
   */
  readonly maxEntries?: number;
}

/** A set of recently used nonces with expiry. */
export interface ReplayCache {
  /**
   * Records `nonce` as used until `expiresAt` (Unix ms). Returns `false` when it is already
   * recorded and not expired, or when the cache is full of unexpired nonces.
   */
  remember(nonce: string, expiresAt: number, now: number): boolean;
  /** Number of nonces currently held. */
  readonly size: number;
}

/** Creates an in-memory {@link ReplayCache}; time comes from the caller, never from a clock here. */
export function createReplayCache(options: ReplayCacheOptions = {}): ReplayCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, number>();

  const prune = (now: number, full: boolean): void => {
    for (const [nonce, expiresAt] of entries) {
      if (expiresAt <= now) entries.delete(nonce);
      // Insertion order is nearly expiry order; a full scan is needed only when at the cap.
      else if (!full) return;
    }
  };

  return {
    remember(nonce, expiresAt, now) {
      prune(now, false);
      const known = entries.get(nonce);
      if (known !== undefined && known > now) return false;
      if (entries.size >= maxEntries) prune(now, true);
      if (entries.size >= maxEntries) return false;
      entries.set(nonce, expiresAt);
      return true;
    },
    get size() {
      return entries.size;
    },
  };
}
