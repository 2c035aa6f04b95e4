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

/** A PostgreSQL text marked for preparing under `name`. */
export const preparedText = (name: string, text: string) => `${PREPARED_PREFIX}${name}*/ ${text}`;

/** The statement with its PostgreSQL text marked for preparing under `name`. */
export function prepared(name: string, stmt: Statement): Statement {
  return { sqlite: stmt.sqlite, postgres: preparedText(name, stmt.postgres) };
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

/**
 * A SQLite text starting with this comment returns its rows as arrays, in the order of its
 * columns (better-sqlite3's raw mode), and `runRows` makes them objects with `columns`' names in
 * JavaScript. better-sqlite3 builds a row object one property at a time: measured on the claim's
 * 14 columns, 3.5 µs a row against 1.4 as an array. For the statements that return many rows.
 */
export const ARRAY_ROWS_PREFIX = '/*array-rows*/ ';

/** A statement whose SQLite rows come as arrays of these columns (ARRAY_ROWS_PREFIX). */
export interface ColumnsStatement<R> extends Statement {
  toRow: (values: unknown[]) => R;
}

/**
 * The statement with its SQLite text marked for array rows, and the function that names their
 * values: `columns` are the names of the SELECT's columns in order (the PostgreSQL text returns
 * them as objects anyway).
 */
export function arrayRows<R>(stmt: Statement, columns: readonly (keyof R & string)[]): ColumnsStatement<R> {
  const toRow = (values: unknown[]): R => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row as R;
  };
  return { sqlite: ARRAY_ROWS_PREFIX + stmt.sqlite, postgres: stmt.postgres, toRow };
}

/** Runs a statement made by `arrayRows`: its rows as objects on either store. */
export async function runRows<R>(db: Kysely<any>, dialect: Dialect, stmt: ColumnsStatement<R>, params: unknown[]): Promise<R[]> {
  const r = await db.executeQuery<R>(CompiledQuery.raw(stmt[dialect], params));
  return dialect === 'sqlite' ? (r.rows as unknown as unknown[][]).map(stmt.toRow) : r.rows;
}

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
