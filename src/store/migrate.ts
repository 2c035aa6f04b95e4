import { sql } from 'kysely';
import type { Database } from './database.ts';
import { MIGRATIONS, type DialectTypes } from './migrations/ddl.ts';

export const TYPES: Record<Database['dialect'], DialectTypes> = {
  sqlite: { bigint: 'INTEGER', double: 'REAL', withoutRowid: ' WITHOUT ROWID', postgresOnly: () => '' },
  postgres: { bigint: 'BIGINT', double: 'DOUBLE PRECISION', withoutRowid: '', postgresOnly: (statement) => statement },
};

// Any constant works; it only has to be the same in every Switchboard process.
const ADVISORY_LOCK_ID = 727_274_001;

/**
 * Applies pending migrations in one transaction. On PostgreSQL the transaction first takes an
 * advisory lock, so several nodes starting together apply each migration exactly once.
 */
export async function migrate(database: Database): Promise<string[]> {
  const { db, dialect } = database;
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_ID})`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`.execute(trx);
    const done = new Set((await trx.selectFrom('schema_migrations').select('id').execute()).map((r) => r.id));
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.statements(TYPES[dialect])) if (statement !== '') await sql.raw(statement).execute(trx);
      await trx.insertInto('schema_migrations').values({ id: migration.id, applied_at: new Date().toISOString() }).execute();
      applied.push(migration.id);
    }
    return applied;
  });
}
