import { sql } from 'kysely';
import type { ServiceContext } from './context.ts';
import { generateApiKey, hashApiKey, keyPrefix } from '../domain/api-keys.ts';
import { countCompanies, insertCompany } from '../store/companies.ts';
import { insertApiKey } from '../store/api-keys.ts';

const BOOTSTRAP_LOCK_ID = 727_274_002;

/**
 * First start with an empty store: creates company `default` and its owner key. Returns the
 * plaintext key when it was generated (the caller prints it once), null otherwise. Several
 * processes starting together on PostgreSQL create it once (advisory lock).
 */
export async function bootstrap(ctx: ServiceContext, configuredKey: string | null): Promise<{ companyId: string; generatedKey: string | null } | null> {
  return ctx.database.db.transaction().execute(async (trx) => {
    if (ctx.database.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`.execute(trx);
    if ((await countCompanies(trx)) > 0) return null;
    const now = new Date().toISOString();
    const company = { id: ctx.newId('cmp'), name: 'default', created_at: now };
    await insertCompany(trx, company);
    const key = configuredKey ?? generateApiKey();
    await insertApiKey(trx, {
      id: ctx.newId('key'),
      company_id: company.id,
      name: 'bootstrap',
      role: 'owner',
      prefix: keyPrefix(key),
      key_hash: hashApiKey(key),
      created_at: now,
      last_used_at: null,
    });
    return { companyId: company.id, generatedKey: configuredKey ? null : key };
  });
}
