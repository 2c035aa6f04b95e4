import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { Tables } from './tables.ts';
import type { Notifier } from './notifier.ts';
import type { EventT } from '../domain/schemas.ts';
import type { IdPrefix } from '../domain/ids.ts';
import { appendEvent, type NewEvent } from './outbox.ts';
import { notifyWorkers } from './queue.ts';

/** A transaction plus the two things a writer may do besides writing rows. */
export interface Work {
  trx: Kysely<Tables>;
  /** Records an event (and its deliveries, through the outbox) in this transaction. */
  emit(event: Omit<NewEvent, 'companyId'> & { companyId?: string }, companyId?: string): Promise<EventT>;
  /**
   * Deliveries became due in this transaction without an event (a retry, a resend, an endpoint
   * enabled): wake every process's worker once it commits — PostgreSQL NOTIFY inside the
   * transaction for the others, the local doorbell after the commit for this one.
   */
  wakeWorkers(): Promise<void>;
}

export interface UnitOfWorkContext {
  database: Database;
  newId: (prefix: IdPrefix) => string;
  notifier: Notifier;
}

/**
 * Runs `fn` in one transaction: the one unit of work every writer uses. Events emitted through
 * `work.emit` commit with the change; after the commit (never before: a rolled-back change has no
 * event and wakes no one) the workers are woken and `committed` hears of the events.
 */
export async function runUnitOfWork<T>(
  ctx: UnitOfWorkContext,
  companyId: string,
  fn: (work: Work) => Promise<T>,
  committed: (events: EventT[]) => void = () => {},
): Promise<T> {
  const written: EventT[] = [];
  let wake = false;
  const dialect = ctx.database.dialect;
  const result = await ctx.database.transaction(async (trx) => {
    const work: Work = {
      trx,
      async emit(input) {
        const appended = await appendEvent(trx, { dialect, newId: ctx.newId }, { ...input, companyId: input.companyId ?? companyId });
        written.push(appended.event);
        if (appended.deliveries > 0) wake = true;
        return appended.event;
      },
      async wakeWorkers() {
        // PostgreSQL sends a notification once per transaction however often it is asked.
        await notifyWorkers(trx, dialect);
        wake = true;
      },
    };
    return fn(work);
  });
  committed(written);
  if (wake) ctx.notifier.wake();
  return result;
}
