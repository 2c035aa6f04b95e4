import { sql, type Kysely } from 'kysely';

/**
 * The readiness rule of every process (the API's /readyz and the worker's): ready when a query on
 * the store succeeds.
 */
export async function storeAnswers(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
