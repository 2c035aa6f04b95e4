import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';
import type { EventT } from '../domain/schemas.ts';
import { eventTypeInfo } from '../domain/event-types.ts';
import { matchesEventType, matchesFilter } from '../domain/event-filter.ts';
import { insertDeliveries, pendingDelivery } from './deliveries.ts';
import { fixedQuery } from './fixed-query.ts';

const activeEndpoints = fixedQuery(['company_id', 'status'], (db, v) =>
  db.selectFrom('webhooks').select(['id', 'events', 'filter', 'kind', 'ordering']).where('company_id', '=', v.company_id).where('status', '=', v.status),
);

/**
 * Creates one pending delivery per active endpoint of the company whose event patterns and
 * filter match. Runs inside the event's transaction, so an event never exists without its
 * deliveries. Operational events are never sent to the endpoint they describe.
 */
export async function fanOut(
  trx: Kysely<Tables>,
  ctx: { newId: (prefix: 'dlv') => string },
  event: EventT,
  conversationId: string | null,
): Promise<number> {
  const { rows: endpoints } = await activeEndpoints.execute<{ id: string; events: string; filter: string | null; kind: string; ordering: string }>(trx, {
    company_id: event.company_id,
    status: 'active',
  });
  if (endpoints.length === 0) return 0;
  const describes = eventTypeInfo(event.type)?.operational ? (event.data.webhook as { id?: string } | undefined)?.id : undefined;
  const now = Date.now();
  const rows = endpoints
    .filter((wh) => wh.id !== describes && matches(wh, event))
    .map((wh) =>
      pendingDelivery({
        id: ctx.newId('dlv'),
        companyId: event.company_id,
        eventId: event.id,
        webhookId: wh.id,
        conversationId,
        sequence: event.sequence ?? null,
        ordering: wh.ordering,
        // A listener session's deliveries never enter the due range: its stream sends them, not the worker.
        dueAt: wh.kind === 'listener' ? null : now,
        createdAt: event.created_at,
      }),
    );
  await insertDeliveries(trx, rows);
  return rows.length;
}

/** Whether an endpoint row subscribes to an event (patterns, then the payload filter). */
export function matches(wh: { events: string; filter: string | null }, event: EventT): boolean {
  if (!matchesEventType(JSON.parse(wh.events) as string[], event.type)) return false;
  return wh.filter === null || matchesFilter(JSON.parse(wh.filter) as Record<string, unknown>, event);
}
