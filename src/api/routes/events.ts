import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Event, IdParams, JsonObject, ListOf, ListQuery } from '../../domain/schemas.ts';
import type { EventService } from '../../services/events.ts';
import type { StoredEvent } from '../../store/events.ts';
import { MANAGERS, callerOf } from '../auth.ts';

const EventType = Type.Object({
  type: Type.String(),
  description: Type.String(),
  sequenced: Type.Boolean(),
  schema: JsonObject,
  example: JsonObject,
});

/**
 * The stored envelope, byte for byte what the webhooks delivered, with `"test": true` appended for
 * a test event (the API marks it; the delivered body never carries it).
 */
function eventText(e: StoredEvent): string {
  return e.target_webhook_id === null ? e.payload : e.payload.slice(0, e.payload.lastIndexOf('}')) + ',"test":true}';
}

export function eventRoutes(app: App, events: EventService) {
  const tags = ['events'];
  const config = { roles: MANAGERS };
  app.get(
    '/v1/events',
    {
      config,
      schema: {
        tags,
        operationId: 'listEvents',
        summary: 'List events',
        description: 'Lists the company\'s events, newest first, byte for byte as delivered; filter by `type`, `conversation_id` and `created_after`. Test events are left out unless `include_tests` is true.',
        querystring: Type.Object({
          ...ListQuery.properties,
          type: Type.Optional(Type.String({ maxLength: 100 })),
          conversation_id: Type.Optional(Type.String({ maxLength: 64 })),
          created_after: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 timestamp' })),
          include_tests: Type.Optional(Type.Boolean({ description: 'Also list test events (marked `"test": true`); left out by default' })),
        }),
        response: responses({ 200: ListOf(Event) }),
      },
    },
    async (req, reply) => {
      const { limit, cursor, ...filter } = req.query;
      const page = await events.list(callerOf(req), filter, limit ?? 20, cursor);
      // Envelopes go out as stored, byte for byte what the webhooks deliver (a string skips the
      // serialiser, hence the cast past the typed reply).
      const data = page.data.map(eventText).join(',');
      return reply.type('application/json').send(`{"data":[${data}],"next_cursor":${JSON.stringify(page.next_cursor)}}` as never);
    },
  );
  app.get(
    '/v1/events/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'getEvent',
        summary: 'Get an event',
        description: 'Returns one event envelope as it was delivered; a test event carries `"test": true`.',
        params: IdParams,
        response: responses({ 200: Event }),
      },
    },
    async (req, reply) => reply.type('application/json').send(eventText(await events.get(callerOf(req), req.params.id)) as never),
  );
  app.get(
    '/v1/event-types',
    {
      config,
      schema: {
        tags,
        operationId: 'listEventTypes',
        summary: 'List event types',
        description: 'In catalog order; `limit` and `cursor` page it like every list.',
        querystring: ListQuery,
        response: responses({ 200: ListOf(EventType) }),
      },
    },
    async (req) => events.catalog(req.query.limit ?? 20, req.query.cursor),
  );
}
