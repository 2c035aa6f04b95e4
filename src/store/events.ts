import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export interface EventFilter {
  type?: string;
  conversation_id?: string;
  created_after?: string;
  /** Events strictly before this time (the console's time range). */
  created_before?: string;
  /** Test events ("Send test event") are left out unless asked for. */
  include_tests?: boolean;
}

/** An event as stored: `payload` is the envelope text exactly as it goes on the wire. */
export interface StoredEvent {
  id: string;
  payload: string;
  /** Set on test events: the one endpoint it was sent to. */
  target_webhook_id: string | null;
}

export async function getEvent(db: Kysely<Tables>, companyId: string, id: string): Promise<StoredEvent | undefined> {
  return db.selectFrom('events').select(['id', 'payload', 'target_webhook_id']).where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
}

export async function listEvents(db: Kysely<Tables>, companyId: string, f: EventFilter, limit: number, before?: string): Promise<StoredEvent[]> {
  let q = db.selectFrom('events').select(['id', 'payload', 'target_webhook_id']).where('company_id', '=', companyId);
  if (!f.include_tests) q = q.where('target_webhook_id', 'is', null);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.conversation_id) q = q.where('conversation_id', '=', f.conversation_id);
  if (f.created_after) q = q.where('created_at', '>', f.created_after);
  if (f.created_before) q = q.where('created_at', '<', f.created_before);
  if (before) q = q.where('id', '<', before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/** What a new delivery of a stored event needs: its type and its place in its conversation. */
export async function getEventRouting(db: Kysely<Tables>, companyId: string, id: string) {
  return db
    .selectFrom('events')
    .select(['id', 'type', 'conversation_id', 'sequence', 'created_at', 'target_webhook_id'])
    .where('id', '=', id)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
}
