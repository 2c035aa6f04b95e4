import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';
import type { Database, DialectName } from './database.ts';
import { NOTIFY_CHANNEL } from './notifier.ts';
import { padIn } from './in-list.ts';
import { selectDue, type DueCandidate } from './sql/select-due.ts';
import { leaseDeliveries, type LeasedRow } from './sql/lease-deliveries.ts';
import { loadEvents } from './sql/load-events.ts';

/**
 * The delivery queue: pending rows of `deliveries`, claimed with a lease. A delivery is claimable
 * when it is pending, due, not leased (or its lease expired: its worker died), its endpoint is
 * active, and, for `ordering: conversation` endpoints, no earlier delivery of the same
 * conversation queued in order is still pending (the deliveries_ordering index holds the
 * deliveries queued in order alone: store/deliveries.ts, queuedInOrder). These rules are in
 * SQL, so they hold across any number of worker processes; each process then keeps its endpoints
 * to `max_in_flight` (worker.ts).
 *
 * `next_attempt_at` is when a delivery is due. On PostgreSQL `lease_until` is how long a claim
 * holds it: a lease writes only that column, which no index holds, so leased rows stay in the due
 * range and claims read past them (store/sql/lease-deliveries.ts). On SQLite one process owns the
 * store and its claims are held in memory (held-claims.ts), left out of the next claims by id: a
 * claim writes nothing. Either way a claim ends at its lease's end, and a dead worker's deliveries
 * are due again then (on SQLite, with the process, at once). And:
 * - a due row that cannot go (its endpoint is not active, or an earlier delivery of its
 *   conversation is pending) is "parked" with NULL the first time a claim reads it, so it is read
 *   once, not on every claim. Finishing a conversation's delivery un-parks the next one (delivery/attempt-outcome.ts),
 *   enabling or recovering an endpoint un-parks all of its deliveries (`unparkEndpoint`). Parking
 *   re-checks its reason under the lock that the un-parking side takes first, so no row is
 *   parked after its reason is gone.
 *
 * `attempt_count` counts the attempts charged against the endpoint's retry schedule (a manual
 * retry gives one back; recovery starts the schedule over); the attempts table is the history.
 */

export interface ClaimedDelivery {
  id: string;
  company_id: string;
  event_id: string;
  webhook_id: string;
  attempt_count: number;
  /** A manual retry (POST /v1/deliveries/{id}/retry): sent whatever the endpoint's status. */
  manual: boolean;
  /** The lease this claim holds; it also identifies the claim when the outcome is recorded. */
  lease_until: number;
  /** The conversation and its sequence, for `ordering: conversation` endpoints (un-parking the next one). */
  conversation_id: string | null;
  sequence: number | null;
}

export interface ClaimOptions {
  now: number;
  limit: number;
  /** Lease length; the batch's longest endpoint timeout is added. */
  leaseMs: number;
  /** Endpoints this process takes nothing for now (no room, or their rate limit is used up). */
  exclude: string[];
  /** How many deliveries this process may take for an endpoint now. */
  room(webhookId: string, maxInFlight: number): number;
  /**
   * How many of the `limit` the process can probably take: the room its endpoints have, plus some
   * for endpoints it holds nothing for. The scan reads candidates for this many, not for `limit`:
   * rows beyond an endpoint's room are read only to be skipped. Defaults to `limit`.
   */
  expected?: number;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  /** The events of the claimed deliveries, by id (an event that is gone is missing). */
  events: Map<string, { type: string; payload: string }>;
  /** Status and row version of the claimed deliveries' endpoints, as the claim read them. */
  endpoints: Map<string, { status: string; updatedAt: string }>;
  /** Rows parked by this claim: the scan may find claimable rows behind them at once. */
  parked: number;
}

type Dialect = DialectName;

/** A claim that took nothing (`parked` rows it parked on the way). */
export const nothingClaimed = (parked = 0): ClaimResult => ({ claimed: [], parked, events: new Map(), endpoints: new Map() });

// Candidates read per claim, relative to the batch: room for rows that the per-endpoint room trims
// away or that get parked. Each row read costs about as much as the lease it may get. (On
// PostgreSQL the candidates are locked as they are read, so concurrent workers read different
// rows and none is read to be lost to another worker's lease.)
const SCAN_FACTOR = 1.25;

