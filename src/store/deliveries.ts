import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Tables } from './tables.ts';

/** Delivery log rows: deliveries (one per event and endpoint) and their attempts. */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type DeliveryRow = Selectable<Tables['deliveries']>;

/** A delivery as listed (without its attempts). */
export interface DeliverySummaryT {
  id: string;
  event_id: string;
  event_type: string;
  /** The event is a test event sent to this endpoint alone. */
  test: boolean;
  webhook_id: string;
  status: DeliveryStatus;
  /** When the next attempt is due (pending deliveries only). */
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptT {
  id: string;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  request_headers: Record<string, string>;
  response_headers: Record<string, string>;
  response_body: string | null;
}

export interface DeliveryT extends DeliverySummaryT {
  attempts: AttemptT[];
}

type Joined = DeliveryRow & { event_type: string; event_target: string | null };

export function toDeliverySummary(row: Joined): DeliverySummaryT {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    test: row.event_target !== null,
    webhook_id: row.webhook_id,
    status: row.status as DeliveryStatus,
    next_attempt_at: nextAttemptAt(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

// A delivery in flight is due again only if its attempt goes unrecorded (its worker died): when its
// lease runs out. (A SQLite claim is held in memory, not on the row: there it shows when it came due.)
function nextAttemptAt(row: DeliveryRow): string | null {
  if (row.status !== 'pending' || row.next_attempt_at === null) return null;
  return new Date(Math.max(Number(row.next_attempt_at), Number(row.lease_until ?? 0))).toISOString();
}

function withType(db: Kysely<Tables>) {
  return db.selectFrom('deliveries as d').innerJoin('events as e', 'e.id', 'd.event_id').selectAll('d').select(['e.type as event_type', 'e.target_webhook_id as event_target']);
}

export async function listDeliveries(
  db: Kysely<Tables>,
  companyId: string,
  webhookId: string,
  status: DeliveryStatus | undefined,
  limit: number,
  before?: string,
): Promise<Joined[]> {
  return deliveryLogQuery(db, companyId, webhookId, status, limit, before).execute();
}

/**
 * An endpoint's deliveries, newest first. A failed-only page walks deliveries_failed, the failed
 * rows alone (SQLite picks the partial index for the bound status, as the plan test checks).
 */
export function deliveryLogQuery(db: Kysely<Tables>, companyId: string, webhookId: string, status: DeliveryStatus | undefined, limit: number, before?: string) {
  let q = withType(db).where('d.webhook_id', '=', webhookId).where('d.company_id', '=', companyId);
  if (status) q = q.where('d.status', '=', status);
  if (before) q = q.where('d.id', '<', before);
  return q.orderBy('d.id', 'desc').limit(limit);
}

export async function getDelivery(db: Kysely<Tables>, companyId: string, id: string): Promise<Joined | undefined> {
  return withType(db).where('d.id', '=', id).where('d.company_id', '=', companyId).executeTakeFirst();
}

/** A delivery's attempts, oldest first. */
export async function listAttempts(db: Kysely<Tables>, deliveryId: string): Promise<AttemptT[]> {
  const rows = await db.selectFrom('attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    status_code: r.status_code,
    error: r.error,
    duration_ms: r.duration_ms,
    request_headers: JSON.parse(r.request_headers) as Record<string, string>,
    response_headers: JSON.parse(r.response_headers) as Record<string, string>,
    response_body: r.response_body,
  }));
}

export async function countAttempts(db: Kysely<Tables>, deliveryId: string): Promise<number> {
  const row = await db
    .selectFrom('attempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Whether a delivery queued now goes in its conversation's order: its endpoint orders by
 * conversation (as the queuing transaction read it) and the event has a conversation and a
 * sequence. A change of the endpoint's ordering applies to what is queued after it.
 */
export const queuedInOrder = (ordering: string, conversationId: string | null, sequence: number | null): boolean =>
  ordering === 'conversation' && conversationId !== null && sequence !== null;

/** The one shape of a new delivery: pending, never attempted, due at `dueAt` (null: parked). */
export function pendingDelivery(d: {
  id: string;
  companyId: string;
  eventId: string;
  webhookId: string;
  conversationId: string | null;
  sequence: number | null;
  /** The endpoint's `ordering`, as the queuing transaction read it. */
  ordering: string;
  dueAt: number | null;
  createdAt: string;
  updatedAt?: string;
  /**
   * A person asked for this attempt: it goes whatever the endpoint's status (see
   * queueManualAttempt), and on its own, outside its conversation's order.
   */
  manual?: boolean;
}): Insertable<Tables['deliveries']> {
  return {
    id: d.id,
    company_id: d.companyId,
    event_id: d.eventId,
    webhook_id: d.webhookId,
    conversation_id: d.conversationId,
    sequence: d.sequence,
    status: 'pending',
    next_attempt_at: d.dueAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt ?? d.createdAt,
    // Every column given on every row: the rows of one fan-out go in one INSERT, whose column
    // list is the union of theirs, and SQLite has no DEFAULT to fill a row's missing ones.
    manual: d.manual ? 1 : 0,
    ordered: !d.manual && queuedInOrder(d.ordering, d.conversationId, d.sequence) ? 1 : 0,
  };
}

/** Marks a delivery for one manual attempt now (the claim takes it whatever its endpoint's status). */
export async function queueManualAttempt(trx: Kysely<Tables>, id: string, attemptCount: number, now: number): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({ status: 'pending', attempt_count: attemptCount, next_attempt_at: now, lease_until: null, manual: 1, updated_at: new Date(now).toISOString() })
    .where('id', '=', id)
    .execute();
}

/** The delivery of an event to an endpoint, if it has one. */
export async function findDeliveryOf(db: Kysely<Tables>, eventId: string, webhookId: string): Promise<string | undefined> {
  const row = await db.selectFrom('deliveries').select('id').where('event_id', '=', eventId).where('webhook_id', '=', webhookId).executeTakeFirst();
  return row?.id;
}

/** A test event (POST /v1/webhooks/{id}/test): stored for its endpoint only, never fanned out. */
export async function insertTestEvent(trx: Kysely<Tables>, companyId: string, webhookId: string, event: { id: string; type: string; created_at: string }): Promise<void> {
  await trx
    .insertInto('events')
    .values({ id: event.id, company_id: companyId, type: event.type, conversation_id: null, sequence: null, payload: JSON.stringify(event), created_at: event.created_at, target_webhook_id: webhookId })
    .execute();
}

export async function insertDeliveries(db: Kysely<Tables>, rows: Insertable<Tables['deliveries']>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('deliveries').values(rows).execute();
}

/** Reads a delivery for a change, locked on PostgreSQL. */
export async function lockCompanyDelivery(trx: Kysely<Tables>, dialect: 'sqlite' | 'postgres', companyId: string, id: string) {
  let q = trx.selectFrom('deliveries').selectAll().where('id', '=', id).where('company_id', '=', companyId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Puts an endpoint's failed deliveries created since `since` back in the queue with a fresh schedule. */
export async function requeueFailed(trx: Kysely<Tables>, webhookId: string, ordering: string, since: string, now: number): Promise<number> {
  // Queued again: in order when the endpoint orders by conversation now (queuedInOrder, row by row).
  const ordered = ordering === 'conversation'
    ? sql<number>`CASE WHEN conversation_id IS NOT NULL AND sequence IS NOT NULL THEN 1 ELSE 0 END`
    : sql<number>`0`;
  const res = await trx
    .updateTable('deliveries')
    .set({ status: 'pending', attempt_count: 0, lease_until: null, next_attempt_at: now, updated_at: new Date(now).toISOString(), ordered })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'failed')
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * One page (by id) of a company's events since a time that have no delivery for the endpoint,
 * leaving out test events (they belong to the endpoint they were sent to).
 */
export async function eventsWithoutDelivery(db: Kysely<Tables>, companyId: string, webhookId: string, since: string, afterId: string | null, limit: number) {
  let q = db
    .selectFrom('events as e')
    .select(['e.id', 'e.type', 'e.payload', 'e.conversation_id', 'e.sequence', 'e.created_at'])
    .where('e.company_id', '=', companyId)
    .where('e.created_at', '>=', since)
    .where('e.target_webhook_id', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('deliveries as x').select('x.id').whereRef('x.event_id', '=', 'e.id').where('x.webhook_id', '=', webhookId))),
    );
  if (afterId) q = q.where('e.id', '>', afterId);
  return q.orderBy('e.id').limit(limit).execute();
}
