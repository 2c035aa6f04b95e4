import type { Kysely } from 'kysely';
import { arrayRows, list, prepared, run, runRows, type Dialect, type Statement } from './statement.ts';
import type { HeldRow, QueuePlace } from '../held-claims.ts';

export interface DueCandidate {
  id: string;
  webhook_id: string;
  manual: number | boolean;
  max_in_flight: number;
  timeout_ms: number;
  webhook_status: string;
  /** The endpoint row's version: the worker reads the row again only when it changed. */
  webhook_updated_at: string;
  /** When it came due (epoch ms): the claim takes the oldest first. */
  due_at: number;
  /** For ordered endpoints: the nearest earlier delivery of the conversation still pending. */
  pred: string | null;
  // What a claim returns of the delivery (on SQLite the claim writes nothing, so it reads nothing more).
  company_id: string;
  event_id: string;
  attempt_count: number;
  conversation_id: string | null;
  sequence: number | null;
}

// SQLite: claims are held in memory (store/held-claims.ts), and every statement that reads
// candidates leaves the held ones out, given as a JSON list (a claim that reads the queue in order
// starts at the claims' floor and lists only those after it). The test comes before any on a
// column the index lacks, so SQLite rejects held rows from the index alone (192 held rows cost a
// claim ~67 µs tested after lease_until, ~8 µs before it).
const NOT_HELD = `id NOT IN (SELECT value FROM json_each(?))`;

// PostgreSQL: every statement that reads candidates locks them, so a claim's transaction holds its
// candidates and a concurrent claim walks past them to the rows after (store/queue.ts).
const LOCK = ' FOR UPDATE SKIP LOCKED';

// A candidate's columns, in the order SQLite returns them as arrays (statement.ts, arrayRows).
const CANDIDATE: [keyof DueCandidate, string][] = [
  ['id', 'd.id'], ['webhook_id', 'd.webhook_id'], ['manual', 'd.manual'], ['company_id', 'd.company_id'], ['event_id', 'd.event_id'],
  ['attempt_count', 'd.attempt_count'], ['conversation_id', 'd.conversation_id'], ['sequence', 'd.sequence'],
  ['max_in_flight', 'w.max_in_flight'], ['timeout_ms', 'w.timeout_ms'], ['webhook_status', 'w.status'], ['webhook_updated_at', 'w.updated_at'],
  ['due_at', 'd.next_attempt_at'],
  // For ordered deliveries of ordered endpoints: the nearest earlier ordered delivery of the
  // conversation still pending (the deliveries_ordering index holds those alone).
  ['pred', `CASE WHEN w.ordering = 'conversation' AND d.ordered = 1 THEN
      (SELECT p.id FROM deliveries p WHERE p.webhook_id = d.webhook_id AND p.conversation_id = d.conversation_id
         AND p.status = 'pending' AND p.ordered = 1 AND p.sequence < d.sequence ORDER BY p.sequence DESC LIMIT 1) END`],
];
const COLUMNS = CANDIDATE.map(([name, expr]) => `${expr} AS ${name}`).join(', ');
const candidates = (stmt: Statement) => arrayRows<DueCandidate>(stmt, CANDIDATE.map(([name]) => name));

/**
 * Due rows of `deliveries` picked first, on their own, then joined: the ORDER BY and LIMIT on the
 * one table walk the due index and stop at the limit. Written as one join, PostgreSQL's planner
 * (which cannot tell how many rows the join keeps) read every due row and sorted them, 25 ms a
 * claim at 50,000 due rows against 1 ms. `kind` is checked after the limit: listener sessions'
 * deliveries are never due (fan-out.ts gives them no next_attempt_at), the check is a safety net.
 * No tie-breaker in ORDER BY: the due index gives this order, and a second key would sort every due row.
 * `lock` locks the rows picked, before the join.
 */
function dueThenJoin(where: string, limit: string, lock: '' | typeof LOCK = '', order = 'next_attempt_at'): string {
  return `SELECT ${COLUMNS}
    FROM (SELECT id, webhook_id, manual, company_id, event_id, attempt_count, conversation_id, sequence, ordered, next_attempt_at FROM deliveries
          WHERE ${where} ORDER BY ${order} LIMIT ${limit}${lock}) d
    JOIN webhooks w ON w.id = d.webhook_id
    WHERE w.kind = 'endpoint'
    ORDER BY ${order.replace(/(\w+)/g, 'd.$1')}`;
}

