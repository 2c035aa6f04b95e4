import type { Kysely } from 'kysely';
import { list, prepared, run, type Dialect } from './statement.ts';

// A claim is identified by its delivery and its lease: a row whose lease changed belongs to
// another worker now (its lease expired) or was re-queued by a person, and is left as it is.
// SQLite's rows carry no lease (claims are held in memory, store/held-claims.ts, and the caller
// passes only those still held), nor does a listener session's delivery (NULL, given as 0).
const MARK = prepared('sb_mark_succeeded', {
  sqlite: `UPDATE deliveries SET status = 'succeeded', attempt_count = attempt_count + 1, lease_until = NULL,
      next_attempt_at = NULL, manual = 0, updated_at = ?
    WHERE id IN (SELECT value FROM json_each(?)) AND lease_until IS NULL AND status = 'pending'
    RETURNING id`,
  postgres: `UPDATE deliveries AS d SET status = 'succeeded', attempt_count = d.attempt_count + 1, lease_until = NULL,
      next_attempt_at = NULL, manual = 0, updated_at = $1
    FROM unnest($2::text[], $3::bigint[]) AS c(id, lease)
    WHERE d.id = c.id AND COALESCE(d.lease_until, 0) = c.lease AND d.status = 'pending'
    RETURNING d.id`,
});

/** Claims whose attempt succeeded: each still held is finished; returns the ids it finished. */
export async function markSucceeded(trx: Kysely<any>, dialect: Dialect, claims: { id: string; lease_until: number }[], now: number): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const at = new Date(now).toISOString();
  const params =
    dialect === 'sqlite'
      ? [at, list(dialect, claims.map((c) => c.id))]
      : [at, claims.map((c) => c.id), claims.map((c) => c.lease_until)];
  const { rows } = await run<{ id: string }>(trx, dialect, MARK, params);
  return new Set(rows.map((r) => r.id));
}
