import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * The writes that end an attempt's claim (delivery/attempt-outcome.ts decides which): each one
 * clears the lease and a manual retry's mark, so the delivery is claimable again only as its new
 * state says.
 */

/** A failed attempt with a retry left: due again at `dueAt`, `attempts` charged to the schedule. */
export async function scheduleRetry(trx: Kysely<Tables>, id: string, attempts: number, dueAt: number, now: number): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({ attempt_count: attempts, lease_until: null, next_attempt_at: dueAt, manual: 0, updated_at: new Date(now).toISOString() })
    .where('id', '=', id)
    .execute();
}

/** The last attempt failed (or the URL is gone): the delivery ends as failed. */
export async function markExhausted(trx: Kysely<Tables>, id: string, attempts: number, now: number): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({ status: 'failed', attempt_count: attempts, lease_until: null, next_attempt_at: null, manual: 0, updated_at: new Date(now).toISOString() })
    .where('id', '=', id)
    .execute();
}

/** Any success resets the endpoint's failure counter (no write, and no lock, when it is already 0). */
export async function resetFailureCount(trx: Kysely<Tables>, webhookId: string): Promise<void> {
  await trx
    .updateTable('webhooks')
    .set({ failure_count: 0, failure_window_start: null })
    .where('id', '=', webhookId)
    .where((eb) => eb.or([eb('failure_count', '!=', 0), eb('failure_window_start', 'is not', null)]))
    .execute();
}
