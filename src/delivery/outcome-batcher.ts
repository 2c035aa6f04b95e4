import type { DeliveryContext } from './context.ts';
import { recordAttempts, type Recorded, type SentAttempt } from './attempt-outcome.ts';

/**
 * Group commit for attempt outcomes: attempts that finish while a batch is being written wait and
 * go together in the next transaction. Under load batches grow by themselves; when idle, each
 * attempt is written at once.
 */
export interface OutcomeBatcher {
  record(a: SentAttempt): Promise<Recorded>;
}

const MAX_BATCH = 512;
// How long the first outcome of a batch waits for others. A commit's cost is mostly the pages it
// touches (index leaves of deliveries, the attempts tail), which a bigger batch shares: on SQLite a
// batch of 64 costs about twice as much per delivery as one of 256 (bench/store-ops.ts). Nothing
// waits on an outcome of an unordered endpoint but the store, so those wait longer; an ordered
// endpoint's next delivery waits for this one's outcome, so a batch holding one goes sooner.
const GATHER_MS = 25;
const GATHER_ORDERED_MS = 5;
// PostgreSQL deadlock and serialization failures: the batch is simply written again.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 5;

export function createOutcomeBatcher(ctx: DeliveryContext): OutcomeBatcher {
  let queue: { a: SentAttempt; resolve: (o: Recorded) => void; reject: (e: unknown) => void }[] = [];
  let writing = false;
  // While gathering: ends the wait now (batch full), and shortens it (an ordered outcome arrived).
  let full: (() => void) | null = null;
  let orderedDeadline: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;

  async function write(batch: typeof queue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await recordAttempts(ctx, batch.map((x) => x.a));
        batch.forEach((x, i) => x.resolve(outcomes[i]));
        return;
      } catch (err) {
        if (attempt < MAX_TRIES && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        for (const x of batch) x.reject(err);
        return;
      }
    }
  }

  /** Waits for more outcomes: until the batch is full, or its window (the shortest its outcomes allow) ends. */
  function gather(): Promise<void> {
    return new Promise<void>((resolve) => {
      const ordered = () => queue.some((x) => x.a.endpoint.ordering === 'conversation');
      full = resolve;
      timer = setTimeout(resolve, ordered() ? GATHER_ORDERED_MS : GATHER_MS);
      // An ordered outcome arriving during a long window shortens it.
      orderedDeadline = ordered() ? null : () => {
        clearTimeout(timer);
        timer = setTimeout(resolve, GATHER_ORDERED_MS);
      };
    }).finally(() => {
      clearTimeout(timer);
      full = null;
      orderedDeadline = null;
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        // Let other requests finishing about now join the batch: a commit costs far more than a
        // row, and nothing waits on the outcome but the store (the slot is free already). Needed
        // on SQLite above all, whose statements run synchronously: without this pause nothing
        // else arrives while a batch is written.
        if (queue.length < MAX_BATCH) await gather();
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        await write(batch);
      }
    } finally {
      writing = false;
    }
  }

  return {
    record(a) {
      return new Promise<Recorded>((resolve, reject) => {
        queue.push({ a, resolve, reject });
        if (queue.length >= MAX_BATCH) full?.();
        else if (a.endpoint.ordering === 'conversation' && orderedDeadline) {
          const shorten = orderedDeadline;
          orderedDeadline = null;
          shorten();
        }
        if (!writing) {
          writing = true;
          void drain();
        }
      });
    },
  };
}
