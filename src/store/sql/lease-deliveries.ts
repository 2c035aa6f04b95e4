import type { Kysely } from 'kysely';
import { list, prepared, run, type Dialect } from './statement.ts';

export interface LeasedRow {
  id: string;
  company_id: string;
  event_id: string;
  webhook_id: string;
  attempt_count: number;
  manual: number | boolean;
  conversation_id: string | null;
  sequence: number | null;
  /** The event it carries, read in the same statement (null if the event is gone). */
  event_type: string | null;
  payload: string | null;
}

// The event comes back with the lease, so a claim needs no statement of its own to load it (on
// PostgreSQL, no round trip): two lookups of one row by primary key.
const COLUMNS = `id, company_id, event_id, webhook_id, attempt_count, manual, conversation_id, sequence,
    (SELECT e.type FROM events e WHERE e.id = deliveries.event_id) AS event_type,
    (SELECT e.payload FROM events e WHERE e.id = deliveries.event_id) AS payload`;

// The lease's end is also the row's next_attempt_at, so leased rows leave the due range and come
// back into it by themselves when the lease runs out (store/queue.ts). On PostgreSQL the rows are
// locked with SKIP LOCKED: concurrent workers split them, and the conditions are re-checked on the
// locked row.
const LEASE = prepared('sb_lease_deliveries', {
  sqlite: `UPDATE deliveries SET lease_until = ?, next_attempt_at = ?
    WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)
    RETURNING ${COLUMNS}`,
  postgres: `UPDATE deliveries SET lease_until = $1, next_attempt_at = $1
    WHERE id IN (SELECT id FROM deliveries WHERE id = ANY($2::text[]) AND status = 'pending'
                   AND (lease_until IS NULL OR lease_until < $3) FOR UPDATE SKIP LOCKED)
    RETURNING ${COLUMNS}`,
});

/** Leases the chosen pending deliveries that are still free until `lease`; returns those it got. */
export async function leaseDeliveries(trx: Kysely<any>, dialect: Dialect, ids: string[], now: number, lease: number): Promise<LeasedRow[]> {
  const params = dialect === 'sqlite' ? [lease, lease, list(dialect, ids), now] : [lease, ids, now];
  return (await run<LeasedRow>(trx, dialect, LEASE, params)).rows;
}
