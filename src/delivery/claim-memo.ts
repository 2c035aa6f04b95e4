/**
 * Remembers that a claim found nothing outside the endpoints it left out, so the next claims do
 * not ask again. Such a claim reads every due row of the endpoints it leaves out to say so: with
 * one busy endpoint holding a backlog that is the whole backlog, after every round that fills its
 * lane. The answer stands for claims leaving out at least the same endpoints, until something may
 * have become due elsewhere (`mayBeDue`: a notification, a retry or a release), or `ttlMs` passes
 * (retries and leases coming due on their own). No I/O, no timers: the clock is passed in.
 */
export interface ClaimMemo {
  /** Before a claim: whether it can be skipped (it would find nothing), and a token for `remember`. */
  before(excluded: ReadonlySet<string>, now: number): { skip: boolean; token: number };
  /** After a claim that left out `excluded` and found nothing. */
  foundNothing(token: number, excluded: ReadonlySet<string>, now: number): void;
  /** Rows may have become due anywhere: forget. */
  mayBeDue(): void;
}

export function createClaimMemo(ttlMs: number): ClaimMemo {
  let memo: { excluded: ReadonlySet<string>; until: number } | null = null;
  // Counts mayBeDue calls, so a claim that ran across one does not record an answer that was
  // already stale when it returned.
  let generation = 0;
  return {
    before(excluded, now) {
      if (memo && (now >= memo.until || ![...memo.excluded].every((id) => excluded.has(id)))) memo = null;
      return { skip: memo !== null, token: generation };
    },
    foundNothing(token, excluded, now) {
      if (excluded.size > 0 && token === generation) memo ??= { excluded, until: now + ttlMs };
    },
    mayBeDue() {
      generation++;
      memo = null;
    },
  };
}
