import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * The queue's hot statements are written once as SQL text per dialect and run as they are: no
 * query building per call, and one prepared statement each (SQLite caches statements by text,
 * store/database.ts). A batch of any size is the same text: lists travel as one parameter, a typed
 * array on PostgreSQL and a JSON array read with json_each on SQLite, except where SQLite runs a
 * per-row statement faster once per row (`eachRow`: inserts). One file per queue operation, after
 * graphile-worker's src/sql/. (Statements of a fixed shape that the typed builder can write, e.g.
 * the API's inserts, use store/fixed-query.ts instead: built once, run as text.)
 */
export type Dialect = DialectName;

export interface Statement {
  sqlite: string;
  postgres: string;
}

/**
 * A PostgreSQL text starting with this comment runs as a named prepared statement (the pool's
 * clients are wrapped for it in store/database.ts): parsed and planned once per connection, not
 * on every batch.
 */
export const PREPARED_PREFIX = '/*prepared:';

/** The statement with its PostgreSQL text marked for preparing under `name`. */
export function prepared(name: string, stmt: Statement): Statement {
  return { sqlite: stmt.sqlite, postgres: `${PREPARED_PREFIX}${name}*/ ${stmt.postgres}` };
}

/**
 * A SQLite text starting with this comment is run by store/database.ts once per parameter tuple,
 * all in one call: the parameters are the list of tuples, the rows are all the rows returned and
 * the changes all the changes. Measured on the attempts insert: 3.7 µs a row so, 9.5 µs a row
 * through json_each, which parses each row's JSON again for every `->>`. Not for updates by id:
 * there one UPDATE over json_each ids costs 2.7-3 µs a row, an UPDATE per row 4.2.
 */
export const EACH_ROW_PREFIX = '/*each-row*/ ';

/** The SQLite text, run once per tuple of the list given as its parameters. */
export const eachRow = (sql: string) => EACH_ROW_PREFIX + sql;

export interface Result<R> {
  rows: R[];
  /** Rows written by an INSERT, UPDATE or DELETE without RETURNING. */
  changes: number;
}

export async function run<R = Record<string, unknown>>(db: Kysely<any>, dialect: Dialect, stmt: Statement, params: unknown[]): Promise<Result<R>> {
  const r = await db.executeQuery<R>(CompiledQuery.raw(stmt[dialect], params));
  return { rows: r.rows, changes: Number(r.numAffectedRows ?? 0n) };
}

/** A list parameter: JSON text for SQLite's json_each, the array itself for PostgreSQL. */
export function list(dialect: Dialect, values: readonly unknown[]): unknown {
  return dialect === 'sqlite' ? JSON.stringify(values) : values;
}
