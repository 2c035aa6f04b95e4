import type { Kysely } from 'kysely';
import type { Tables } from '../tables.ts';
import { eachRow, prepared, run, type Dialect } from './statement.ts';

/** An attempt row as stored: headers as JSON text. */
export type AttemptInsert = Tables['attempts'];

// One statement for the whole batch, whatever its size: on PostgreSQL the rows travel as one JSON
// array, on SQLite the row statement runs once per row.
const INSERT = prepared('sb_insert_attempts', {
  sqlite: eachRow(`INSERT INTO attempts (id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  postgres: `INSERT INTO attempts (id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body)
    SELECT id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body
    FROM json_populate_recordset(NULL::attempts, $1::json)`,
});

/** Appends attempt rows (the delivery log's history). */
export async function insertAttempts(trx: Kysely<any>, dialect: Dialect, rows: AttemptInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const params =
    dialect === 'sqlite'
      ? rows.map((r) => [r.id, r.delivery_id, r.webhook_id, r.at, r.status_code, r.error, r.duration_ms, r.request_headers, r.response_headers, r.response_body])
      : [JSON.stringify(rows)];
  await run(trx, dialect, INSERT, params);
}
