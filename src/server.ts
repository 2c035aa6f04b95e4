import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createPlatform, type Platform } from './platform.ts';
import { buildApp } from './app.ts';
import { createDeliveryWorker } from './delivery/worker.ts';
import { bootstrap, bootstrapLines } from './services/bootstrap.ts';
import { saveDevKey } from './store/dev-key.ts';
import { ConfigError } from './config.ts';
import type { App } from './api/types.ts';
import { startIdempotencyPurge } from './api/idempotency.ts';
import { startPeriodicTask, type PeriodicTask } from './periodic-task.ts';
import { pruneRollup } from './store/attempt-rollup.ts';
import { startWorkerListener, type WorkerListener } from './worker-listener.ts';

export interface RunningServer {
  platform: Platform;
  app: App | null;
  url: string | null;
  /** Base URL of a worker's health and metrics listener (role worker with SWITCHBOARD_WORKER_PORT), else null. */
  workerUrl: string | null;
  /** The periodic purge of expired idempotency records (API processes only). */
  idempotencyPurge: PeriodicTask | null;
  /** The periodic prune of overview rollup rows no range reaches (API processes only). */
  rollupPrune: PeriodicTask | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Run the delivery worker when the role has one (api: never; worker, all: yes). Default true;
   * tests of the API alone turn it off.
   */
  worker?: boolean;
}

// Hourly: the shortest kept grain (the minute rows) is kept for two hours.
const ROLLUP_PRUNE_MS = 60 * 60 * 1000;

/**
 * Starts one Switchboard process for its role: the API (role api/all) and the delivery worker
 * (role worker/all). `print` receives the lines meant for the operator's stdout.
 */
export async function startServer(config: Config, logger: Logger, print: (line: string) => void, opts: StartOptions = {}): Promise<RunningServer> {
  const platform = await createPlatform(config, logger);
  const runners = config.role === 'api' || opts.worker === false ? [] : [createDeliveryWorker(platform)];
  let app: App | null = null;
  let health: WorkerListener | null = null;
  try {
    if (config.role !== 'worker') {
      app = await buildApp(platform);
      await app.listen({ host: config.host, port: config.port });
    } else if (config.workerPort !== null) {
      // Role all answers these on the API's port; a lone worker needs its own for probes and scrapes.
      health = await startWorkerListener({
        host: config.workerHost, port: config.workerPort, database: platform.database, metrics: platform.metrics, metricsToken: config.metricsToken,
      }).catch((err: unknown) => {
        throw workerListenError(err, config);
      });
    }
    // The worker starts last: building the API compiles every route's validators and serializers
    // (about a tenth of a second of one CPU), which a worker started first did in the middle of its
    // first deliveries (in `drain`, 13 % of the event loop over its first 750 ms).
    for (const r of runners) await r.start();
  } catch (err) {
    await health?.close().catch(() => {});
    await app?.close().catch(() => {});
    for (const r of runners) await r.stop().catch(() => {});
    await platform.close().catch(() => {});
    throw listenError(err, config);
  }
  // Only now, with the port ours: an owner key created by a start that then failed on a busy port
  // would never be printed, and the next start would not make another.
  const boot = await bootstrap(platform, config.bootstrapKey);
  for (const line of bootstrapLines(boot)) print(line);
  // The CLI on this machine (listen, trigger, events tail) reads it: no key to copy in development.
  const devKey = boot?.generatedKey ?? (boot && !boot.configuredKeyIgnored ? config.bootstrapKey : null);
  if (config.dev && devKey) saveDevKey(config.dataDir, devKey);

  let url: string | null = null;
  let idempotencyPurge: PeriodicTask | null = null;
  let rollupPrune: PeriodicTask | null = null;
  if (app) {
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `http://${host}:${port}`;
    idempotencyPurge = startIdempotencyPurge(platform.database.db, config.idempotencyPurgeSeconds * 1000, platform.logger);
    // Any process may prune (a second one deletes nothing); the API processes are always there.
    rollupPrune = startPeriodicTask({ what: 'overview rollup prune', intervalMs: ROLLUP_PRUNE_MS, logger: platform.logger, run: () => pruneRollup(platform.database.db, Date.now()) });
    print(`switchboard listening on ${url}`);
  } else {
    if (health) print(`switchboard worker health and metrics on ${health.url}`);
    print(`switchboard worker started (${platform.database.dialect})`);
  }

  let stopping: Promise<void> | null = null;
  return {
    platform,
    app,
    url,
    workerUrl: health?.url ?? null,
    idempotencyPurge,
    rollupPrune,
    stop() {
      stopping ??= (async () => {
        if (app) await app.close();
        await health?.close();
        await idempotencyPurge?.stop();
        await rollupPrune?.stop();
        for (const r of runners) await r.stop();
        await platform.close();
      })();
      return stopping;
    },
  };
}

/** A listen failure the operator can fix, as one line; anything else unchanged. */
function listenError(err: unknown, config: Config): unknown {
  const code = (err as { code?: string }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return new ConfigError(`port ${config.port} on ${config.host} is already in use by another process; stop it, or choose another port with --port or SWITCHBOARD_PORT (0 picks a free one)`);
  if (code === 'EACCES') return new ConfigError(`no permission to listen on ${where}; choose a port above 1023 with --port or SWITCHBOARD_PORT`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError(`cannot listen on ${where}: the address is not one of this machine's; set --host or SWITCHBOARD_HOST (127.0.0.1 or 0.0.0.0)`);
  return err;
}

/** The same, for the worker's health and metrics listener and its own settings. */
function workerListenError(err: unknown, config: Config): unknown {
  const code = (err as { code?: string }).code;
  const where = `${config.workerHost}:${config.workerPort}`;
  if (code === 'EADDRINUSE') return new ConfigError(`SWITCHBOARD_WORKER_PORT ${config.workerPort} on ${config.workerHost} is already in use by another process; choose another port (0 picks a free one), or leave it unset to run no health listener`);
  if (code === 'EACCES') return new ConfigError(`no permission to listen on ${where}; choose a SWITCHBOARD_WORKER_PORT above 1023`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError(`cannot listen on ${where}: the address is not one of this machine's; set SWITCHBOARD_WORKER_HOST (127.0.0.1 or 0.0.0.0)`);
  return err;
}
