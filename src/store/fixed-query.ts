import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * A statement of the hot path (every POST /v1/messages runs a handful) whose shape never changes:
 * written once with the typed builder, compiled once per dialect, then run as its SQL text with
 * new values. Building and compiling a kysely query costs about as much as SQLite takes to run a
 * small statement; the text, being the same each time, also hits the prepared-statement cache of
 * database.ts.
 *
 * `build` receives a stand-in for each named value; where kysely places each one in the compiled
 * parameters is read off the stand-ins, so the order never has to be written down twice. A
 * stand-in must reach the SQL as a bound parameter (a where value, an inserted or set value),
 * never as an identifier or an inlined literal: compiling checks that every name was bound once.
 */
export interface FixedQuery<P extends string> {
  execute<R = Record<string, unknown>>(db: Kysely<Tables>, values: Readonly<Record<P, unknown>>): Promise<QueryResult<R>>;
}

const STAND_IN = '\u0000fixed:';

export function fixedQuery<P extends string>(names: readonly P[], build: (db: Kysely<Tables>, v: Record<P, any>) => Compilable): FixedQuery<P> {
  // One compiled text per dialect: the adapter object is shared by a Kysely instance and all of
  // its transactions.
  const compiled = new WeakMap<object, { sql: string; order: P[] }>();
  const compile = (db: Kysely<Tables>) => {
    const standIns = Object.fromEntries(names.map((n) => [n, STAND_IN + n])) as Record<P, string>;
    const q = build(db, standIns).compile();
    const order = q.parameters.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(STAND_IN)) throw new Error(`fixedQuery: a value of ${q.sql} is not a named stand-in`);
      return p.slice(STAND_IN.length) as P;
    });
    if (order.length !== names.length || new Set(order).size !== names.length) {
      throw new Error(`fixedQuery: every name must be bound exactly once in ${q.sql}`);
    }
    return { sql: q.sql, order };
  };
  return {
    async execute(db, values) {
      const key = db.getExecutor().adapter;
      let c = compiled.get(key);
      if (!c) {
        c = compile(db);
        compiled.set(key, c);
      }
      return db.executeQuery(CompiledQuery.raw(c.sql, c.order.map((n) => values[n]))) as Promise<QueryResult<any>>;
    },
  };
}
