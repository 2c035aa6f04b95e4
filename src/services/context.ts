import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/database.ts';
import type { Tables } from '../store/tables.ts';
import type { Notifier } from '../store/notifier.ts';
import { countEvents, type Metrics } from '../metrics.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { IdPrefix } from '../domain/ids.ts';
import type { Config } from '../config.ts';
import type { HttpClient } from '../delivery/http-client.ts';
import { runUnitOfWork, type Work } from '../store/unit-of-work.ts';

/** What every service needs; built once per process in platform.ts and passed down. */
export interface ServiceContext {
  config: Config;
  database: Database;
  newId: (prefix: IdPrefix) => string;
  notifier: Notifier;
  metrics: Metrics;
  secrets: SecretBox;
  logger: Logger;
  /** The one outbound HTTP client (target guard, timeouts, 64 KiB response cap). */
  httpClient: HttpClient;
}

/** The identity behind a request: which company, which key, which role. */
export interface Caller {
  companyId: string;
  keyId: string;
  role: 'owner' | 'admin' | 'agent';
}

export type { Work } from '../store/unit-of-work.ts';

/**
 * Runs `fn` in one transaction (store/unit-of-work.ts), counting the events written once the
 * change committed.
 */
export function inTransaction<T>(ctx: ServiceContext, companyId: string, fn: (work: Work) => Promise<T>): Promise<T> {
  return runUnitOfWork(ctx, companyId, fn, countEvents(ctx.metrics));
}