// SQLite's claim in order reads from the claims' floor, a place in the deliveries_due index's
// order (a row value compared with its columns: SQLite walks the index from there), and returns
// the rows in that order, which the floor's next place is taken from (held-claims.ts).
const IN_PLACE_ORDER = 'next_attempt_at, webhook_id, id';
const SELECT_DUE = candidates(prepared('sb_select_due', {
  sqlite: dueThenJoin(`status = 'pending' AND (next_attempt_at, webhook_id, id) >= (?, ?, ?) AND next_attempt_at <= ? AND ${NOT_HELD} AND (lease_until IS NULL OR lease_until < ?)`, '?', '', IN_PLACE_ORDER),
  postgres: dueThenJoin(`status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)`, '$2', LOCK),
}));

// The front of the due queue, read from the deliveries_due index alone (it holds both columns).
const DUE_FRONT = prepared('sb_due_front', {
  sqlite: `SELECT id, webhook_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
  postgres: `SELECT id, webhook_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2`,
});

const DUE_BY_IDS = candidates(prepared('sb_due_by_ids', {
  sqlite: `SELECT ${COLUMNS}
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.id IN (SELECT value FROM json_each(?)) AND d.status = 'pending' AND d.next_attempt_at <= ? AND w.kind = 'endpoint'
      AND (d.lease_until IS NULL OR d.lease_until < ?)`,
  postgres: `SELECT ${COLUMNS}
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.id = ANY($1::text[]) AND d.status = 'pending' AND d.next_attempt_at <= $2 AND w.kind = 'endpoint'
      AND (d.lease_until IS NULL OR d.lease_until < $2)
    FOR UPDATE OF d SKIP LOCKED`, // LOCK, on the deliveries row alone
}));

// Endpoints outside `exclude` with something due, the longest waiting first: one probe of the
// deliveries_pending index per endpoint, whatever the backlog. The probes are this query's cost:
// with tens of thousands of endpoints on one store, a few milliseconds for each claim that gets
// here (only those whose front is all left-out endpoints), where reading the backlog was seconds.
const HEAD = `(SELECT h.next_attempt_at FROM deliveries h WHERE h.webhook_id = w.id AND h.status = 'pending' AND h.next_attempt_at <= NOW
    HELD AND (h.lease_until IS NULL OR h.lease_until < NOW) ORDER BY h.next_attempt_at LIMIT 1)`;
const DUE_ENDPOINTS = prepared('sb_due_endpoints', {
  sqlite: `SELECT id FROM (SELECT w.id, ${HEAD.replaceAll('NOW', '?').replace('HELD', ` AND h.${NOT_HELD}`)} AS head FROM webhooks w
      WHERE w.kind = 'endpoint' AND w.id NOT IN (SELECT value FROM json_each(?)))
    WHERE head IS NOT NULL ORDER BY head LIMIT ?`,
  postgres: `SELECT id FROM (SELECT w.id, ${HEAD.replaceAll('NOW', '$1').replace('HELD', '')} AS head FROM webhooks w
      WHERE w.kind = 'endpoint' AND NOT (w.id = ANY($2::text[]))) e
    WHERE head IS NOT NULL ORDER BY head LIMIT $3`,
});

const DUE_OF_ENDPOINT = candidates(prepared('sb_due_of_endpoint', {
  sqlite: dueThenJoin(`webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? AND ${NOT_HELD} AND (lease_until IS NULL OR lease_until < ?)`, '?'),
  postgres: dueThenJoin(`webhook_id = $1 AND status = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)`, '$3', LOCK),
}));

/** Rows of the due queue's front read when endpoints are left out (enough to skip theirs cheaply). */
const DUE_FRONT_ROWS = 1024;
/** Reads by id of the front's rows per claim (see selectDue). */
const MAX_ROUNDS = 4;
/** Endpoints behind the front looked at per claim; the others' turn comes as these fill up. */
const ENDPOINTS_BEHIND_FRONT = 32;

export interface SelectDueOptions {
  now: number;
  /** Endpoints whose deliveries are not wanted now (their lanes are full, or out of rate tokens). */
  exclude: string[];
  /** SQLite: deliveries held by claims (store/held-claims.ts), left out. */
  held?: HeldRow[];
  /**
   * SQLite, with nothing excluded: where the due queue is read from (every row placed before it is
   * held, held-claims.ts), and `held` need list only the held rows from there on.
   */
  from?: QueuePlace;
  limit: number;
  /** Rows of the due queue's front read when `exclude` is not empty (tests make it small). */
  frontRows?: number;
}

/**
 * Due, unleased deliveries of HTTP endpoints, oldest due first, leaving out `exclude`'s endpoints.
 *
 * With nothing left out this is one walk down the due index. Leaving endpoints out is the case
 * that matters: a busy endpoint's lane is full while its backlog sits at the front of the queue,
 * and a plain `NOT IN` would read that whole backlog on every claim to find nothing (30-65 ms a
 * claim at 300,000 rows) or, bounded, would starve every endpoint behind it. So: the front of the
 * queue is read from the index alone and filtered here; if the front held nothing else but the
 * queue goes on behind it, each endpoint that has something due is asked for its own oldest rows
 * (deliveries_pending index), so an endpoint whose work arrived after a neighbour's burst is served
 * at once, not after the burst.
 */
export async function selectDue(db: Kysely<any>, dialect: Dialect, o: SelectDueOptions): Promise<DueCandidate[]> {
  const sqlite = dialect === 'sqlite';
  // Each statement is given the held rows it could read: of any endpoint, of the endpoints not
  // left out, of one endpoint (the endpoint left out is often the one holding most).
  const heldOf = (keep: (webhookId: string) => boolean) => JSON.stringify((o.held ?? []).filter((h) => keep(h.webhook_id)).map((h) => h.id));
  if (o.exclude.length === 0) {
    // In due order already (the statement's ORDER BY; on SQLite, in place order).
    return withDueAt(await runRows(db, dialect, SELECT_DUE, sqlite ? [o.from?.dueAt ?? 0, o.from?.webhookId ?? '', o.from?.id ?? '', o.now, heldOf(() => true), o.now, o.limit] : [o.now, o.limit]));
  }
  const frontRows = Math.max(o.frontRows ?? DUE_FRONT_ROWS, o.limit);
  const excluded = new Set(o.exclude);
  const heldIds = new Set((o.held ?? []).map((h) => h.id));
  const front = (await run<{ id: string; webhook_id: string }>(db, dialect, DUE_FRONT, [o.now, frontRows])).rows;
  const others = front.filter((r) => !excluded.has(r.webhook_id) && !heldIds.has(r.id)).map((r) => r.id);
  // The front read from the index alone also holds rows that the full read leaves out: on
  // PostgreSQL leased rows (a lease leaves next_attempt_at as it is) and rows another worker's
  // claim holds (locked). So the rows are asked for `limit` at a time, then twice what is
  // missing, while the front has more.
  const found: DueCandidate[] = [];
  for (let at = 0, round = 0; at < others.length && found.length < o.limit && round < MAX_ROUNDS; round++) {
    const ids = others.slice(at, at + (o.limit - found.length) * (round === 0 ? 1 : 2));
    at += ids.length;
    found.push(...(await runRows(db, dialect, DUE_BY_IDS, sqlite ? [list(dialect, ids), o.now, o.now] : [ids, o.now])));
  }
  if (found.length >= o.limit || front.length < frontRows) return sortByDue(found).slice(0, o.limit);
  // The front is taken by endpoints left out, and the queue goes on behind it: ask the others.
  const behind = (await run<{ id: string }>(db, dialect, DUE_ENDPOINTS, sqlite ? [o.now, heldOf((w) => !excluded.has(w)), o.now, list(dialect, o.exclude), ENDPOINTS_BEHIND_FRONT] : [o.now, o.exclude, ENDPOINTS_BEHIND_FRONT])).rows;
  const byId = new Map(found.map((r) => [r.id, r]));
  for (const { id } of behind) {
    const rows = await runRows(db, dialect, DUE_OF_ENDPOINT, sqlite ? [id, o.now, heldOf((w) => w === id), o.now, o.limit] : [id, o.now, o.limit]);
    for (const r of rows) byId.set(r.id, r);
  }
  return sortByDue([...byId.values()]).slice(0, o.limit);
}

function withDueAt(rows: DueCandidate[]): DueCandidate[] {
  // PostgreSQL's bigint comes back as a string.
  for (const r of rows) r.due_at = Number(r.due_at);
  return rows;
}

/** Rows gathered by several statements, oldest due first. */
const sortByDue = (rows: DueCandidate[]) => withDueAt(rows).sort((a, b) => a.due_at - b.due_at);