/**
 * Claims up to `limit` due deliveries, oldest due first, in one transaction: candidates are read,
 * the ones that cannot go are parked, the rest trimmed to each endpoint's room and leased. On
 * PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so a concurrent worker's claim reads
 * the rows after them, not the same ones to lose them at the lease (which re-checks its conditions
 * on the locked row). Measured on `postgres-drain`: 1.5 candidates read per delivery against 3.4
 * when the claims were separate statements, 70-80 µs of PostgreSQL time per delivery against
 * 85-91, 5,485-5,991/s against 4,474-5,022/s. On SQLite the claim joins the group commit (the
 * process owns the store).
 */
export async function claimDue(database: Database, o: ClaimOptions): Promise<ClaimResult> {
  const { db, dialect, claims: held } = database;
  const run = async (trx: Kysely<Tables>): Promise<ClaimResult> => {
    const inOrder = o.exclude.length === 0;
    const view = held?.forClaim(o.now, inOrder);
    const scan = Math.ceil(Math.min(o.limit, o.expected ?? o.limit) * SCAN_FACTOR);
    const candidates = await selectDue(trx, dialect, { now: o.now, exclude: o.exclude, held: view?.held, from: view?.floor, limit: scan });
    // SQLite, the queue read in order: the floor moves to the first candidate this claim leaves,
    // or back to the start when the queue ended (held-claims.ts).
    const advance = (taken: Set<string>) => {
      if (!held || !inOrder) return;
      if (candidates.length < scan) return held.advance(null, o.now);
      const left = candidates.find((c) => !taken.has(c.id)) ?? candidates[candidates.length - 1]!;
      held.advance({ dueAt: left.due_at, webhookId: left.webhook_id, id: left.id }, o.now);
    };
    if (candidates.length === 0) {
      advance(new Set());
      return nothingClaimed();
    }
    const taken = new Map<string, number>();
    const chosen: DueCandidate[] = [];
    const blocked: { id: string; pred: string }[] = [];
    const inactive: { id: string; webhook_id: string }[] = [];
    let longestTimeout = 0;
    for (const c of candidates) {
      // A manual retry goes whatever the endpoint's status; every other row waits for it to be active.
      if (c.webhook_status !== 'active' && Number(c.manual) !== 1) inactive.push(c);
      else if (c.pred !== null) blocked.push({ id: c.id, pred: c.pred });
      else if (chosen.length < o.limit) {
        const n = taken.get(c.webhook_id) ?? 0;
        if (n >= o.room(c.webhook_id, c.max_in_flight)) continue;
        taken.set(c.webhook_id, n + 1);
        chosen.push(c);
        longestTimeout = Math.max(longestTimeout, c.timeout_ms);
      }
    }
    const parked = blocked.length + inactive.length > 0 ? await park(trx, dialect, o.now, blocked, inactive).catch(() => 0) : 0;
    if (chosen.length === 0) {
      advance(new Set());
      return nothingClaimed(parked);
    }
    // A worker gives a delivery back rather than send it once less than its timeout is left, so
    // the lease covers any wait in the worker plus one attempt. Short leases matter: a worker
    // that dies holds its deliveries until they run out.
    const lease = o.now + o.leaseMs + longestTimeout;
    const endpoints = new Map<string, { status: string; updatedAt: string }>();
    const claimOf = (r: DueCandidate | LeasedRow): ClaimedDelivery => ({
      id: r.id, company_id: r.company_id, event_id: r.event_id, webhook_id: r.webhook_id, attempt_count: Number(r.attempt_count),
      manual: Number(r.manual) === 1, lease_until: lease, conversation_id: r.conversation_id, sequence: r.sequence === null ? null : Number(r.sequence),
    });
    if (held) {
      // SQLite: the candidates were read in this transaction, so they are the claim; it is held
      // in memory (held-claims.ts) and only the events are read.
      const events = await loadEvents(trx, dialect, [...new Set(chosen.map((c) => c.event_id))]);
      // Another claim of this process may have taken some meanwhile (another worker on this
      // store): what it holds is left to it, and from here to the hold nothing else runs.
      const free = chosen.filter((c) => !held.isHeld(c.id, o.now));
      for (const c of free) {
        held.hold(c.id, lease, c.due_at, c.webhook_id);
        endpoints.set(c.webhook_id, { status: c.webhook_status, updatedAt: c.webhook_updated_at });
      }
      // Held now, by this claim or the other: what the floor may move past.
      advance(new Set(chosen.map((c) => c.id)));
      return { claimed: free.map(claimOf), parked, events, endpoints };
    }
    const rows = await leaseDeliveries(trx, chosen.map((c) => c.id), o.now, lease);
    // Keep the candidates' order (oldest due first); RETURNING does not promise one.
    const byId = new Map(rows.map((r) => [r.id, r]));
    const events = new Map<string, { type: string; payload: string }>();
    for (const r of rows) if (r.event_type !== null && r.payload !== null) events.set(r.event_id, { type: r.event_type, payload: r.payload });
    for (const c of chosen) if (byId.has(c.id)) endpoints.set(c.webhook_id, { status: c.webhook_status, updatedAt: c.webhook_updated_at });
    const claimed = chosen.flatMap((c): ClaimedDelivery[] => {
      const r = byId.get(c.id);
      return r ? [claimOf(r)] : [];
    });
    return { claimed, parked, events, endpoints };
  };
  if (dialect === 'postgres') return db.transaction().execute(run);
  // On SQLite the claim joins the group commit: it reads what committed with the writes queued
  // beside it, and parks in their COMMIT. Should that COMMIT fail, the claim never was.
  let result: ClaimResult | null = null;
  try {
    return await database.transaction(async (trx) => (result = await run(trx)));
  } catch (err) {
    for (const c of (result as ClaimResult | null)?.claimed ?? []) held!.release(c.id, c.lease_until, 'given back');
    throw err;
  }
}

