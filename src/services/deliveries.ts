import type { ServiceContext, Caller } from './context.ts';
import { inTransaction } from './context.ts';
import { SwitchboardError, invalid, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import { catalogEntry, exampleEvent } from '../domain/event-catalog.ts';
import { EVENT_TYPE_NAMES, eventTypeInfo } from '../domain/event-types.ts';
import { unknownEventTypeMessage } from '../domain/event-names.ts';
import type { EventT } from '../domain/schemas.ts';
import { matches } from '../store/fan-out.ts';
import { isClaimed, unparkEndpoint } from '../store/queue.ts';
import * as store from '../store/deliveries.ts';
import { getWebhookRow, lockEndpointRow, updateWebhookRow, webhookRowsByIds } from '../store/webhooks.ts';
import { getEventRouting } from '../store/events.ts';

// Events examined per page while recovering; bounds memory, not the total.
const RECOVER_PAGE = 500;

export function createDeliveryService(ctx: ServiceContext) {
  const { db, dialect } = ctx.database;

  async function mustGetWebhook(caller: Caller, id: string) {
    const wh = await getWebhookRow(db, caller.companyId, id);
    if (!wh) throw notFound('webhook', id);
    return wh;
  }

  async function get(caller: Caller, id: string): Promise<store.DeliveryT> {
    const row = await store.getDelivery(db, caller.companyId, id);
    if (!row) throw notFound('delivery', id);
    return { ...store.toDeliverySummary(row), attempts: await store.listAttempts(db, id) };
  }

  return {
    get,

    async list(caller: Caller, webhookId: string, status: store.DeliveryStatus | undefined, limit: number, cursor?: string) {
      await mustGetWebhook(caller, webhookId);
      const before = cursor ? decodeCursor(cursor, 'dlv') : undefined;
      const rows = await store.listDeliveries(db, caller.companyId, webhookId, status, limit + 1, before);
      return pageOf(rows.map(store.toDeliverySummary), limit);
    },

    /**
     * A new attempt now, whatever the delivery's or the endpoint's status. A pending delivery gets
     * one attempt more than its schedule allows; a finished one gets exactly one (failing it fails
     * the delivery again). On an inactive or failed endpoint the attempt is made all the same and
     * the endpoint keeps its status, whatever the answer: enabling or recovering it stays a
     * person's decision (docs/webhooks.md, "Retrying a delivery").
     */
    async retry(caller: Caller, id: string): Promise<store.DeliveryT> {
      const found = await store.getDelivery(db, caller.companyId, id);
      if (!found) throw notFound('delivery', id);
      await inTransaction(ctx, caller.companyId, async (work) => {
        // Only the delivery is locked: a retry changes no endpoint state, and the worker recording
        // an outcome locks the delivery and then its endpoint, so holding the endpoint here as well
        // would deadlock with it (PostgreSQL).
        const [wh] = await webhookRowsByIds(work.trx, [found.webhook_id]);
        const d = await store.lockCompanyDelivery(work.trx, dialect, caller.companyId, id);
        if (!wh || wh.company_id !== caller.companyId || !d) throw notFound('delivery', id);
        if (wh.kind === 'listener') {
          throw new SwitchboardError(
            'conflict',
            'This delivery belongs to a `switchboard listen` session, which forwards each event once over its stream; send the event again with `switchboard trigger`, or retry it on an endpoint.',
          );
        }
        const now = Date.now();
        if (isClaimed(ctx.database, d, now)) {
          throw new SwitchboardError('conflict', 'An attempt of this delivery is in progress; retry when it has finished.');
        }
        const scheduled = (JSON.parse(wh.retry) as { schedule: number[] }).schedule.length;
        const charged = d.status === 'pending' ? Math.max(0, Number(d.attempt_count) - 1) : scheduled;
        await store.queueManualAttempt(work.trx, id, charged, now);
        await work.wakeWorkers();
      });
      return get(caller, id);
    },

    /**
     * Re-queues the endpoint's failed deliveries since `since` (with a fresh schedule) and creates
     * the deliveries it missed: events since then (and since the endpoint existed) that match it
     * now and have none, which are the ones skipped while it was inactive or failed. A failed
     * endpoint becomes active again (webhook.recovered); an inactive one stays inactive.
     */
    async recover(caller: Caller, webhookId: string, since: string): Promise<{ count: number }> {
      const t = Date.parse(since);
      if (Number.isNaN(t)) throw invalid('/since', 'since must be an ISO 8601 timestamp.');
      const sinceIso = new Date(t).toISOString();
      const count = await inTransaction(ctx, caller.companyId, async (work) => {
        const wh = await lockEndpointRow(work.trx, dialect, caller.companyId, webhookId);
        if (!wh) throw notFound('webhook', webhookId);
        const now = Date.now();
        const iso = new Date(now).toISOString();
        let count = await store.requeueFailed(work.trx, webhookId, wh.ordering, sinceIso, now);
        const from = sinceIso > wh.created_at ? sinceIso : wh.created_at;
        let after: string | null = null;
        for (;;) {
          const page = await store.eventsWithoutDelivery(work.trx, caller.companyId, webhookId, from, after, RECOVER_PAGE);
          if (page.length === 0) break;
          after = page[page.length - 1].id;
          const rows = page
            .filter((e) => subscribes(wh, webhookId, e.type, JSON.parse(e.payload) as EventT))
            .map((e) =>
              store.pendingDelivery({
                id: ctx.newId('dlv'),
                companyId: caller.companyId,
                eventId: e.id,
                webhookId,
                conversationId: e.conversation_id,
                sequence: e.sequence,
                ordering: wh.ordering,
                dueAt: now,
                createdAt: e.created_at,
                updatedAt: iso,
              }),
            );
          await store.insertDeliveries(work.trx, rows);
          count += rows.length;
        }
        if (wh.status === 'failed') {
          await updateWebhookRow(work.trx, webhookId, { status: 'active', failure_count: 0, failure_window_start: null, disabled_at: null, updated_at: iso });
          await unparkEndpoint(work.trx, webhookId, now);
          await work.emit({
            type: 'webhook.recovered',
            data: { webhook: { id: wh.id, url: wh.url, status: 'active', description: wh.description }, reason: `Recovered since ${sinceIso}.` },
          });
        }
        await work.wakeWorkers();
        return count;
      });
      return { count };
    },

    /**
     * Sends the type's catalog example to this endpoint only, as a real event (fresh id, this
     * company, now) with a real delivery. It is not fanned out to other endpoints, and recovery
     * of other endpoints never picks it up.
     */
    async test(caller: Caller, webhookId: string, type: string): Promise<store.DeliveryT> {
      if (!catalogEntry(type)) throw invalid('/type', unknownEventTypeMessage(type, EVENT_TYPE_NAMES));
      const deliveryId = ctx.newId('dlv');
      await inTransaction(ctx, caller.companyId, async (work) => {
        const wh = await lockEndpointRow(work.trx, dialect, caller.companyId, webhookId);
        if (!wh) throw notFound('webhook', webhookId);
        if (wh.status !== 'active') throw new SwitchboardError('conflict', `The endpoint is ${wh.status}; enable it before sending a test event.`);
        const now = Date.now();
        const iso = new Date(now).toISOString();
        const event = exampleEvent(type, { id: ctx.newId('evt'), company_id: caller.companyId, created_at: iso }) as EventT;
        await store.insertTestEvent(work.trx, caller.companyId, webhookId, event);
        await store.insertDeliveries(work.trx, [
          store.pendingDelivery({ id: deliveryId, companyId: caller.companyId, eventId: event.id, webhookId, conversationId: null, sequence: null, ordering: wh.ordering, dueAt: now, createdAt: iso }),
        ]);
        await work.wakeWorkers();
      });
      return get(caller, deliveryId);
    },

    /**
     * Sends a stored event to one endpoint again (the console's "Resend to…"): a real delivery,
     * whether or not the endpoint subscribes to it and whatever its status (like `retry`). The
     * endpoint already has a delivery of it: that one gets a new attempt now (`retry`'s rules);
     * otherwise a new delivery is queued.
     */
    async resend(caller: Caller, eventId: string, webhookId: string): Promise<store.DeliveryT> {
      const event = await getEventRouting(db, caller.companyId, eventId);
      if (!event) throw notFound('event', eventId);
      const info = eventTypeInfo(event.type);
      if (info?.synchronous) throw new SwitchboardError('conflict', `A ${event.type} event is a call answered at once, not a delivery; it cannot be resent.`);
      if (event.target_webhook_id !== null && event.target_webhook_id !== webhookId) {
        throw new SwitchboardError('conflict', 'This is a test event of another endpoint; send a test event from this endpoint instead.');
      }
      const existing = await store.findDeliveryOf(db, eventId, webhookId);
      if (existing) return this.retry(caller, existing);
      const deliveryId = ctx.newId('dlv');
      await inTransaction(ctx, caller.companyId, async (work) => {
        const wh = await lockEndpointRow(work.trx, dialect, caller.companyId, webhookId);
        if (!wh) throw notFound('webhook', webhookId);
        const now = Date.now();
        await store.insertDeliveries(work.trx, [
          store.pendingDelivery({
            id: deliveryId,
            companyId: caller.companyId,
            eventId,
            webhookId,
            conversationId: event.conversation_id,
            sequence: event.sequence,
            ordering: wh.ordering,
            dueAt: now,
            createdAt: new Date(now).toISOString(),
            manual: true,
          }),
        ]);
        await work.wakeWorkers();
      });
      return get(caller, deliveryId);
    },
  };
}

/** Whether the endpoint would have been sent this event: the fan-out rules, for a past event. */
function subscribes(wh: { events: string; filter: string | null }, webhookId: string, type: string, event: EventT): boolean {
  const info = eventTypeInfo(type);
  if (!info || info.synchronous) return false;
  if (info.operational && (event.data.webhook as { id?: string } | undefined)?.id === webhookId) return false;
  return matches(wh, event);
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
