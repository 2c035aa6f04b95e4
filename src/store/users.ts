import type { Kysely, Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import type { UserT } from '../domain/schemas.ts';
import { fromJson, toJson } from './json.ts';

type Row = Selectable<Tables['users']>;

function toUser(row: Row, tags: string[]): UserT {
  return {
    id: row.id,
    external_id: row.external_id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    attributes: fromJson(row.attributes, {}),
    tags,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

async function tagsOf(db: Kysely<Tables>, userIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return map;
  const rows = await db
    .selectFrom('user_tags')
    .select(['user_id', 'tag'])
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .orderBy('tag')
    .execute();
  for (const r of rows) map.get(r.user_id)?.push(r.tag);
  return map;
}

export async function getUser(db: Kysely<Tables>, companyId: string, id: string): Promise<UserT | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  if (!row) return undefined;
  return toUser(row, (await tagsOf(db, [id])).get(id) ?? []);
}

export async function listUsers(db: Kysely<Tables>, companyId: string, limit: number, before?: string): Promise<UserT[]> {
  let q = db.selectFrom('users').selectAll().where('company_id', '=', companyId);
  if (before) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  const tags = await tagsOf(db, rows.map((r) => r.id));
  return rows.map((r) => toUser(r, tags.get(r.id) ?? []));
}

export async function insertUser(db: Kysely<Tables>, companyId: string, user: UserT): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      company_id: companyId,
      external_id: user.external_id,
      name: user.name,
      email: user.email,
      phone: user.phone,
      attributes: toJson(user.attributes),
      created_at: user.created_at,
      updated_at: user.updated_at,
    })
    .execute();
}

export async function updateUser(db: Kysely<Tables>, companyId: string, user: UserT): Promise<void> {
  await db
    .updateTable('users')
    .set({
      external_id: user.external_id,
      name: user.name,
      email: user.email,
      phone: user.phone,
      attributes: toJson(user.attributes),
      updated_at: user.updated_at,
    })
    .where('id', '=', user.id)
    .where('company_id', '=', companyId)
    .execute();
}

export async function deleteUser(db: Kysely<Tables>, companyId: string, id: string): Promise<boolean> {
  await db.deleteFrom('user_tags').where('user_id', '=', id).where('company_id', '=', companyId).execute();
  const res = await db.deleteFrom('users').where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function findUserByExternalId(db: Kysely<Tables>, companyId: string, externalId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('company_id', '=', companyId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row?.id;
}

/** Adds a tag; false when the user already had it. */
export async function addTag(db: Kysely<Tables>, companyId: string, userId: string, tag: string, at: string): Promise<boolean> {
  const res = await db
    .insertInto('user_tags')
    .values({ company_id: companyId, user_id: userId, tag, created_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'tag']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Removes a tag; false when the user did not have it. */
export async function removeTag(db: Kysely<Tables>, companyId: string, userId: string, tag: string): Promise<boolean> {
  const res = await db
    .deleteFrom('user_tags')
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('tag', '=', tag)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function tagCounts(db: Kysely<Tables>, companyId: string): Promise<{ tag: string; count: number }[]> {
  const rows = await db
    .selectFrom('user_tags')
    .select(['tag', (eb) => eb.fn.countAll<number>().as('count')])
    .where('company_id', '=', companyId)
    .groupBy('tag')
    .orderBy('tag')
    .execute();
  return rows.map((r) => ({ tag: r.tag, count: Number(r.count) }));
}
