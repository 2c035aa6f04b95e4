/**
 * Per-endpoint `rate_limit_per_s`, as token buckets held by one worker process (burst: one
 * second's worth). With several worker processes each enforces the limit on its own, so the
 * endpoint may see up to N times the rate; documented in docs/webhooks.md.
 */
export interface RateBuckets {
  /** Takes a token: 0 when granted, else the milliseconds until one is available. */
  take(endpointId: string, perSecond: number | null, now: number): number;
  /** Endpoints with no token left at `now`, to leave out of the next claim. */
  empty(now: number): string[];
}

// Buckets untouched this long are full again anyway; drop them so the map stays small.
const IDLE_MS = 60_000;

export function createRateBuckets(): RateBuckets {
  const buckets = new Map<string, { tokens: number; at: number; rate: number }>();

  const refill = (b: { tokens: number; at: number; rate: number }, now: number) => {
    b.tokens = Math.min(b.rate, b.tokens + ((now - b.at) * b.rate) / 1000);
    b.at = now;
  };

  return {
    take(id, perSecond, now) {
      if (perSecond === null) {
        buckets.delete(id);
        return 0;
      }
      let b = buckets.get(id);
      if (!b || b.rate !== perSecond) {
        b = { tokens: perSecond, at: now, rate: perSecond };
        buckets.set(id, b);
      }
      refill(b, now);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - b.tokens) * 1000) / b.rate);
    },
    empty(now) {
      const out: string[] = [];
      for (const [id, b] of buckets) {
        if (now - b.at > IDLE_MS) {
          buckets.delete(id);
          continue;
        }
        refill(b, now);
        if (b.tokens < 1) out.push(id);
      }
      return out;
    },
  };
}