/**
 * Parks due rows that cannot go. On PostgreSQL the rows whose state decides it (the earlier
 * delivery, the endpoint) are locked first, with SKIP LOCKED so parking never waits (and so never
 * deadlocks with a worker recording an outcome): a row whose deciding row is busy is simply left
 * for a later claim. The reason is checked again in the UPDATE, whose snapshot follows the locks,
 * so an outcome or an enable that committed meanwhile is seen, and one still to come waits for
 * this transaction and then un-parks. Parking is an optimisation: if it fails, nothing else does.
 */
async function park(
  trx: Kysely<Tables>,
  dialect: Dialect,
  now: number,
  blocked: { id: string; pred: string }[],
  inactive: { id: string; webhook_id: string }[],
): Promise<number> {
  const write = async (t: Kysely<Tables>): Promise<number> => {
    let n = 0;
    if (dialect === 'postgres' && blocked.length > 0) {
      const preds = [...new Set(blocked.map((b) => b.pred))];
      const held = new Set((await t.selectFrom('deliveries').select('id').where('id', 'in', preds).forUpdate().skipLocked().execute()).map((r) => r.id));
      blocked = blocked.filter((b) => held.has(b.pred));
    }
    if (blocked.length > 0) {
      const res = await t
        .updateTable('deliveries as d')
        .set({ next_attempt_at: null })
        .where('d.id', 'in', padIn(blocked.map((b) => b.id)))
        .where('d.status', '=', 'pending')
        .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('deliveries as p')
              .select('p.id')
              .whereRef('p.webhook_id', '=', 'd.webhook_id')
              .whereRef('p.conversation_id', '=', 'd.conversation_id')
              .where('p.status', '=', 'pending')
              .where('p.ordered', '=', 1)
              .whereRef('p.sequence', '<', 'd.sequence'),
          ),
        )
        .executeTakeFirst();
      n += Number(res.numUpdatedRows);
    }
    let hooks = [...new Set(inactive.map((r) => r.webhook_id))];
    if (dialect === 'postgres' && hooks.length > 0) {
      hooks = (await t.selectFrom('webhooks').select('id').where('id', 'in', hooks).forShare().skipLocked().execute()).map((r) => r.id);
    }
    const parkable = inactive.filter((r) => hooks.includes(r.webhook_id));
    if (parkable.length > 0) {
      const res = await t
        .updateTable('deliveries')
        .set({ next_attempt_at: null })
        .where('id', 'in', padIn(parkable.map((r) => r.id)))
        .where('status', '=', 'pending')
        .where('manual', '=', 0)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .where('webhook_id', 'in', (eb) => eb.selectFrom('webhooks').select('id').where('id', 'in', hooks).where('status', '!=', 'active'))
        .executeTakeFirst();
      n += Number(res.numUpdatedRows);
    }
    return n;
  };
  // Inside the claim's transaction; on PostgreSQL under a savepoint, so a parking that fails
  // leaves the claim's transaction usable for the lease.
  if (dialect === 'sqlite') return write(trx);
  await sql`SAVEPOINT park`.execute(trx);
  try {
    const n = await write(trx);
    await sql`RELEASE SAVEPOINT park`.execute(trx);
    return n;
  } catch (err) {
    await sql`ROLLBACK TO SAVEPOINT park`.execute(trx);
    throw err;
  }
}

