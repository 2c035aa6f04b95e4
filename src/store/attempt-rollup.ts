import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * The rollup of attempts (table attempt_rollup, migration 0009): counts by outcome and a latency
 * histogram per endpoint and slot, at the three slot sizes the console's overview draws, written in
 * the transaction that records the attempts, read by the overview. Percentiles from it are bucket
 * upper bounds: accurate to the bucket, never scanning the attempts themselves.
 */

/** Upper bounds (ms) of the latency buckets l0..l10; l11 holds everything slower. */
export const LATENCY_BOUNDS = [25, 50, 100, 200, 400, 800, 1500, 3000, 6000, 12000, 30000] as const;
const BUCKETS = LATENCY_BOUNDS.length + 1;
type Bucket = `l${number}`;
const bucketCols = Array.from({ length: BUCKETS }, (_, i) => `l${i}` as Bucket);
const COUNT_COLS = ['succeeded', 'retrying', 'failed', ...bucketCols] as const;

/**
 * Slot sizes in minutes, one per overview range (the hour per minute, the day per quarter hour,
 * the week per hour): a range reads at most 168 rows per endpoint whatever the attempt count.
 */
export const GRAINS = [1, 15, 60] as const;
export type Grain = (typeof GRAINS)[number];

export type RollupOutcome = 'succeeded' | 'retrying' | 'failed';

/**
 * How long each grain's rows are kept, in minutes: the longest overview range drawn at that grain
 * (services/webhook-overview.ts RANGES: 1 h per minute, 24 h per quarter hour, 7 days per
 * hour) with a margin. Older rows are never read and are pruned (`pruneRollup`).
 */
export const GRAIN_KEPT_MINUTES: Record<Grain, number> = { 1: 2 * 60, 15: 2 * 24 * 60, 60: 8 * 24 * 60 };

export function bucketOf(ms: number): number {
  const i = LATENCY_BOUNDS.findIndex((b) => ms <= b);
  return i < 0 ? BUCKETS - 1 : i;
}

export interface RolledAttempt {
  companyId: string;
  webhookId: string;
  atMs: number;
  durationMs: number;
  outcome: RollupOutcome;
}

type Row = Tables['attempt_rollup'];
// 19 columns a row: 19 × 500 parameters stay well under SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT = 500;

/** The rows a batch of attempts adds to, summed per key (company, grain, slot, endpoint) and sorted by it. */
export function rollupRows(attempts: RolledAttempt[]): Row[] {
  const rows = new Map<string, Row>();
  // A batch is mostly one endpoint's attempts within one minute: those go to the rows the previous
  // attempt went to, found without building three keys for each.
  let last: { companyId: string; webhookId: string; minute: number; rows: Row[] } | null = null;
  for (const a of attempts) {
    const minute = Math.floor(a.atMs / 60_000);
    const bucket = bucketCols[bucketOf(a.durationMs)] as 'l0';
    if (last === null || last.minute !== minute || last.webhookId !== a.webhookId || last.companyId !== a.companyId) {
      last = { companyId: a.companyId, webhookId: a.webhookId, minute, rows: GRAINS.map((grain) => rowOf(rows, a, grain, Math.floor(minute / grain) * grain)) };
    }
    for (const r of last.rows) {
      r[a.outcome] += 1;
      r[bucket] += 1;
    }
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...rows.values()].sort((x, y) => cmp(x.company_id, y.company_id) || x.grain - y.grain || x.slot - y.slot || cmp(x.webhook_id, y.webhook_id));
}

function rowOf(rows: Map<string, Row>, a: RolledAttempt, grain: Grain, slot: number): Row {
  const key = `${a.companyId} ${grain} ${slot} ${a.webhookId}`;
  let r = rows.get(key);
  if (!r) {
    r = { company_id: a.companyId, grain, slot, webhook_id: a.webhookId } as Row;
    for (const c of COUNT_COLS) (r as unknown as Record<string, number>)[c] = 0;
    rows.set(key, r);
  }
  return r;
}

