import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';
import type { EventT } from '../domain/schemas.ts';
import { API_VERSION, eventTypeInfo } from '../domain/event-types.ts';
import { fanOut } from './fan-out.ts';
import { NOTIFY_CHANNEL } from './notifier.ts';
import { fixedQuery } from './fixed-query.ts';

const insertEvent = fixedQuery(['id', 'company_id', 'type', 'conversation_id', 'sequence', 'payload', 'created_at'] as const, (db, v) =>
  db.insertInto('events').values(v),
);

export interface NewEvent {
  type: string;
  companyId: string;
  /** Set for conversation-scoped events; sequenced types take the conversation's next number. */
  conversationId?: string | null;
  data: Record<string, unknown>;
  /**
   * The sequence number, when the caller holds the conversation's lock and numbers events itself
   * (and stores last_sequence with its own update). Otherwise a sequenced type takes the next
   * number here.
   */
  sequence?: number;
}

export interface OutboxContext {
  dialect: 'sqlite' | 'postgres';
  newId: (prefix: 'evt' | 'dlv') => string;
}

export interface AppendedEvent {
  event: EventT;
  deliveries: number;
}

/**
 * Writes an event in the caller's transaction, with the change that caused it: takes the
 * conversation's next sequence number (the row update also serialises writers of one
 * conversation, so numbers follow commit order without gaps), stores the envelope exactly as it
 * will go on the wire, and creates one pending delivery per subscribed endpoint.
 */
export async function appendEvent(trx: Kysely<Tables>, ctx: OutboxContext, input: NewEvent): Promise<AppendedEvent> {
  const info = eventTypeInfo(input.type);
  if (!info) throw new Error(`unknown event type ${input.type}`);
  let sequence: number | undefined = info.sequenced ? input.sequence : undefined;
  if (info.sequenced && sequence === undefined) {
    if (!input.conversationId) throw new Error(`${input.type} needs a conversation`);
    const row = await trx
      .updateTable('conversations')
      .set((eb) => ({ last_sequence: eb('last_sequence', '+', 1) }))
      .where('id', '=', input.conversationId)
      .returning('last_sequence')
      .executeTakeFirstOrThrow();
    sequence = row.last_sequence;
  }
  const event: EventT = {
    id: ctx.newId('evt'),
    type: input.type,
    api_version: API_VERSION,
    created_at: new Date().toISOString(),
    company_id: input.companyId,
    ...(sequence === undefined ? {} : { sequence }),
    data: input.data,
  };
  const payload = JSON.stringify(event);
  await insertEvent.execute(trx, {
    id: event.id,
    company_id: event.company_id,
    type: event.type,
    conversation_id: input.conversationId ?? null,
    sequence: sequence ?? null,
    payload,
    created_at: event.created_at,
  });
  const deliveries = info.synchronous ? 0 : await fanOut(trx, ctx, event, input.conversationId ?? null);
  if (deliveries > 0 && ctx.dialect === 'postgres') await sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`.execute(trx);
  return { event, deliveries };
}
