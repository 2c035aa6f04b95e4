import { sql } from 'kysely';
import type { App } from '../types.ts';
import type { Database } from '../../store/database.ts';
import type { Metrics } from '../../metrics.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { safeEqual } from '../../domain/api-keys.ts';

export function healthRoutes(app: App, database: Database, metrics: Metrics, metricsToken: string | null) {
  const hidden = { hide: true };
  app.get('/healthz', { schema: { ...hidden } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { ...hidden } }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(database.db);
      return { status: 'ok' };
    } catch {
      return reply.code(503).send(new SwitchboardError('unavailable').toBody());
    }
  });
  app.get('/metrics', { schema: { ...hidden } }, async (req, reply) => {
    if (metricsToken) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !safeEqual(m[1], metricsToken)) throw new SwitchboardError('invalid_api_key', 'GET /metrics needs the metrics token.');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
