import type { Kysely } from 'kysely';
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
