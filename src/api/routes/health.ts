import { Type } from 'typebox';
import { ErrorBody } from '../../domain/schemas.ts';
import type { App } from '../types.ts';
import type { Database } from '../../store/database.ts';
import { metricsAllowed, METRICS_TOKEN_NEEDED, type Metrics } from '../../metrics.ts';
import { SwitchboardError } from '../../domain/errors.ts';
import { storeAnswers } from '../../store/readiness.ts';

const Status = Type.Object({ status: Type.Literal('ok') });
const tags = ['health'];
// Probes need no key: load balancers and orchestrators call them.
const open = { security: [] };

export function healthRoutes(app: App, database: Database, metrics: Metrics, metricsToken: string | null) {
  app.get(
    '/healthz',
    {
      schema: {
        ...open,
        tags,
        operationId: 'getHealth',
        summary: 'Liveness: the process is up',
        description: 'Answers 200 while the process runs, whatever the store does. Needs no key.',
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        ...open,
        tags,
        operationId: 'getReadiness',
        summary: 'Readiness: the store answers',
        description: 'Answers 200 when a query on the store succeeds, 503 (`unavailable`) otherwise. Needs no key.',
        response: { 200: Status, 503: ErrorBody },
      },
    },
    async (_req, reply) => {
      if (await storeAnswers(database.db)) return { status: 'ok' as const };
      return reply.code(503).send(new SwitchboardError('unavailable').toBody() as never);
    },
  );
  app.get(
    '/metrics',
    {
      schema: {
        ...open,
        tags,
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description:
          'Prometheus text exposition format. Needs `Authorization: Bearer <token>` when the server sets `SWITCHBOARD_METRICS_TOKEN`, and no API key.',
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
          401: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      if (!metricsAllowed(req.headers.authorization, metricsToken)) throw new SwitchboardError('invalid_api_key', METRICS_TOKEN_NEEDED);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
