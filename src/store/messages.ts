import type { Kysely, Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import type { MessageT } from '../domain/schemas.ts';
import { fromJson, toJson } from './json.ts';
import { fixedQuery } from './fixed-query.ts';

type Row = Selectable<Tables['messages']>;

export interface StoredMessage {
  message: MessageT;
  conversationId: string;
}

function toMessage(row: Row): MessageT {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    direction: row.direction as MessageT['direction'],
    text: row.text,
    images: fromJson(row.images, []),
    template: fromJson(row.template, null),
    status: row.status as MessageT['status'],
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function getMessage(db: Kysely<Tables>, companyId: string, id: string): Promise<MessageT | undefined> {
  const row = await db.selectFrom('messages').selectAll().where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return row && toMessage(row);
}

/** Messages of one conversation, oldest first. */
export async function listMessages(db: Kysely<Tables>, conversationId: string, limit: number, after?: string): Promise<MessageT[]> {
  let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
  if (after) q = q.where('id', '>', after);
  const rows = await q.orderBy('id', 'asc').limit(limit).execute();
  return rows.map(toMessage);
}

const MESSAGE_COLUMNS = ['id', 'company_id', 'conversation_id', 'direction', 'text', 'images', 'template', 'status', 'error', 'created_at', 'updated_at'] as const;
const insert = fixedQuery(MESSAGE_COLUMNS, (db, v) => db.insertInto('messages').values(v));

export async function insertMessage(db: Kysely<Tables>, companyId: string, m: MessageT): Promise<void> {
  await insert.execute(db, {
    id: m.id,
    company_id: companyId,
    conversation_id: m.conversation_id,
    direction: m.direction,
    text: m.text,
    images: toJson(m.images),
    template: m.template ? toJson(m.template) : null,
    status: m.status,
    error: m.error,
    created_at: m.created_at,
    updated_at: m.updated_at,
  });
}

export async function updateMessageStatus(db: Kysely<Tables>, m: MessageT): Promise<void> {
  await db.updateTable('messages').set({ status: m.status, error: m.error, updated_at: m.updated_at }).where('id', '=', m.id).execute();
}
