import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { safeEqual } from './domain/api-keys.ts';

/** Every Prometheus metric of one process, on its own registry (no global default registry). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  eventsWritten: Counter<'type'>;
  deliveries: Counter<'outcome'>;
  attemptDuration: Histogram<'outcome'>;
  queueDepth: Gauge;
  oldestPendingAge: Gauge;
}

/**
 * Builds the registry. `queueStats` is read at scrape time, so the queue gauges cost nothing
 * between scrapes.
 */
export function createMetrics(queueStats?: () => Promise<{ depth: number; oldestAgeSeconds: number }>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let stats: Promise<{ depth: number; oldestAgeSeconds: number }> | null = null;
  const readStats = () => (stats ??= (queueStats ? queueStats() : Promise.resolve({ depth: 0, oldestAgeSeconds: 0 })).finally(() => {
    stats = null;
  }));
  return {
    registry,
    httpRequests: new Counter({
      name: 'switchboard_http_requests_total',
      help: 'API requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'API request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsWritten: new Counter({
      name: 'switchboard_events_written_total',
      help: 'Events committed, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'switchboard_deliveries_total',
      help: 'Delivery attempts by outcome (succeeded, retrying, exhausted)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    attemptDuration: new Histogram({
      name: 'switchboard_delivery_attempt_duration_seconds',
      help: 'Time from sending a delivery attempt to its answer',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'switchboard_delivery_queue_depth',
      help: 'Deliveries pending',
      registers: [registry],
      async collect() {
        this.set((await readStats()).depth);
      },
    }),
    oldestPendingAge: new Gauge({
      name: 'switchboard_delivery_oldest_pending_age_seconds',
      help: 'Age of the oldest due pending delivery',
      registers: [registry],
      async collect() {
        this.set((await readStats()).oldestAgeSeconds);
      },
    }),
  };
}

/** Counts events once their change committed (the unit of work's `committed` hook). */
export function countEvents(metrics: Metrics): (events: { type: string }[]) => void {
  return (events) => {
    for (const e of events) metrics.eventsWritten.inc({ type: e.type });
  };
}

export const METRICS_TOKEN_NEEDED = 'GET /metrics needs the metrics token.';

/** Whether an Authorization header may read /metrics (always, when no metrics token is set). */
export function metricsAllowed(authorization: string | undefined, metricsToken: string | null): boolean {
  if (!metricsToken) return true;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return !!m && safeEqual(m[1], metricsToken);
}