/** Makes every parked delivery of an endpoint due now (it was enabled or recovered). */
export async function unparkEndpoint(trx: Kysely<Tables>, webhookId: string, now: number): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({ next_attempt_at: now })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', 'is', null)
    .execute();
}

/** Makes the next pending delivery of a conversation due if it was parked behind the one that finished. */
export async function unparkNext(trx: Kysely<Tables>, webhookId: string, conversationId: string, now: number): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({ next_attempt_at: now })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('deliveries as n')
        .select('n.id')
        .where('n.webhook_id', '=', webhookId)
        .where('n.conversation_id', '=', conversationId)
        .where('n.status', '=', 'pending')
        .where('n.ordered', '=', 1)
        .orderBy('n.sequence')
        .limit(1),
    )
    .where('next_attempt_at', 'is', null)
    .execute();
}

/**
 * When the next not-yet-due delivery of an active endpoint becomes due (epoch ms), or null. Tells
 * an idle worker how long it may sleep (leases running out included).
 */
export async function nextDueAt(db: Kysely<Tables>, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select((eb) => eb.fn.min('d.next_attempt_at').as('at'))
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '>', now)
    .where('w.status', '=', 'active')
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

/** Gives claimed deliveries back unsent (no attempt counted), due again at `dueAt`. */
export async function releaseLeases(database: Database, claims: { id: string; lease_until: number }[], dueAt: number): Promise<void> {
  if (database.claims) {
    // SQLite: a held delivery kept its place in the queue; it is due again where it was.
    for (const c of claims) database.claims.release(c.id, c.lease_until, 'given back');
    return;
  }
  const byLease = new Map<number, string[]>();
  for (const c of claims) byLease.set(c.lease_until, [...(byLease.get(c.lease_until) ?? []), c.id]);
  for (const [lease, ids] of byLease) {
    await database.db.updateTable('deliveries').set({ lease_until: null, next_attempt_at: dueAt }).where('id', 'in', padIn(ids)).where('lease_until', '=', lease).execute();
  }
}

// Who holds a delivery. A PostgreSQL claim writes its lease on the row, and the claim holds the
// delivery while the row carries that lease; a SQLite claim is held in memory (held-claims.ts)
// and its row carries none. A listener session's claims (store/listeners.ts) have no lease (0).

/** The claims that still hold their delivery (on PostgreSQL the row says so, in the statement that finishes it). */
export function stillHeld<C extends { id: string; lease_until: number }>(database: Database, claims: C[]): C[] {
  const held = database.claims;
  return held ? claims.filter((c) => c.lease_until === 0 || held.holds(c.id, c.lease_until)) : claims;
}

/** Whether a claim still holds its delivery, given the delivery's row as read to record its outcome. */
export function holdsRow(database: Database, claim: { id: string; lease_until: number }, row: { status: string; lease_until: number | string | null }): boolean {
  if (row.status !== 'pending') return false;
  if (!database.claims || claim.lease_until === 0) return Number(row.lease_until ?? 0) === claim.lease_until;
  return database.claims.holds(claim.id, claim.lease_until);
}

/** Ends claims once their outcome committed (SQLite: their holds; a PostgreSQL outcome cleared the lease in its row). */
export function endClaims(database: Database, claims: { id: string; lease_until: number }[]): void {
  if (database.claims) for (const c of claims) database.claims.release(c.id, c.lease_until);
}

/** Whether an attempt of the delivery may be in progress now: a claim holds it. */
export function isClaimed(database: Database, row: { id: string; status: string; lease_until: number | string | null }, now: number): boolean {
  if (row.status !== 'pending') return false;
  if (row.lease_until !== null && Number(row.lease_until) >= now) return true;
  return database.claims?.isHeld(row.id, now) ?? false;
}

/** Reads claimed deliveries for recording their outcome; on PostgreSQL locked, in id order. */
export async function lockDeliveries(trx: Kysely<Tables>, dialect: Dialect, ids: string[]) {
  let q = trx.selectFrom('deliveries').selectAll().where('id', 'in', padIn(ids)).orderBy('id');
  if (dialect === 'postgres') q = q.forUpdate();
  return q.execute();
}

/**
 * Wakes the workers of other processes when the transaction commits (PostgreSQL NOTIFY). Callers
 * also call `notifier.wake()` after the commit for this process's workers.
 */
export async function notifyWorkers(trx: Kysely<Tables>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`.execute(trx);
}
