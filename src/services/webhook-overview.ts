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
  };
}

export type WebhookOverviewService = ReturnType<typeof createWebhookOverviewService>;
