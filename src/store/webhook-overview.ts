import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/** Read-only summaries the console shows next to endpoints and deliveries. */

/** The newest delivery of an endpoint and its newest attempt (index deliveries_webhook, then attempts_delivery). */
export async function latestDelivery(db: Kysely<Tables>, companyId: string, webhookId: string) {
  const d = await db
    .selectFrom('deliveries')
    .select(['id', 'status', 'created_at', 'updated_at'])
    .where('webhook_id', '=', webhookId)
    .where('company_id', '=', companyId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!d) return null;
  const a = await db
    .selectFrom('attempts')
    .select(['at', 'status_code', 'error'])
    .where('delivery_id', '=', d.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { id: d.id, status: d.status, created_at: d.created_at, attempt: a ?? null };
}

/** Why the failure rule disabled an endpoint: the reason of its newest webhook.failed event. */
export async function lastFailureReason(db: Kysely<Tables>, companyId: string, webhookId: string, since: string): Promise<string | null> {
  const rows = await db
    .selectFrom('events')
    .select('payload')
    .where('company_id', '=', companyId)
    .where('type', '=', 'webhook.failed')
    .where('created_at', '>=', since)
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  for (const r of rows) {
    const data = (JSON.parse(r.payload) as { data?: { webhook?: { id?: string }; reason?: string } }).data;
    if (data?.webhook?.id === webhookId) return data.reason ?? null;
  }
  return null;
}

/** Attempt counts and the newest attempt of each delivery, in one query. */
export async function attemptStats(db: Kysely<Tables>, deliveryIds: string[]) {
  const out = new Map<string, { count: number; status_code: number | null; error: string | null; duration_ms: number; at: string }>();
  if (deliveryIds.length === 0) return out;
  const rows = await db
    .selectFrom('attempts')
    .select(['delivery_id', 'status_code', 'error', 'duration_ms', 'at'])
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const prev = out.get(r.delivery_id);
    out.set(r.delivery_id, { count: (prev?.count ?? 0) + 1, status_code: r.status_code, error: r.error, duration_ms: Number(r.duration_ms), at: r.at });
  }
  return out;
}

/** An event's stored envelope. */
export async function eventPayload(db: Kysely<Tables>, companyId: string, eventId: string): Promise<unknown> {
  const row = await db.selectFrom('events').select('payload').where('id', '=', eventId).where('company_id', '=', companyId).executeTakeFirst();
  return row ? JSON.parse(row.payload) : null;
}

/** The deliveries of some events, with their endpoint's URL (index deliveries_event_webhook). */
export async function deliveriesOfEvents(db: Kysely<Tables>, companyId: string, eventIds: string[]) {
  if (eventIds.length === 0) return [];
  return db
    .selectFrom('deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select(['d.id', 'd.event_id', 'd.webhook_id', 'd.status', 'w.url'])
    .where('d.company_id', '=', companyId)
    .where('d.event_id', 'in', eventIds)
    .orderBy('d.id')
    .execute();
}
