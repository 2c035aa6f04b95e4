import type { ServiceContext, Caller } from './context.ts';
import { notFound, invalid } from '../domain/errors.ts';
import { decodeCursor, encodeCursor, pageOf } from '../domain/cursor.ts';
import { EVENT_CATALOG } from '../domain/event-catalog.ts';
import { SwitchboardError } from '../domain/errors.ts';
import * as store from '../store/events.ts';

export function createEventService(ctx: ServiceContext) {
  const { db } = ctx.database;
  return {
    /** The catalog in its own order, paged like every list; the cursor is the last type seen. */
    catalog(limit: number, cursor?: string) {
      let start = 0;
      if (cursor !== undefined) {
        const last = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
        const at = EVENT_CATALOG.findIndex((e) => e.type === last);
        if (at < 0) throw new SwitchboardError('invalid_cursor', undefined, 'cursor');
        start = at + 1;
      }
      const data = EVENT_CATALOG.slice(start, start + limit);
      const more = start + limit < EVENT_CATALOG.length;
      return { data, next_cursor: more ? encodeCursor(data[data.length - 1].type) : null };
    },

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
      let createdBefore = filter.created_before;
      if (createdBefore !== undefined) {
        const t = Date.parse(createdBefore);
        if (Number.isNaN(t)) throw invalid('created_before', 'created_before must be an ISO 8601 timestamp.');
        createdBefore = new Date(t).toISOString();
      }
      return pageOf(await store.listEvents(db, caller.companyId, { ...filter, created_after: createdAfter, created_before: createdBefore }, limit + 1, before), limit);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
