import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * The per-minute rollup of attempts (table attempt_minutes, migration 0008): counts by outcome and
 * a latency histogram per endpoint and minute, written with the attempts, read by the console's
 * overview. Percentiles from it are bucket upper bounds: accurate to the bucket, never scanning
 * the attempts themselves.
 */

/** Upper bounds (ms) of the latency buckets l0..l10; l11 holds everything slower. */
export const LATENCY_BOUNDS = [25, 50, 100, 200, 400, 800, 1500, 3000, 6000, 12000, 30000] as const;
const BUCKETS = LATENCY_BOUNDS.length + 1;
type Bucket = `l${number}`;
const bucketCols = Array.from({ length: BUCKETS }, (_, i) => `l${i}` as Bucket);

export type RollupOutcome = 'succeeded' | 'retrying' | 'failed';

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

type Row = Tables['attempt_minutes'];

/** Adds attempts to their minutes: one upsert per endpoint and minute (a batch is usually one or two). */
export async function addToRollup(db: Kysely<Tables>, attempts: RolledAttempt[]): Promise<void> {
  const rows = new Map<string, Row>();
  for (const a of attempts) {
    const minute = Math.floor(a.atMs / 60_000);
    const key = `${a.companyId} ${a.webhookId} ${minute}`;
    let r = rows.get(key);
    if (!r) {
      r = { company_id: a.companyId, webhook_id: a.webhookId, minute, succeeded: 0, retrying: 0, failed: 0 } as Row;
      for (const c of bucketCols) (r as unknown as Record<string, number>)[c] = 0;
      rows.set(key, r);
    }
    r[a.outcome] += 1;
    (r as unknown as Record<string, number>)[`l${bucketOf(a.durationMs)}`] += 1;
  }
  for (const r of [...rows.values()].sort((x, y) => (x.webhook_id < y.webhook_id ? -1 : x.webhook_id > y.webhook_id ? 1 : x.minute - y.minute))) {
    await db
      .insertInto('attempt_minutes')
      .values(r)
      .onConflict((oc) =>
        oc.columns(['company_id', 'webhook_id', 'minute']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const c of ['succeeded', 'retrying', 'failed', ...bucketCols] as const) set[c] = eb(`attempt_minutes.${c}` as never, '+', eb.ref(`excluded.${c}` as never));
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

/** Sums per slot of `stepMin` minutes from `fromMinute` on, for the company or one of its endpoints. */
export async function rollupSlots(db: Kysely<Tables>, companyId: string, fromMinute: number, stepMin: number, webhookId?: string): Promise<Slot[]> {
  // Literals, not parameters: PostgreSQL matches the GROUP BY expression to the selected one by text.
  const slot = sql<number>`(minute - ${sql.lit(Math.trunc(fromMinute))}) / ${sql.lit(Math.trunc(stepMin))}`;
  let q = db
    .selectFrom('attempt_minutes')
    .select([slot.as('slot'), sql<number>`sum(succeeded)`.as('succeeded'), sql<number>`sum(retrying)`.as('retrying'), sql<number>`sum(failed)`.as('failed')])
    .select(bucketCols.map((c) => sql<number>`sum(${sql.ref(c)})`.as(c)))
    .where('company_id', '=', companyId)
    .where('minute', '>=', fromMinute);
  if (webhookId) q = q.where('webhook_id', '=', webhookId);
  const rows = (await q.groupBy(slot).execute()) as unknown as Record<string, number | string>[];
  return rows.map((r) => ({
    at: (fromMinute + Number(r.slot) * stepMin) * 60_000,
    succeeded: Number(r.succeeded),
    retrying: Number(r.retrying),
    failed: Number(r.failed),
    histogram: bucketCols.map((c) => Number(r[c])),
  }));
}

/** Endpoints with the most failed and retried attempts since `fromMinute`, worst first. */
export async function failingEndpoints(db: Kysely<Tables>, companyId: string, fromMinute: number, limit: number) {
  const rows = await db
    .selectFrom('attempt_minutes')
    .select(['webhook_id', sql<number>`sum(failed)`.as('failed'), sql<number>`sum(retrying)`.as('retrying'), sql<number>`sum(succeeded + retrying + failed)`.as('total')])
    .where('company_id', '=', companyId)
    .where('minute', '>=', fromMinute)
    .groupBy('webhook_id')
    .having(sql`sum(failed + retrying)`, '>', 0)
    .orderBy(sql`sum(failed + retrying)`, 'desc')
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
