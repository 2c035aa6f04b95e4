import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';
import type { CompanyT } from '../domain/schemas.ts';

export async function insertCompany(db: Kysely<Tables>, company: CompanyT): Promise<void> {
  await db.insertInto('companies').values(company).execute();
}

export async function findCompanyByName(db: Kysely<Tables>, name: string): Promise<CompanyT | undefined> {
  return db.selectFrom('companies').selectAll().where('name', '=', name).orderBy('id').executeTakeFirst();
}

export async function countCompanies(db: Kysely<Tables>): Promise<number> {
  const row = await db.selectFrom('companies').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every company, oldest first (the CLI's `companies`). */
export async function listCompanies(db: Kysely<Tables>): Promise<CompanyT[]> {
  return db.selectFrom('companies').selectAll().orderBy('id').execute();
}

// Any number of processes may start at once on one PostgreSQL: one at a time creates company
// `default` and its owner key.
const BOOTSTRAP_LOCK_ID = 727_274_002;

/** Serialises bootstraps across processes for the rest of the transaction (PostgreSQL; SQLite has one writer). */
export async function lockBootstrap(trx: Kysely<Tables>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`.execute(trx);
}
