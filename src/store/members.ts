import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Tables } from './tables.ts';

/** Console members, their sessions, invitation links and failed sign-in counters. */

export type MemberRow = Selectable<Tables['members']>;

export async function findCompany(db: Kysely<Tables>, idOrName: string) {
  return db
    .selectFrom('companies')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy('id')
    .executeTakeFirst();
}

export async function insertMember(db: Kysely<Tables>, row: Insertable<Tables['members']>): Promise<void> {
  await db.insertInto('members').values(row).execute();
}

export async function memberByEmail(db: Kysely<Tables>, email: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function getMember(db: Kysely<Tables>, companyId: string, id: string): Promise<MemberRow | undefined> {
  return db.selectFrom('members').selectAll().where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
}

export async function listMembers(db: Kysely<Tables>, companyId: string): Promise<MemberRow[]> {
  return db.selectFrom('members').selectAll().where('company_id', '=', companyId).orderBy('id').execute();
}

export async function countOwners(db: Kysely<Tables>, companyId: string): Promise<number> {
  const row = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateMember(db: Kysely<Tables>, id: string, set: Updateable<Tables['members']>): Promise<void> {
  await db.updateTable('members').set(set).where('id', '=', id).execute();
}

export async function deleteMember(db: Kysely<Tables>, id: string): Promise<void> {
  await db.deleteFrom('member_invites').where('member_id', '=', id).execute();
  await deleteSessionsOf(db, id);
  await db.deleteFrom('members').where('id', '=', id).execute();
}

/** Ends every console session of a member (signed out everywhere). */
export async function deleteSessionsOf(db: Kysely<Tables>, memberId: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('member_id', '=', memberId).execute();
}

// --- sessions ---------------------------------------------------------------------------------

export async function insertSession(db: Kysely<Tables>, row: Tables['console_sessions']): Promise<void> {
  await db.insertInto('console_sessions').values(row).execute();
}

export async function sessionWithMember(db: Kysely<Tables>, idHash: string) {
  return db
    .selectFrom('console_sessions as s')
    .innerJoin('members as m', 'm.id', 's.member_id')
    .select(['s.id_hash', 's.csrf_token', 's.created_ms', 's.seen_ms', 'm.id', 'm.company_id', 'm.email', 'm.name', 'm.role'])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Kysely<Tables>, idHash: string, seenMs: number): Promise<void> {
  await db.updateTable('console_sessions').set({ seen_ms: seenMs }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Kysely<Tables>, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

/** Drops sessions past either expiry (run at each sign-in, so the table does not grow forever). */
export async function pruneSessions(db: Kysely<Tables>, createdBefore: number, seenBefore: number): Promise<void> {
  await db
    .deleteFrom('console_sessions')
    .where((eb) => eb.or([eb('created_ms', '<', createdBefore), eb('seen_ms', '<', seenBefore)]))
    .execute();
}

// --- failed sign-ins --------------------------------------------------------------------------

export async function getFailures(db: Kysely<Tables>, bucket: string) {
  const row = await db.selectFrom('sign_in_failures').selectAll().where('bucket', '=', bucket).executeTakeFirst();
  return row ? { failures: Number(row.failures), windowStartMs: Number(row.window_start_ms) } : null;
}

export async function putFailures(db: Kysely<Tables>, bucket: string, failures: number, windowStartMs: number): Promise<void> {
  await db
    .insertInto('sign_in_failures')
    .values({ bucket, failures, window_start_ms: windowStartMs })
    .onConflict((oc) => oc.column('bucket').doUpdateSet({ failures, window_start_ms: windowStartMs }))
    .execute();
}

export async function clearFailures(db: Kysely<Tables>, bucket: string): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('bucket', '=', bucket).execute();
}

// --- invitations ------------------------------------------------------------------------------

export async function insertInvite(db: Kysely<Tables>, row: Tables['member_invites']): Promise<void> {
  await db.insertInto('member_invites').values(row).execute();
}

export async function inviteWithMember(db: Kysely<Tables>, tokenHash: string) {
  return db
    .selectFrom('member_invites as i')
    .innerJoin('members as m', 'm.id', 'i.member_id')
    .select(['i.token_hash', 'i.expires_ms', 'm.id', 'm.company_id', 'm.email', 'm.name'])
    .where('i.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function deleteInvites(db: Kysely<Tables>, memberId: string): Promise<void> {
  await db.deleteFrom('member_invites').where('member_id', '=', memberId).execute();
}
