import { CompiledQuery, type Kysely } from 'kysely';
import { preparedText } from './statement.ts';

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

const LEASED = 'id, company_id, event_id, webhook_id, attempt_count, manual, conversation_id, sequence';

// PostgreSQL only: a SQLite store's claims are held in memory (store/held-claims.ts).
// A lease writes lease_until and nothing else. No index holds that column, so the write is a HOT
// update (the table's fillfactor leaves room on the page, migration 0012): no index entry is
// written, where moving next_attempt_at too wrote a new entry in each of the table's six indexes
// (7-9 ms against 2.3-4.3 ms for 256 rows; 45 -> 15 µs a delivery in bench/store-ops.ts). Leased
// rows then stay in the due range and claims read past them: at most the deliveries in flight. A
// dead worker's deliveries are due again when their leases run out.
// The event comes back with the lease, so a claim needs no round trip of its own to load it. The
// claim's transaction holds the rows already (its SELECT locked them); SKIP LOCKED and the
// conditions, re-checked on the locked row, keep a lease safe on any row it is given.
const LEASE = preparedText('sb_lease_deliveries', `WITH l AS (UPDATE deliveries SET lease_until = $1
      WHERE id IN (SELECT id FROM deliveries WHERE id = ANY($2::text[]) AND status = 'pending'
                     AND (lease_until IS NULL OR lease_until < $3) FOR UPDATE SKIP LOCKED)
      RETURNING ${LEASED})
    SELECT l.*, e.type AS event_type, e.payload FROM l LEFT JOIN events e ON e.id = l.event_id`);

/** Leases the chosen pending deliveries that are still free until `lease`; returns those it got (PostgreSQL). */
export async function leaseDeliveries(trx: Kysely<any>, ids: string[], now: number, lease: number): Promise<LeasedRow[]> {
  return (await trx.executeQuery<LeasedRow>(CompiledQuery.raw(LEASE, [lease, ids, now]))).rows;
}
