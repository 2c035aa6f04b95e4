import type { ServiceContext, Caller } from './context.ts';
import * as store from '../store/webhook-overview.ts';
import * as rollup from '../store/attempt-rollup.ts';

/** The overview's ranges: how far back, and the minutes each chart slot sums. */
// Each step is one of the rollup's grains (store/attempt-rollup.ts GRAINS): a slot is one stored row per endpoint.
export const RANGES = { '1h': { minutes: 60, step: 1 }, '24h': { minutes: 24 * 60, step: 15 }, '7d': { minutes: 7 * 24 * 60, step: 60 } } as const satisfies Record<string, { minutes: number; step: rollup.Grain }>;
export type RangeName = keyof typeof RANGES;

export interface ChartPoint {
  at: string;
  succeeded: number;
  retrying: number;
  failed: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

function window(range: RangeName, nowMs: number) {
  const { minutes, step } = RANGES[range];
  const nowMin = Math.floor(nowMs / 60_000);
  const from = Math.floor((nowMin - minutes + 1) / step) * step;
  return { from, step, slots: Math.floor((nowMin - from) / step) + 1 };
}

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
    /**
     * Attempts per slot of the range by outcome, with p50/p99 latency, for the company or one of its
     * endpoints: from the rollup at the range's grain, every slot present (zeros where nothing happened).
     */
    async chart(caller: Caller, range: RangeName, webhookId?: string, nowMs = Date.now()): Promise<ChartPoint[]> {
      const w = window(range, nowMs);
      const got = new Map((await rollup.rollupSlots(db, caller.companyId, w.from, w.step, webhookId)).map((s) => [s.at, s]));
      return Array.from({ length: w.slots }, (_, i) => {
        const at = (w.from + i * w.step) * 60_000;
        const s = got.get(at);
        const p = (q: number) => (s ? rollup.percentile(s.histogram, q) : null);
        return { at: new Date(at).toISOString(), succeeded: s?.succeeded ?? 0, retrying: s?.retrying ?? 0, failed: s?.failed ?? 0, p50_ms: p(0.5), p99_ms: p(0.99) };
      });
    },
    /** The endpoints with the most failed and retried attempts in the range, worst first. */
    failing(caller: Caller, range: RangeName, limit = 5, nowMs = Date.now()) {
      const w = window(range, nowMs);
      return rollup.failingEndpoints(db, caller.companyId, w.from, w.step, limit);
    },
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
