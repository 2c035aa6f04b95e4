import type { Kysely, Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import type { DialectName } from './database.ts';
import type { ApiKeyT, RoleT } from '../domain/schemas.ts';

type Row = Selectable<Tables['api_keys']>;

export function toApiKey(row: Row): ApiKeyT {
  return {
    id: row.id,
    name: row.name,
    role: row.role as RoleT,
    prefix: row.prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
  };
}

export async function insertApiKey(db: Kysely<Tables>, row: Row): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findApiKeyByHash(db: Kysely<Tables>, hash: string): Promise<Row | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Tables>, companyId: string, limit: number, before?: string): Promise<Row[]> {
  let q = db.selectFrom('api_keys').selectAll().where('company_id', '=', companyId);
  if (before) q = q.where('id', '<', before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

export async function findApiKey(db: Kysely<Tables>, companyId: string, id: string): Promise<Row | undefined> {
  return db.selectFrom('api_keys').selectAll().where('company_id', '=', companyId).where('id', '=', id).executeTakeFirst();
}

/**
 * The ids of the company's owner keys. Inside a transaction on PostgreSQL they are locked, in id
 * order, so two requests revoking two different owner keys at once cannot both see "another owner
 * remains" and leave none (SQLite runs one transaction at a time, so it needs no lock).
 */
export async function lockOwnerKeys(trx: Kysely<Tables>, companyId: string, dialect: DialectName): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_keys')
    .select('id')
    .where('company_id', '=', companyId)
    .where('role', '=', 'owner')
    .orderBy('id')
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteApiKey(db: Kysely<Tables>, companyId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom('api_keys').where('company_id', '=', companyId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function touchApiKey(db: Kysely<Tables>, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}
