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
const GATHER_MS = 5;
// PostgreSQL deadlock and serialization failures: the batch is simply written again.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 5;

export function createOutcomeBatcher(ctx: DeliveryContext): OutcomeBatcher {
  let queue: { a: SentAttempt; resolve: (o: Recorded) => void; reject: (e: unknown) => void }[] = [];
  let writing = false;

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

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        // Let other requests finishing about now join the batch: a commit costs far more than a
        // row, and nothing waits on the outcome but the store (the slot is free already). Needed
        // on SQLite above all, whose statements run synchronously: without this pause nothing
        // else arrives while a batch is written.
        if (queue.length < MAX_BATCH) await new Promise<void>((resolve) => setTimeout(resolve, GATHER_MS));
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
        if (!writing) {
          writing = true;
          void drain();
        }
      });
    },
  };
}
