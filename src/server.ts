import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createPlatform, type Platform } from './platform.ts';
import { buildApp } from './app.ts';
import { bootstrap } from './services/bootstrap.ts';
import { saveDevKey } from './store/dev-key.ts';
import type { App } from './api/types.ts';
import { startIdempotencyPurge, type IdempotencyPurge } from './api/idempotency.ts';

export interface RunningServer {
  platform: Platform;
  app: App | null;
  url: string | null;
  /** The periodic purge of expired idempotency records (API processes only). */
  idempotencyPurge: IdempotencyPurge | null;
  stop(): Promise<void>;
}

/** A background part of the process (the delivery worker) that starts and stops with it. */
export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Extra runners per role, registered by the delivery module. */
export type RunnerFactory = (platform: Platform) => Runner;

/**
 * Starts one Switchboard process for its role: the API (role api/all) and the worker runners
 * (role worker/all). `print` receives the lines meant for the operator's stdout.
 */
export async function startServer(config: Config, logger: Logger, print: (line: string) => void, workers: RunnerFactory[] = []): Promise<RunningServer> {
  const platform = await createPlatform(config, logger);
  const boot = await bootstrap(platform, config.bootstrapKey);
  if (boot?.generatedKey) {
    print(`created company "default" (${boot.companyId}); its owner API key, shown once:`);
    print(`  ${boot.generatedKey}`);
  }
  // The CLI on this machine (listen, trigger, events tail) reads it: no key to copy in development.
  if (boot && config.dev && (boot.generatedKey ?? config.bootstrapKey)) saveDevKey(config.dataDir, (boot.generatedKey ?? config.bootstrapKey)!);
  const runners = config.role === 'api' ? [] : workers.map((make) => make(platform));
  for (const r of runners) await r.start();

  let app: App | null = null;
  let url: string | null = null;
  let idempotencyPurge: IdempotencyPurge | null = null;
  if (config.role !== 'worker') {
    app = await buildApp(platform);
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `http://${host}:${port}`;
    idempotencyPurge = startIdempotencyPurge(platform.database.db, config.idempotencyPurgeSeconds * 1000, platform.logger);
    print(`switchboard listening on ${url}`);
  } else {
    print(`switchboard worker started (${platform.database.dialect})`);
  }

  let stopping: Promise<void> | null = null;
  return {
    platform,
    app,
    url,
    idempotencyPurge,
    stop() {
      stopping ??= (async () => {
        if (app) await app.close();
        await idempotencyPurge?.stop();
        for (const r of runners) await r.stop();
        await platform.close();
      })();
      return stopping;
    },
  };
}
