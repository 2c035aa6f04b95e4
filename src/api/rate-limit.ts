import type { Database } from '../store/database.ts';
import { takeToken, type Take } from '../store/rate-limits.ts';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  reset: number;
  /** Seconds until the next request would pass (for retry-after). */
  retryAfter: number;
}

export interface RateLimiter {
  take(keyId: string): Promise<RateDecision>;
  /** Whether a request would pass now, without taking a token. */
  peek(keyId: string): Promise<RateDecision>;
}

/**
 * Per-key token buckets: `rate` requests per second, bursts up to twice that. On SQLite one process
 * owns the store, so the buckets live in memory; on PostgreSQL they live in the database, so the
 * limit holds across any number of API processes.
 */
export function createRateLimiter(database: Database, rate: number): RateLimiter | null {
  if (rate <= 0) return null;
  const burst = rate * 2;
  const decide = (t: Take): RateDecision => ({
    allowed: t.allowed,
    limit: rate,
    remaining: Math.max(0, Math.floor(t.tokens)),
    reset: Math.ceil((burst - Math.max(t.tokens, 0)) / rate),
    retryAfter: t.allowed ? 0 : Math.max(1, Math.ceil((1 - t.tokens) / rate)),
  });

  if (database.dialect === 'postgres') {
    return {
      take: async (keyId) => decide(await takeToken(database.db, keyId, rate, burst, Date.now())),
      peek: async (keyId) => decide(await takeToken(database.db, keyId, rate, burst, Date.now(), 0)),
    };
  }

  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (keyId: string, cost: 0 | 1): RateDecision => {
    const now = Date.now();
    const b = buckets.get(keyId) ?? { tokens: burst, at: now };
    b.tokens = Math.max(Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000) - cost, -1);
    b.at = now;
    // A full bucket is the same as none: forgetting it keeps the map to the clients that are busy
    // now, which matters for per-address buckets (any number of addresses).
    if (b.tokens >= burst) buckets.delete(keyId);
    else buckets.set(keyId, b);
    return decide({ allowed: b.tokens >= 1 - cost, tokens: b.tokens });
  };
  return {
    take: async (keyId) => level(keyId, 1),
    peek: async (keyId) => level(keyId, 0),
  };
}

/**
 * Requests without a valid key (none, a wrong one, a wrong admin token) share a bucket per client
 * address, so guessing keys is bounded to `rate` tries per second per address. Kept in the same
 * store as the per-key buckets, under `addr:` ids that no key id can take.
 */
export function addressBucket(ip: string): string {
  return `addr:${ip}`;
}
