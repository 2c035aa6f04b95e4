import type { ServiceContext, Caller } from './context.ts';
import * as store from '../store/webhook-overview.ts';

/** What the console shows beside the resources of the webhook and delivery services (reads only). */
export function createWebhookOverviewService(ctx: ServiceContext) {
  const { db } = ctx.database;
  return {
    /** Newest delivery (with its newest attempt) and, for a failed endpoint, why it failed. */
    async endpoint(caller: Caller, wh: { id: string; status: string; updated_at: string; created_at: string }) {
      const [last, reason] = await Promise.all([
        store.latestDelivery(db, caller.companyId, wh.id),
        wh.status === 'failed' ? store.lastFailureReason(db, caller.companyId, wh.id, wh.created_at) : Promise.resolve(null),
      ]);
      return { last, reason };
    },
    attemptStats: (deliveryIds: string[]) => store.attemptStats(db, deliveryIds),
    eventPayload: (caller: Caller, eventId: string) => store.eventPayload(db, caller.companyId, eventId),
    /** Each event's deliveries (endpoint URL, status, newest attempt), keyed by event id. */
    async eventDeliveries(caller: Caller, eventIds: string[]) {
      const rows = await store.deliveriesOfEvents(db, caller.companyId, eventIds);
      const stats = await store.attemptStats(db, rows.map((r) => r.id));
      const out = new Map<string, { id: string; webhook_id: string; url: string; status: string; attempts: number; status_code: number | null; error: string | null; duration_ms: number | null }[]>();
      for (const r of rows) {
        const st = stats.get(r.id);
        const list = out.get(r.event_id) ?? [];
        list.push({ id: r.id, webhook_id: r.webhook_id, url: r.url, status: r.status, attempts: st?.count ?? 0, status_code: st?.status_code ?? null, error: st?.error ?? null, duration_ms: st?.duration_ms ?? null });
        out.set(r.event_id, list);
      }
      return out;
    },
  };
}

export type WebhookOverviewService = ReturnType<typeof createWebhookOverviewService>;
