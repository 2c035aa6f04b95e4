import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';
import { deleteWebhook, insertWebhook, type WebhookRow } from './webhooks.ts';

/**
 * Listener sessions (`switchboard listen`): a `webhooks` row of kind 'listener' plus a
 * `listener_sessions` row that says when its stream was last connected. Fan-out creates their
 * deliveries like any endpoint's, with no due time (fan-out.ts), so the HTTP worker never sees
 * them; the session's SSE stream sends its pending deliveries instead and stamps each with
 * `streamed_seq`, a per-session increasing number: a reconnect that names the last delivery it got
 * (Last-Event-ID) is sent the pending ones stamped after it and the ones never sent, nothing else.
 */

export async function insertListener(trx: Kysely<Tables>, row: Omit<WebhookRow, 'failure_count' | 'kind'>, nowMs: number): Promise<void> {
  await insertWebhook(trx, { ...row, kind: 'listener' });
  await trx.insertInto('listener_sessions').values({ webhook_id: row.id, company_id: row.company_id, created_ms: nowMs, seen_ms: nowMs }).execute();
}

export async function getListenerRow(db: Kysely<Tables>, companyId: string, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).where('company_id', '=', companyId).where('kind', '=', 'listener').executeTakeFirst();
}

/** Marks the session as connected now (the abandonment clock starts over). */
export async function touchListener(db: Kysely<Tables>, id: string, nowMs: number): Promise<void> {
  await db.updateTable('listener_sessions').set({ seen_ms: nowMs }).where('webhook_id', '=', id).execute();
}

/** Removes the session with its deliveries and their attempts. */
export async function deleteListener(trx: Kysely<Tables>, companyId: string, id: string): Promise<boolean> {
  await trx.deleteFrom('listener_sessions').where('webhook_id', '=', id).execute();
  return deleteWebhook(trx, companyId, id, 'listener');
}

/** Sessions whose stream has not been connected since `beforeMs`. */
export async function abandonedListeners(db: Kysely<Tables>, beforeMs: number): Promise<{ webhook_id: string; company_id: string }[]> {
  return db.selectFrom('listener_sessions').select(['webhook_id', 'company_id']).where('seen_ms', '<', beforeMs).limit(100).execute();
}

export interface StreamItem {
  id: string;
  event_id: string;
  streamed_seq: number | null;
}

/**
 * The pending deliveries to send on a (re)connected stream, in the order they are to be sent: the
 * ones already sent after `afterSeq` first (their stamp order), then the never-sent ones (id order).
 */
export async function pendingToStream(db: Kysely<Tables>, webhookId: string, afterSeq: number | null, limit: number): Promise<StreamItem[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'streamed_seq'])
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .where((eb) => (afterSeq === null ? eb('streamed_seq', 'is', null) : eb.or([eb('streamed_seq', 'is', null), eb('streamed_seq', '>', afterSeq)])))
    .orderBy('id')
    .limit(limit)
    .execute();
  const seq = (r: StreamItem) => (r.streamed_seq === null ? Infinity : Number(r.streamed_seq));
  return rows.map((r) => ({ ...r, streamed_seq: r.streamed_seq === null ? null : Number(r.streamed_seq) })).sort((a, b) => seq(a) - seq(b));
}

/** The stamp of a delivery of this session (whatever its status), or null when unknown. */
export async function streamedSeqOf(db: Kysely<Tables>, webhookId: string, deliveryId: string): Promise<number | null> {
  const row = await db.selectFrom('deliveries').select('streamed_seq').where('id', '=', deliveryId).where('webhook_id', '=', webhookId).executeTakeFirst();
  return row?.streamed_seq == null ? null : Number(row.streamed_seq);
}

/** The session's highest stamp so far (0 when nothing was sent yet). */
export async function lastStreamedSeq(db: Kysely<Tables>, webhookId: string): Promise<number> {
  const row = await db.selectFrom('deliveries').select((eb) => eb.fn.max('streamed_seq').as('m')).where('webhook_id', '=', webhookId).executeTakeFirst();
  return row?.m == null ? 0 : Number(row.m);
}

export async function stampStreamed(db: Kysely<Tables>, stamps: { id: string; seq: number }[]): Promise<void> {
  for (const s of stamps) await db.updateTable('deliveries').set({ streamed_seq: s.seq }).where('id', '=', s.id).execute();
}
