import type { ServiceContext, Caller } from './context.ts';
import { notFound, invalid } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/events.ts';

export function createEventService(ctx: ServiceContext) {
  const { db } = ctx.database;
  return {
    async get(caller: Caller, id: string) {
      const event = await store.getEvent(db, caller.companyId, id);
      if (!event) throw notFound('event', id);
      return event;
    },

    async list(caller: Caller, filter: store.EventFilter, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'evt') : undefined;
      let createdAfter = filter.created_after;
      if (createdAfter !== undefined) {
        const t = Date.parse(createdAfter);
        if (Number.isNaN(t)) throw invalid('created_after', 'created_after must be an ISO 8601 timestamp.');
        createdAfter = new Date(t).toISOString();
      }
      return pageOf(await store.listEvents(db, caller.companyId, { ...filter, created_after: createdAfter }, limit + 1, before), limit);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
