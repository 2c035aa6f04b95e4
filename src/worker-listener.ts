import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from './store/database.ts';
import { storeAnswers } from './store/readiness.ts';
import { metricsAllowed, METRICS_TOKEN_NEEDED, type Metrics } from './metrics.ts';
import { SwitchboardError, type ErrorCode } from './domain/errors.ts';

/**
 * The health and metrics listener of a `--role worker` process: `/healthz`, `/readyz` and
 * `/metrics`, answered exactly as the API answers them (same readiness rule, same metrics token),
 * so a split deployment can probe and scrape its workers. A bare node:http server: a worker has no
 * other routes, and a second Fastify app would cost start-up time and memory for three handlers.
 */
export interface WorkerListener {
  url: string;
  close(): Promise<void>;
}

export async function startWorkerListener(o: { host: string; port: number; database: Database; metrics: Metrics; metricsToken: string | null }): Promise<WorkerListener> {
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const error = (res: http.ServerResponse, code: ErrorCode, message?: string) => {
    const err = new SwitchboardError(code, message);
    json(res, err.status, err.toBody());
  };
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 'route_not_found', `No route ${req.method} ${route}; this worker answers GET /healthz, /readyz and /metrics`);
    if (route === '/healthz') return json(res, 200, { status: 'ok' });
    if (route === '/readyz') {
      void storeAnswers(o.database.db).then((ok) => (ok ? json(res, 200, { status: 'ok' }) : error(res, 'unavailable')));
      return;
    }
    if (route === '/metrics') {
      if (!metricsAllowed(req.headers.authorization, o.metricsToken)) return error(res, 'invalid_api_key', METRICS_TOKEN_NEEDED);
      o.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': o.metrics.registry.contentType });
          res.end(text);
        },
        () => error(res, 'internal'),
      );
      return;
    }
    error(res, 'route_not_found', `No route GET ${route}; this worker answers GET /healthz, /readyz and /metrics`);
  });
  // Probes and scrapers come and go; a half-open socket must not keep a stopping worker alive.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
