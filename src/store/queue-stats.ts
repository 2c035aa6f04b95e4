import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/** Pending deliveries and the age of the oldest due one, for the metrics gauges. */
export async function queueStats(db: Kysely<Tables>): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => [eb.fn.countAll<number>().as('depth'), eb.fn.min('next_attempt_at').as('oldest')])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  const oldest = row.oldest === null ? null : Number(row.oldest);
  return { depth: Number(row.depth), oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000) };
}