/**
 * Adds attempts to their slots: a batch within one minute touches three rows per endpoint, all
 * written by one multi-row upsert. Rows go in key order, so concurrent writers on PostgreSQL lock
 * them in the same order.
 */
export async function addToRollup(db: Kysely<Tables>, attempts: RolledAttempt[]): Promise<void> {
  const rows = rollupRows(attempts);
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await db
      .insertInto('attempt_rollup')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.columns(['company_id', 'grain', 'slot', 'webhook_id']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const c of COUNT_COLS) set[c] = eb(`attempt_rollup.${c}` as never, '+', eb.ref(`excluded.${c}` as never));
          return set as never;
        }),
      )
      .execute();
  }
}

export interface Slot {
  /** Start of the slot, epoch ms. */
  at: number;
  succeeded: number;
  retrying: number;
  failed: number;
  histogram: number[];
}

/** Sums per slot of `grain` minutes from `fromMinute` (a multiple of grain) on, for the company or one of its endpoints. */
export async function rollupSlots(db: Kysely<Tables>, companyId: string, fromMinute: number, grain: Grain, webhookId?: string): Promise<Slot[]> {
  let q = db
    .selectFrom('attempt_rollup')
    .select(['slot', sql<number>`sum(succeeded)`.as('succeeded'), sql<number>`sum(retrying)`.as('retrying'), sql<number>`sum(failed)`.as('failed')])
    .select(bucketCols.map((c) => sql<number>`sum(${sql.ref(c)})`.as(c)))
    .where('company_id', '=', companyId)
    .where('grain', '=', grain)
    .where('slot', '>=', fromMinute);
  if (webhookId) q = q.where('webhook_id', '=', webhookId);
  const rows = (await q.groupBy('slot').execute()) as unknown as Record<string, number | string>[];
  return rows.map((r) => ({
    at: Number(r.slot) * 60_000,
    succeeded: Number(r.succeeded),
    retrying: Number(r.retrying),
    failed: Number(r.failed),
    histogram: bucketCols.map((c) => Number(r[c])),
  }));
}

/** Endpoints with the most failed and retried attempts in the slots of `grain` from `fromMinute` on, worst first. */
export async function failingEndpoints(db: Kysely<Tables>, companyId: string, fromMinute: number, grain: Grain, limit: number) {
  const rows = await db
    .selectFrom('attempt_rollup')
    .select(['webhook_id', sql<number>`sum(failed)`.as('failed'), sql<number>`sum(retrying)`.as('retrying'), sql<number>`sum(succeeded + retrying + failed)`.as('total')])
    .where('company_id', '=', companyId)
    .where('grain', '=', grain)
    .where('slot', '>=', fromMinute)
    .groupBy('webhook_id')
    .having(sql`sum(failed + retrying)`, '>', 0)
    .orderBy(sql`sum(failed + retrying)`, 'desc')
    .orderBy('webhook_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ webhook_id: r.webhook_id, failed: Number(r.failed), retrying: Number(r.retrying), total: Number(r.total) }));
}

/** The latency under which `q` (0..1) of the attempts in a histogram fell: a bucket's upper bound. */
export function percentile(histogram: number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= q * total) return i < LATENCY_BOUNDS.length ? LATENCY_BOUNDS[i]! : Infinity;
  }
  return Infinity;
}

/**
 * Deletes the rows no overview range reaches any more (GRAIN_KEPT_MINUTES), company by company so
 * each delete is a range of the primary key. Returns the rows deleted.
 */
export async function pruneRollup(db: Kysely<Tables>, nowMs: number): Promise<number> {
  const nowMinute = Math.floor(nowMs / 60_000);
  const companies = await db.selectFrom('attempt_rollup').select('company_id').distinct().execute();
  let deleted = 0;
  for (const { company_id } of companies) {
    for (const grain of GRAINS) {
      const res = await db
        .deleteFrom('attempt_rollup')
        .where('company_id', '=', company_id)
        .where('grain', '=', grain)
        .where('slot', '<', nowMinute - GRAIN_KEPT_MINUTES[grain])
        .executeTakeFirst();
      deleted += Number(res.numDeletedRows);
    }
  }
  return deleted;
}
