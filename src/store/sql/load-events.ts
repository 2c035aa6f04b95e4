import type { Kysely } from 'kysely';
import { arrayRows, list, prepared, runRows, type Dialect } from './statement.ts';

const LOAD = arrayRows<{ id: string; type: string; payload: string }>(
  prepared('sb_load_events', {
    sqlite: `SELECT id, type, payload FROM events WHERE id IN (SELECT value FROM json_each(?))`,
    postgres: `SELECT id, type, payload FROM events WHERE id = ANY($1::text[])`,
  }),
  ['id', 'type', 'payload'],
);

/** Event payloads and types by id, for a claimed batch. */
export async function loadEvents(db: Kysely<any>, dialect: Dialect, ids: string[]): Promise<Map<string, { type: string; payload: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await runRows(db, dialect, LOAD, [list(dialect, ids)]);
  return new Map(rows.map((r) => [r.id, { type: r.type, payload: r.payload }]));
}
