import { sql, type Kysely, type Selectable } from 'kysely';
import type { Tables } from './tables.ts';
import type { ConversationT } from '../domain/schemas.ts';
import { fromJson, toJson } from './json.ts';
import { fixedQuery } from './fixed-query.ts';

type Row = Selectable<Tables['conversations']>;

/** Call bookkeeping kept beside a phone conversation, for call.summary. */
export interface CallLeg {
  role: 'agent' | 'customer';
  number: string | null;
  agent: string | null;
  started_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
}
export interface CallState {
  started_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  legs: CallLeg[];
}

export interface StoredConversation {
  conversation: ConversationT;
  call: CallState | null;
  /** The last event sequence number used; writers holding the lock take the next ones. */
  lastSequence: number;
}

function toConversation(row: Row): StoredConversation {
  return {
    conversation: {
      id: row.id,
      user_id: row.user_id,
      channel: row.channel as ConversationT['channel'],
      direction: row.direction as ConversationT['direction'],
      status: row.status as ConversationT['status'],
      end_status: row.end_status as ConversationT['end_status'],
      agent_id: row.agent_id,
      assignee: fromJson(row.assignee, null),
      department: row.department,
      context: fromJson(row.context, {}),
      client_data: fromJson(row.client_data, {}),
      custom_fields: fromJson(row.custom_fields, {}),
      agent_config: fromJson(row.agent_config, {}),
      created_at: row.created_at,
      updated_at: row.updated_at,
    },
    call: fromJson(row.call_state, null),
    lastSequence: row.last_sequence,
  };
}

export interface ConversationFilter {
  status?: string;
  user_id?: string;
  channel?: string;
  /** The console's extra filters (the API's list takes the three above). */
  direction?: string;
  agent_id?: string;
  created_after?: string;
  created_before?: string;
}

export async function getConversation(db: Kysely<Tables>, companyId: string, id: string): Promise<StoredConversation | undefined> {
  const row = await db
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', id)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  return row && toConversation(row);
}

export async function listConversations(
  db: Kysely<Tables>,
  companyId: string,
  filter: ConversationFilter,
  limit: number,
  before?: string,
): Promise<ConversationT[]> {
  let q = db.selectFrom('conversations').selectAll().where('company_id', '=', companyId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.user_id) q = q.where('user_id', '=', filter.user_id);
  if (filter.channel) q = q.where('channel', '=', filter.channel);
  if (filter.direction) q = q.where('direction', '=', filter.direction);
  if (filter.agent_id) q = q.where('agent_id', '=', filter.agent_id);
  if (filter.created_after) q = q.where('created_at', '>=', filter.created_after);
  if (filter.created_before) q = q.where('created_at', '<', filter.created_before);
  if (before) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toConversation(r).conversation);
}

/** The columns of a conversation that change over its life, as stored (JSON as text). */
function mutableColumns(c: ConversationT, call: CallState | null) {
  return {
    user_id: c.user_id,
    status: c.status,
    end_status: c.end_status,
    agent_id: c.agent_id,
    assignee: c.assignee ? toJson(c.assignee) : null,
    department: c.department,
    context: toJson(c.context),
    client_data: toJson(c.client_data),
    custom_fields: toJson(c.custom_fields),
    agent_config: toJson(c.agent_config),
    call_state: call ? toJson(call) : null,
  };
}

export async function insertConversation(db: Kysely<Tables>, companyId: string, c: ConversationT, call: CallState | null): Promise<void> {
  await db
    .insertInto('conversations')
    .values({
      id: c.id,
      company_id: companyId,
      channel: c.channel,
      direction: c.direction,
      ...mutableColumns(c, call),
      created_at: c.created_at,
      updated_at: c.updated_at,
    })
    .execute();
}

const save = fixedQuery(
  ['user_id', 'status', 'end_status', 'agent_id', 'assignee', 'department', 'context', 'client_data', 'custom_fields', 'agent_config', 'call_state', 'last_sequence', 'updated_at', 'id', 'company_id'],
  (db, v) =>
    db
      .updateTable('conversations')
      .set({
        user_id: v.user_id,
        status: v.status,
        end_status: v.end_status,
        agent_id: v.agent_id,
        assignee: v.assignee,
        department: v.department,
        context: v.context,
        client_data: v.client_data,
        custom_fields: v.custom_fields,
        agent_config: v.agent_config,
        call_state: v.call_state,
        last_sequence: v.last_sequence,
        updated_at: v.updated_at,
      })
      .where('id', '=', v.id)
      .where('company_id', '=', v.company_id),
);

/** Writes every mutable field of a conversation (the caller holds its row lock). */
export async function saveConversation(
  db: Kysely<Tables>,
  companyId: string,
  c: ConversationT,
  call: CallState | null,
  lastSequence: number,
): Promise<void> {
  await save.execute(db, { ...mutableColumns(c, call), last_sequence: lastSequence, updated_at: c.updated_at, id: c.id, company_id: companyId });
}

const lock = {
  sqlite: fixedQuery(['id', 'company_id'], (db, v) => db.selectFrom('conversations').selectAll().where('id', '=', v.id).where('company_id', '=', v.company_id)),
  postgres: fixedQuery(['id', 'company_id'], (db, v) =>
    db.selectFrom('conversations').selectAll().where('id', '=', v.id).where('company_id', '=', v.company_id).forUpdate(),
  ),
};

/**
 * Reads a conversation inside a transaction and locks it, so concurrent changes to one
 * conversation apply one after another (their read-modify-write and sequence numbers cannot
 * interleave). SQLite has a single writer, so only PostgreSQL needs the row lock.
 */
export async function lockConversation(
  db: Kysely<Tables>,
  dialect: 'sqlite' | 'postgres',
  companyId: string,
  id: string,
): Promise<StoredConversation | undefined> {
  const { rows } = await lock[dialect].execute<Row>(db, { id, company_id: companyId });
  return rows[0] && toConversation(rows[0]);
}

const advance = fixedQuery(['by', 'updated_at', 'id', 'company_id'], (db, v) =>
  db
    .updateTable('conversations')
    .set({ last_sequence: sql<number>`last_sequence + ${v.by}`, updated_at: v.updated_at })
    .where('id', '=', v.id)
    .where('company_id', '=', v.company_id)
    .where(sql<boolean>`status <> 'ended'`)
    .returningAll(),
);

/**
 * Takes the next `by` sequence numbers of a conversation that has not ended and sets its
 * updated_at, in one statement that also locks the row on PostgreSQL (an UPDATE does); returns
 * the conversation as saved, or undefined when there is no such conversation or it has ended.
 */
export async function advanceConversation(
  db: Kysely<Tables>,
  companyId: string,
  id: string,
  by: number,
  updatedAt: string,
): Promise<StoredConversation | undefined> {
  const { rows } = await advance.execute<Row>(db, { by, updated_at: updatedAt, id, company_id: companyId });
  return rows[0] && toConversation(rows[0]);
}
