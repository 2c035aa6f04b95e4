import type { Kysely } from 'kysely';
import { list, prepared, run, type Dialect } from './statement.ts';

export interface DueCandidate {
  id: string;
  webhook_id: string;
  manual: number | boolean;
  max_in_flight: number;
  timeout_ms: number;
  webhook_status: string;
  /** For ordered endpoints: the nearest earlier delivery of the conversation still pending. */
  pred: string | null;
}

// Listener sessions' deliveries go over their stream (store/listeners.ts), never over HTTP.
// No tie-breaker in ORDER BY: the due index gives this order, and a second key would sort every due row.
const PRED = `CASE WHEN w.ordering = 'conversation' AND d.sequence IS NOT NULL AND d.conversation_id IS NOT NULL THEN
      (SELECT p.id FROM deliveries p WHERE p.webhook_id = d.webhook_id AND p.conversation_id = d.conversation_id
         AND p.status = 'pending' AND p.sequence < d.sequence ORDER BY p.sequence DESC LIMIT 1) END AS pred`;

const SELECT_DUE = prepared('sb_select_due', {
  sqlite: `SELECT d.id, d.webhook_id, d.manual, w.max_in_flight, w.timeout_ms, w.status AS webhook_status, ${PRED}
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.kind = 'endpoint'
      AND (d.lease_until IS NULL OR d.lease_until < ?)
      AND d.webhook_id NOT IN (SELECT value FROM json_each(?))
    ORDER BY d.next_attempt_at LIMIT ?`,
  postgres: `SELECT d.id, d.webhook_id, d.manual, w.max_in_flight, w.timeout_ms, w.status AS webhook_status, ${PRED}
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.kind = 'endpoint'
      AND (d.lease_until IS NULL OR d.lease_until < $1)
      AND NOT (d.webhook_id = ANY($2::text[]))
    ORDER BY d.next_attempt_at LIMIT $3`,
});

/** Due, unleased deliveries of HTTP endpoints, oldest due first, leaving out `exclude`'s endpoints. */
export async function selectDue(db: Kysely<any>, dialect: Dialect, o: { now: number; exclude: string[]; limit: number }): Promise<DueCandidate[]> {
  const params = dialect === 'sqlite' ? [o.now, o.now, list(dialect, o.exclude), o.limit] : [o.now, o.exclude, o.limit];
  return (await run<DueCandidate>(db, dialect, SELECT_DUE, params)).rows;
}
