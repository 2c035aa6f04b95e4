import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/database.ts';
import type { Tables } from '../store/tables.ts';
import type { Notifier } from '../store/notifier.ts';
import type { Metrics } from '../metrics.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { IdPrefix } from '../domain/ids.ts';
import type { EventT } from '../domain/schemas.ts';
import type { Config } from '../config.ts';
import type { HttpClient } from '../delivery/http-client.ts';
import { appendEvent, type NewEvent } from '../store/outbox.ts';

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

/** A transaction plus the one way to record an event in it. */
export interface Work {
  trx: Kysely<Tables>;
  emit(event: Omit<NewEvent, 'companyId'> & { companyId?: string }, companyId?: string): Promise<EventT>;
}

/**
 * Runs `fn` in one transaction. Events emitted through `work.emit` commit with the change; after
 * the commit the workers are woken and the metrics counted (never before: a rolled-back change
 * has no event).
 */
export async function inTransaction<T>(ctx: ServiceContext, companyId: string, fn: (work: Work) => Promise<T>): Promise<T> {
  const written: EventT[] = [];
  let deliveries = 0;
  const result = await ctx.database.transaction(async (trx) => {
    const work: Work = {
      trx,
      async emit(input) {
        const appended = await appendEvent(trx, { dialect: ctx.database.dialect, newId: ctx.newId }, {
          ...input,
          companyId: input.companyId ?? companyId,
        });
        written.push(appended.event);
        deliveries += appended.deliveries;
        return appended.event;
      },
    };
    return fn(work);
  });
  for (const e of written) ctx.metrics.eventsWritten.inc({ type: e.type });
  if (deliveries > 0) ctx.notifier.wake();
  return result;
}
