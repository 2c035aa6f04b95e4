import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { ServiceContext } from './context.ts';
import { generateApiKey, hashApiKey, keyPrefix } from '../domain/api-keys.ts';
import { countCompanies, findCompanyByName, insertCompany, lockBootstrap } from '../store/companies.ts';
import { findApiKeyByHash, insertApiKey, lockOwnerKeys } from '../store/api-keys.ts';

export interface BootstrapResult {
  companyId: string;
  /** The plaintext owner key when one was generated now (the caller prints it once), else null. */
  generatedKey: string | null;
  /**
   * True when SWITCHBOARD_BOOTSTRAP_KEY is set but was not used: company `default` already has an
   * owner key, and it is another one. The caller tells the operator, so a tour does not end in 401s.
   */
  configuredKeyIgnored: boolean;
}

/**
 * Makes sure company `default` exists and has an owner key. The configured key (or a generated
 * one) becomes that key whenever the company has none yet — on the first start, and on a later one
 * when an earlier start stopped before printing its key. Returns null when the store holds other
 * companies but no `default` (nothing to do). Several processes starting together on PostgreSQL
 * create it once (advisory lock).
 *
 * Callers run this only once they can print the key (after listen), so a start that fails before
 * leaves no key nobody has seen.
 */
export async function bootstrap(ctx: ServiceContext, configuredKey: string | null): Promise<BootstrapResult | null> {
  return ctx.database.db.transaction().execute(async (trx) => {
    await lockBootstrap(trx, ctx.database.dialect);
    const now = new Date().toISOString();
    const company = await defaultCompany(ctx, trx, now);
    if (!company) return null;
    const owners = await lockOwnerKeys(trx, company.id, ctx.database.dialect);
    if (owners.length > 0) {
      const known = configuredKey ? await findApiKeyByHash(trx, hashApiKey(configuredKey)) : undefined;
      return { companyId: company.id, generatedKey: null, configuredKeyIgnored: configuredKey !== null && known?.company_id !== company.id };
    }
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
    return { companyId: company.id, generatedKey: configuredKey ? null : key, configuredKeyIgnored: false };
  });
}

/** Company `default` on a store that has no company yet (created), or the existing one. */
async function defaultCompany(ctx: ServiceContext, trx: Kysely<Tables>, now: string) {
  const company = await findCompanyByName(trx, 'default');
  if (company || (await countCompanies(trx)) > 0) return company;
  const created = { id: ctx.newId('cmp'), name: 'default', created_at: now };
  await insertCompany(trx, created);
  return created;
}

/**
 * Creates company `default` without an owner key, for CLI commands run before the first start
 * (`keys create --company default`); the next `serve` gives it its owner key.
 */
export async function ensureDefaultCompany(ctx: ServiceContext): Promise<void> {
  await ctx.database.db.transaction().execute(async (trx) => {
    await lockBootstrap(trx, ctx.database.dialect);
    await defaultCompany(ctx, trx, new Date().toISOString());
  });
}

/** The operator's lines for a bootstrap result (stdout). */
export function bootstrapLines(boot: BootstrapResult | null): string[] {
  if (!boot) return [];
  if (boot.generatedKey) return [`created company "default" (${boot.companyId}); its owner API key, shown once:`, `  ${boot.generatedKey}`];
  if (boot.configuredKeyIgnored) {
    return [
      'SWITCHBOARD_BOOTSTRAP_KEY ignored: company "default" already has an owner key; use that key, or create one with `npx switchboard keys create --company default --role owner`, or start on an empty --data folder',
    ];
  }
  return [];
}
