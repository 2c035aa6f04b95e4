import type { Kysely } from 'kysely';
import type { Tables } from '../tables.ts';
import { prepared, run, type Dialect } from './statement.ts';

/** An attempt row as stored: headers as JSON text. */
export type AttemptInsert = Tables['attempts'];

// One statement for the whole batch, whatever its size: the rows travel as one JSON array.
const INSERT = prepared('sb_insert_attempts', {
  sqlite: `INSERT INTO attempts (id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body)
    SELECT value ->> 'id', value ->> 'delivery_id', value ->> 'webhook_id', value ->> 'at', value ->> 'status_code', value ->> 'error',
           value ->> 'duration_ms', value ->> 'request_headers', value ->> 'response_headers', value ->> 'response_body'
    FROM json_each(?)`,
  postgres: `INSERT INTO attempts (id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body)
    SELECT id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body
    FROM json_populate_recordset(NULL::attempts, $1::json)`,
});

/** Appends attempt rows (the delivery log's history). */
export async function insertAttempts(trx: Kysely<any>, dialect: Dialect, rows: AttemptInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await run(trx, dialect, INSERT, [JSON.stringify(rows)]);
}
